import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCsvSkus, type CsvSkuOptions } from '../config/csv-layout.js';
import type { LayoutInput } from '../config/load-cluster.js';
import { UsageError } from '../errors.js';
import type { ClusterSources } from '../phase/phases/validate.js';
import type { CommandEnv } from './command-env.js';

/** The input flags every cluster command shares (declared once in program.ts). */
export interface ClusterInputFlags {
  layout?: string;
  config?: string;
  masterCsv?: string;
  workerCsv?: string;
  masterMem?: string;
  masterVcores?: number;
  workerMem?: string;
  workerVcores?: number;
  workerDevice?: string;
  workerDeviceCount?: number;
  workerDeviceModel?: string;
}

export function csvSkus(flags: ClusterInputFlags): CsvSkuOptions {
  if (flags.workerDevice !== undefined && flags.workerDeviceModel === undefined) {
    throw new UsageError(
      '--worker-device needs --worker-device-model: OpenPAI requires a model for every computing device',
      'Add e.g. --worker-device-model V100 (it is informational; the nvidia-smi name is a good choice).',
    );
  }
  return {
    masterMem: flags.masterMem ?? defaultCsvSkus.masterMem,
    masterVcores: flags.masterVcores ?? defaultCsvSkus.masterVcores,
    workerMem: flags.workerMem ?? defaultCsvSkus.workerMem,
    workerVcores: flags.workerVcores ?? defaultCsvSkus.workerVcores,
    workerDeviceType: flags.workerDevice,
    workerDeviceModel: flags.workerDeviceModel,
    workerDeviceCount: flags.workerDeviceCount ?? defaultCsvSkus.workerDeviceCount,
  };
}

/**
 * -l layout.yaml or the --master-csv/--worker-csv pair, and -c config.yaml. When neither is given and the current
 * directory holds layout.yaml / config.yaml (what `config init` writes), those are used, and the user is told.
 */
export function clusterSources(command: string, flags: ClusterInputFlags, env: CommandEnv): ClusterSources {
  return { layout: layoutInput(command, flags, env), configPath: configPath(command, flags, env) };
}

function layoutInput(command: string, flags: ClusterInputFlags, env: CommandEnv): LayoutInput {
  const { layout, masterCsv, workerCsv } = flags;
  if (layout !== undefined && (masterCsv !== undefined || workerCsv !== undefined)) {
    throw new UsageError(`${command}: give either --layout or --master-csv/--worker-csv, not both`);
  }
  if (layout !== undefined) return { kind: 'yaml', path: layout };
  if (masterCsv !== undefined && workerCsv !== undefined)
    return { kind: 'csv', masterPath: masterCsv, workerPath: workerCsv, skus: csvSkus(flags) };
  if (masterCsv !== undefined || workerCsv !== undefined)
    throw new UsageError(`${command}: --master-csv and --worker-csv go together`);
  const found = fromCwd('layout.yaml', env);
  if (found) return { kind: 'yaml', path: found };
  throw new UsageError(
    `${command}: --layout (or --master-csv with --worker-csv) is required`,
    `There is no layout.yaml in ${env.cwd}; \`pai-deploy config init\` writes an example pair.`,
  );
}

function configPath(command: string, flags: ClusterInputFlags, env: CommandEnv): string {
  if (flags.config !== undefined) return flags.config;
  const found = fromCwd('config.yaml', env);
  if (found) return found;
  throw new UsageError(
    `${command}: --config is required`,
    `There is no config.yaml in ${env.cwd}; \`pai-deploy config init\` writes an example pair.`,
  );
}

function fromCwd(name: string, env: CommandEnv): string | undefined {
  const path = join(env.cwd, name);
  if (!existsSync(path)) return undefined;
  env.io.notify({
    level: 'info',
    code: 'input.from-cwd',
    text: `using ./${name} (no ${name === 'layout.yaml' ? '-l' : '-c'} given)`,
    data: { path },
  });
  return path;
}
