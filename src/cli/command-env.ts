import type { IoHost } from '../ports/io-host.js';
import type { Ports } from '../ports/ports.js';
import { makePalette, type Palette } from './io/style.js';

/** What a command handler may use. Handlers return nothing and throw typed errors; main maps them to exit codes. */
export interface CommandEnv {
  io: IoHost;
  ports: Ports;
  /** Aborted on the first SIGINT, SIGTERM or SIGHUP. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Colours for what goes to stdout (decided for stdout alone). */
export function stdoutStyle(env: CommandEnv): Palette {
  return makePalette(env.io.stdoutColour);
}
