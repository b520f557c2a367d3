import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readAsset } from '../../assets.js';
import { UsageError } from '../../errors.js';
import { writeFilesAtomically } from '../../infra/fs/atomic-write.js';
import { optionalString, parseCommandArgs } from '../args.js';
import type { CommandContext } from '../context.js';

const EXAMPLES = ['layout.yaml', 'config.yaml'] as const;

export async function runConfigInit(argv: readonly string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs('config init', argv, {
    dir: { type: 'string', short: 'd' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const dir = resolve(optionalString(parsed, 'dir') ?? '.');
  if (parsed.values['force'] !== true) {
    for (const name of EXAMPLES) {
      const exists = await stat(join(dir, name)).then(() => true, () => false);
      if (exists) throw new UsageError(`config init: ${join(dir, name)} already exists`, 'Use --force to overwrite it, or --dir to write elsewhere.');
    }
  }
  await writeFilesAtomically(
    dir,
    EXAMPLES.map((name) => ({ path: name, content: readAsset(`examples/${name}`), mode: name === 'config.yaml' ? 0o600 : 0o644, description: name })),
  );
  context.stdout.write(`wrote ${join(dir, 'layout.yaml')} and ${join(dir, 'config.yaml')}; edit them, then run:\n  pai-deploy validate -l ${join(dir, 'layout.yaml')} -c ${join(dir, 'config.yaml')}\n`);
  return 0;
}
