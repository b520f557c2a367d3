import { writeSync } from 'node:fs';
import type { Command } from './commander.js';
import { describeSystemError, InterruptedError, OutputError } from '../errors.js';
import type { Ports } from '../ports/ports.js';
import type { CommandEnv } from './command-env.js';
import { reportFor, signalExitCodes } from './exit-codes.js';
import type { CliIoHost, ProgressMode } from './io/create-io-host.js';
import type { HostInput, HostStream } from './io/streams.js';
import { buildProgram, type Handler } from './program.js';
import { toolVersion } from './tool-version.js';

export interface CliStreams {
  stdout: HostStream;
  stderr: HostStream;
  stdin?: HostInput;
}

export interface CliRun {
  streams: CliStreams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted by the first SIGINT/SIGTERM/SIGHUP (runCli wires it); its reason is an InterruptedError. */
  signal: AbortSignal;
  ports?: Ports;
}

/**
 * Parses argv, runs the command and returns the exit code: the only place that decides it (exit-codes.ts holds the
 * table). Commands throw typed errors and return nothing.
 */
export async function main(argv: readonly string[], run: CliRun): Promise<number> {
  let io: CliIoHost | undefined;
  const { stdout, stderr } = run.streams;
  const dispatch =
    (load: () => Promise<Handler>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      // Variadic arguments (`kubespray run -- --tags x`) arrive as one array.
      const positional = args
        .slice(0, -2)
        .flatMap((arg) => (Array.isArray(arg) ? (arg as unknown[]) : [arg]))
        .filter((arg): arg is string => typeof arg === 'string');
      const flags = command.optsWithGlobals<{ progress: ProgressMode; verbose?: boolean }>();
      // Loaded only when a command runs: --help and --version need no I/O host.
      const { createIoHost } = await import('./io/create-io-host.js');
      io = createIoHost({
        progress: flags.progress,
        stdout,
        stderr,
        env: run.env,
        stdin: run.streams.stdin,
        verbose: flags.verbose === true,
        signal: run.signal,
      });
      const ports = run.ports ?? (await import('../infra/ports.js')).realPorts();
      const env: CommandEnv = { io, ports, signal: run.signal, env: run.env, cwd: run.cwd };
      const handler = await load();
      await (handler as (flags: unknown, env: CommandEnv, args: string[]) => Promise<void>)(flags, env, positional);
    };
  const program = buildProgram(dispatch, toolVersion);
  // Help and version go to stdout through commander; a write that fails there (`--help >/dev/full`) must not pass
  // silently, while a reader that went away (`| head -1`) is no error of ours.
  const helpWrites: Array<Promise<Error | null | undefined>> = [];
  const writeOut = (text: string) => helpWrites.push(new Promise((resolve) => stdout.write(text, resolve)));
  // Subcommands copy their parent's settings when created, so set these on every one of them.
  for (const command of [program, ...allCommands(program)]) {
    command.exitOverride().configureOutput({
      writeOut,
      writeErr: (text) => stderr.write(text),
      outputError: (text, write) => write(text.startsWith('error:') ? `pai-deploy: ${text}` : text),
    });
  }
  let error: unknown;
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (caught) {
    error = caught;
  }
  try {
    await io?.close();
  } catch (closing) {
    error ??= closing;
  }
  const failedWrite = (await Promise.all(helpWrites)).find(
    (failure) => failure && (failure as NodeJS.ErrnoException).code !== 'EPIPE',
  );
  if (failedWrite) {
    error = new OutputError(
      `cannot write to stdout: ${describeSystemError(failedWrite)}`,
      'Redirect stdout to a file or device with room.',
      failedWrite,
    );
  }
  if (error === undefined) return run.signal.aborted ? exitForSignal(run.signal) : 0;
  const interrupted = run.signal.aborted ? signalName(run.signal) : undefined;
  const report = reportFor(error, Boolean(run.env['PAI_DEPLOY_DEBUG']), interrupted);
  if (interrupted !== undefined)
    stderr.write(
      error instanceof InterruptedError && error.phase !== undefined
        ? `interrupted in phase ${error.phase}\n`
        : 'interrupted\n',
    );
  if (report.text !== undefined) stderr.write(report.text);
  return report.exitCode;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

function signalName(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof InterruptedError ? reason.signal : 'SIGINT';
}

function exitForSignal(signal: AbortSignal): number {
  return signalExitCodes[signalName(signal) as keyof typeof signalExitCodes] ?? 130;
}

/**
 * The process entry: real streams, signals, and the exit. The first SIGINT/SIGTERM/SIGHUP aborts the run (the
 * running phase stops at its next await, clean-ups run, state records the interruption); a second one exits at once.
 */
export async function runCli(): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP') => {
    if (controller.signal.aborted) {
      // Straight to the descriptor: a live display may own the stream.
      writeSync(2, '\ninterrupted again: exiting now\n');
      process.exit(signalExitCodes[signal]);
    }
    controller.abort(new InterruptedError(signal));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => onSignal(signal));
  // A reader that went away (`| head -1`) is not an error of ours; the result writer stops writing.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const code = await main(process.argv.slice(2), {
    streams: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
  if (controller.signal.aborted) {
    // An interrupted read of a FIFO may still hold a thread-pool request open; it must not keep the process alive.
    process.exit(code);
  }
  process.exitCode = code;
}
