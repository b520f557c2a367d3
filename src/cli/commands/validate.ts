import { validateCluster } from '../../rules/validate-cluster.js';
import { formatOption, parseCommandArgs } from '../args.js';
import { clusterInputOptions, configPathFrom, layoutInputFrom } from '../cluster-options.js';
import type { CommandContext } from '../context.js';
import { findingsJson, formatFindings } from '../output.js';

export async function runValidate(argv: readonly string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs('validate', argv, { ...clusterInputOptions, strict: { type: 'boolean' } });
  const format = formatOption(parsed, 'validate', ['text', 'json']);
  const result = await validateCluster(layoutInputFrom(parsed, 'validate'), configPathFrom(parsed, 'validate'));
  context.stdout.write(format === 'json' ? findingsJson(result) : formatFindings(result, context.style));
  const failed = !result.valid || (parsed.values['strict'] === true && result.warnings.length > 0);
  return failed ? 1 : 0;
}
