import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { ClusterSpec } from '../../model/cluster.js';
import { csvToLayout } from '../../config/csv-layout.js';
import { normalizeConfig } from '../../config/normalize-config.js';
import { normalizeLayout } from '../../config/normalize-layout.js';
import { readInputFile } from '../../config/read-input.js';
import { summarize } from '../../findings/finding.js';
import { UsageError } from '../../errors.js';
import { renderOpenpaiLayout } from '../../render/cluster-cfg.js';
import { writeFilesAtomically } from '../../infra/fs/atomic-write.js';
import { checkLayout } from '../../rules/layout-rules.js';
import { FindingSink } from '../../findings/sink.js';
import { optionalString, parseCommandArgs, requireString } from '../args.js';
import { csvSkuOptions, csvSkusFrom } from '../cluster-options.js';
import type { CommandContext } from '../context.js';
import { formatFindings } from '../output.js';

export async function runConfigImportCsv(argv: readonly string[], context: CommandContext): Promise<number> {
  const command = 'config import-csv';
  const parsed = parseCommandArgs(command, argv, {
    'master-csv': { type: 'string' },
    'worker-csv': { type: 'string' },
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...csvSkuOptions,
  });
  const masterPath = requireString(parsed, 'master-csv', command);
  const workerPath = requireString(parsed, 'worker-csv', command);
  const out = optionalString(parsed, 'out');
  const hint = 'Check the paths given to --master-csv and --worker-csv.';
  const [master, worker] = await Promise.all([
    readInputFile(masterPath, 'the master list', hint),
    readInputFile(workerPath, 'the worker list', hint),
  ]);
  const csv = csvToLayout({ file: masterPath, text: master.toString('utf8') }, { file: workerPath, text: worker.toString('utf8') }, csvSkusFrom(parsed, command));
  const locator = csv.locator;
  const sink = new FindingSink({ layoutSource: locator, configSource: locator });
  const input: ClusterSpec = { layout: normalizeLayout(csv.raw, sink), config: normalizeConfig({}, '.', '', sink), layoutSource: locator, configSource: locator };
  checkLayout(input, sink);
  const summary = summarize([...csv.findings, ...sink.findings]);
  if (!summary.valid) {
    context.stdout.write(formatFindings(summary, context.style));
    return 1;
  }
  const text =
    `# Imported by pai-deploy from ${basename(masterPath)} and ${basename(workerPath)} (OpenPAI v1.0 lists).\n` +
    '# The lists hold no hardware: review machine-sku (mem, cpu.vcore, computing-device) before deploying.\n' +
    renderOpenpaiLayout(input).replace(/^# OpenPAI layout, rendered by pai-deploy\.\n/, '');
  if (out === undefined) {
    context.stdout.write(text);
    return 0;
  }
  const target = resolve(out);
  if (parsed.values['force'] !== true && (await stat(target).then(() => true, () => false))) {
    throw new UsageError(`${command}: ${target} already exists`, 'Use --force to overwrite it.');
  }
  await writeFilesAtomically(dirname(target), [{ path: basename(target), content: text, mode: 0o644, description: 'layout' }]);
  context.stderr.write(`wrote ${target} (${input.layout.machines.length} machines); review its machine-sku section\n`);
  return 0;
}
