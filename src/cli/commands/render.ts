import { renderCluster } from '../../render/render-cluster.js';
import { writeFilesAtomically } from '../../infra/fs/atomic-write.js';
import { validateCluster } from '../../rules/validate-cluster.js';
import { formatOption, parseCommandArgs, requireString } from '../args.js';
import { clusterInputOptions, configPathFrom, layoutInputFrom } from '../cluster-options.js';
import type { CommandContext } from '../context.js';
import { formatFindings } from '../output.js';

export async function runRender(argv: readonly string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs('render', argv, { ...clusterInputOptions, out: { type: 'string', short: 'o' } });
  const format = formatOption(parsed, 'render', ['text', 'json']);
  const outDir = requireString(parsed, 'out', 'render');
  const result = await validateCluster(layoutInputFrom(parsed, 'render'), configPathFrom(parsed, 'render'));
  const files = result.valid && result.input ? renderCluster(result.input) : [];
  if (files.length > 0) await writeFilesAtomically(outDir, files);
  if (format === 'json') {
    const written = files.map((file) => ({ path: file.path, mode: file.mode.toString(8).padStart(4, '0') }));
    context.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors, warnings: result.warnings, outDir, files: written }, null, 2) + '\n');
  } else if (!result.valid) {
    context.stdout.write(formatFindings(result, context.style));
    context.stderr.write(`nothing written to ${outDir}\n`);
  } else {
    if (result.warnings.length > 0) context.stdout.write(formatFindings(result, context.style));
    context.stdout.write(`wrote ${files.length} files to ${outDir}:\n${files.map((file) => `  ${file.path}`).join('\n')}\n`);
  }
  return result.valid ? 0 : 1;
}
