import type { CommandEnv } from '../command-env.js';
import { bashCompletion, completionTree, fishCompletion, zshCompletion } from '../completion.js';
import { buildProgram } from '../program.js';

/** Prints the completion script, generated from the same declarations as the commands and their help. */
export async function runCompletion(_flags: object, env: CommandEnv, [shell]: string[]): Promise<void> {
  const tree = completionTree(buildProgram(() => async () => undefined, () => ''));
  const script = shell === 'zsh' ? zshCompletion(tree) : shell === 'fish' ? fishCompletion(tree) : bashCompletion(tree);
  await env.io.result(script);
}
