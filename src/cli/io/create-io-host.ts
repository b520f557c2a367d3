import type { IoHost } from '../../ports/io-host.js';
import { JsonHost } from './json-host.js';
import { PlainHost } from './plain-host.js';
import type { HostInput, HostStream } from './streams.js';
import type { Env } from './style.js';
import { isSizedTerminal, TerminalHost } from './terminal-host.js';

/** `--progress`: auto (a live display when stderr is a sized terminal, else plain lines), plain, or JSON lines. */
export type ProgressMode = 'auto' | 'plain' | 'json';

export interface CreateIoHostOptions {
  readonly progress: ProgressMode;
  readonly stdout: HostStream;
  readonly stderr: HostStream;
  readonly env: Env;
  readonly stdin?: HostInput | undefined;
  /** Span updates (plain) and debug messages (plain, terminal) too. */
  readonly verbose?: boolean;
  /** The run's abort signal: the live display stops and gives the cursor back. */
  readonly signal?: AbortSignal;
}

/** Every host also tells whether stdout's reader went away (EPIPE), so the CLI can stop producing results. */
export type CliIoHost = IoHost & { readonly stdoutClosed: boolean };

export function createIoHost(options: CreateIoHostOptions): CliIoHost {
  const { stdout, stderr, env } = options;
  if (options.progress === 'json') return new JsonHost({ stdout, stderr, env });
  if (options.progress === 'auto' && isSizedTerminal(stderr, env)) {
    return new TerminalHost({
      stdout,
      stderr,
      env,
      stdin: options.stdin,
      verbose: options.verbose ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  return new PlainHost({ stdout, stderr, env, verbose: options.verbose ?? false });
}
