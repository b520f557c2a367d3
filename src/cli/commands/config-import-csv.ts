import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { csvToLayout } from '../../config/csv-layout.js';
import { normalizeConfig } from '../../config/normalize-config.js';
import { normalizeLayout } from '../../config/normalize-layout.js';
import { readInputFile } from '../../config/read-input.js';
import { FindingsError, UsageError } from '../../errors.js';
import { summarize } from '../../findings/finding.js';
import { FindingSink } from '../../findings/sink.js';
import type { ClusterSpec } from '../../model/cluster.js';
import { renderOpenpaiLayout } from '../../render/cluster-cfg.js';
import { checkLayout } from '../../rules/layout-rules.js';
import { csvSkus, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatFindings } from '../format/findings.js';

export interface ImportCsvFlags extends ClusterInputFlags {
  masterCsv: string;
  workerCsv: string;
  output?: string;
  /** The former name of --output. */
  out?: string;
  force?: boolean;
}

export async function runConfigImportCsv(flags: ImportCsvFlags, env: CommandEnv): Promise<void> {
  const command = 'config import-csv';
  const { masterCsv: masterPath, workerCsv: workerPath } = flags;
  const out = flags.output ?? flags.out;
  const hint = 'Check the paths given to --master-csv and --worker-csv.';
  const [master, worker] = await Promise.all([
    readInputFile(masterPath, 'the master list', hint, env.signal),
    readInputFile(workerPath, 'the worker list', hint, env.signal),
  ]);
  const csv = csvToLayout(
    { file: masterPath, text: master.toString('utf8') },
    { file: workerPath, text: worker.toString('utf8') },
    csvSkus(flags),
  );
  const locator = csv.locator;
  const sink = new FindingSink({ layoutSource: locator, configSource: locator });
  const input: ClusterSpec = {
    layout: normalizeLayout(csv.raw, sink),
    config: normalizeConfig({}, '.', '', sink),
    layoutSource: locator,
    configSource: locator,
  };
  checkLayout(input, sink);
  const summary = summarize([...csv.findings, ...sink.findings]);
  if (!summary.valid) {
    await env.io.result(formatFindings(summary, stdoutStyle(env)));
    throw new FindingsError(summary.errors.length);
  }
  const text =
    `# Imported by pai-deploy from ${basename(masterPath)} and ${basename(workerPath)} (OpenPAI v1.0 lists).\n` +
    '# The lists hold no hardware: review machine-sku (mem, cpu.vcore, computing-device) before deploying.\n' +
    renderOpenpaiLayout(input).replace(/^# OpenPAI layout, rendered by pai-deploy\.\n/, '');
  if (out === undefined) {
    await env.io.result(text);
    return;
  }
  const target = resolve(env.cwd, out);
  if (
    flags.force !== true &&
    (await stat(target).then(
      () => true,
      () => false,
    ))
  ) {
    throw new UsageError(`${command}: ${target} already exists`, 'Use --force to overwrite it.');
  }
  await env.ports.writeFiles(
    dirname(target),
    [{ path: basename(target), content: text, mode: 0o644, description: 'layout' }],
    env.signal,
  );
  env.io.notify({
    level: 'info',
    code: 'config.layout-written',
    text: `wrote ${target} (${input.layout.machines.length} machines); review its machine-sku section`,
  });
}
