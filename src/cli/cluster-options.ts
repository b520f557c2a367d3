import type { CsvSkuOptions } from '../config/csv-layout.js';
import { defaultCsvSkus } from '../config/csv-layout.js';
import type { LayoutInput } from '../config/load-cluster.js';
import { UsageError } from '../errors.js';
import { optionalString, positiveInt, type OptionSpec, type Parsed } from './args.js';

export const csvSkuOptions: OptionSpec = {
  'master-mem': { type: 'string' },
  'master-vcores': { type: 'string' },
  'worker-mem': { type: 'string' },
  'worker-vcores': { type: 'string' },
  'worker-device': { type: 'string' },
  'worker-device-count': { type: 'string' },
  'worker-device-model': { type: 'string' },
};

export const clusterInputOptions: OptionSpec = {
  layout: { type: 'string', short: 'l' },
  config: { type: 'string', short: 'c' },
  'master-csv': { type: 'string' },
  'worker-csv': { type: 'string' },
  ...csvSkuOptions,
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export function csvSkusFrom(parsed: Parsed, command: string): CsvSkuOptions {
  return {
    masterMem: optionalString(parsed, 'master-mem') ?? defaultCsvSkus.masterMem,
    masterVcores: positiveInt(parsed, 'master-vcores', command, defaultCsvSkus.masterVcores),
    workerMem: optionalString(parsed, 'worker-mem') ?? defaultCsvSkus.workerMem,
    workerVcores: positiveInt(parsed, 'worker-vcores', command, defaultCsvSkus.workerVcores),
    workerDeviceType: optionalString(parsed, 'worker-device'),
    workerDeviceModel: optionalString(parsed, 'worker-device-model'),
    workerDeviceCount: positiveInt(parsed, 'worker-device-count', command, defaultCsvSkus.workerDeviceCount),
  };
}

/** -l layout.yaml, or the --master-csv/--worker-csv pair; exactly one of them. */
export function layoutInputFrom(parsed: Parsed, command: string): LayoutInput {
  const layout = optionalString(parsed, 'layout');
  const master = optionalString(parsed, 'master-csv');
  const worker = optionalString(parsed, 'worker-csv');
  if (layout !== undefined && (master !== undefined || worker !== undefined)) {
    throw new UsageError(`${command}: give either --layout or --master-csv/--worker-csv, not both`);
  }
  if (layout !== undefined) return { kind: 'yaml', path: layout };
  if (master !== undefined && worker !== undefined) {
    return { kind: 'csv', masterPath: master, workerPath: worker, skus: csvSkusFrom(parsed, command) };
  }
  if (master !== undefined || worker !== undefined) {
    throw new UsageError(`${command}: --master-csv and --worker-csv go together`);
  }
  throw new UsageError(`${command}: --layout (or --master-csv with --worker-csv) is required`);
}

export function configPathFrom(parsed: Parsed, command: string): string {
  const config = optionalString(parsed, 'config');
  if (config === undefined) throw new UsageError(`${command}: --config is required`);
  return config;
}
