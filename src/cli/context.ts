import type { Style } from './output.js';

/** What a command may touch: its output streams, environment and styling. Commands return an exit code. */
export interface CommandContext {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  style: Style;
  /** Whether a live terminal display may be drawn (see liveDisplayPossible); otherwise progress is plain lines. */
  liveDisplay?: boolean;
}

export type CommandRunner = (argv: readonly string[], context: CommandContext) => Promise<number>;
