import type { Command } from '../commander.js';
import type { CommandEnv } from '../command-env.js';
import { bashCompletion, completionTree, fishCompletion, zshCompletion } from '../completion.js';

/** Prints the completion script, generated from the same declarations as the commands and their help. */
export async function runCompletion(program: Command, env: CommandEnv, [shell]: string[]): Promise<void> {
  const tree = completionTree(program);
  const script = shell === 'zsh' ? zshCompletion(tree) : shell === 'fish' ? fishCompletion(tree) : bashCompletion(tree);
  await env.io.result(script);
}
