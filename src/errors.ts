import { dirname } from 'node:path';

/**
 * Typed errors that carry what the user must do. Only src/cli/main.ts turns them into exit codes.
 * Exit codes: 0 fine, 1 findings or failed work, 2 bad usage or unreadable input, 130 interrupted.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class PaiDeployError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.hint = options.hint;
  }
}

/** Wrong flags, missing arguments, unknown commands. */
export class UsageError extends PaiDeployError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint: hint ?? 'Run with --help to see the usage and examples.' });
  }
}

/** An input file that cannot be read at all (missing, a directory, no permission). */
export class InputFileError extends PaiDeployError {
  readonly path: string;
  constructor(path: string, reason: string, hint: string, cause?: unknown) {
    super(`cannot read ${path}: ${reason}`, { exitCode: ExitCode.usage, hint, cause });
    this.path = path;
  }
}

/** Validation found errors; the findings have already been reported. */
export class FindingsError extends PaiDeployError {
  readonly errorCount: number;
  constructor(errorCount: number) {
    super(`${errorCount} error${errorCount === 1 ? '' : 's'} found`, { exitCode: ExitCode.failed });
    this.errorCount = errorCount;
  }
}

/** Writing output failed (disk full, permission); nothing half-written was left behind. */
export class OutputError extends PaiDeployError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.failed, hint, cause });
  }
}

export class InterruptedError extends PaiDeployError {
  /** What stopped the run, e.g. `SIGINT` (the abort signal's reason), or `abort` when it gave none. */
  readonly signal: string;
  /** The phase that was running (or about to run) when the run stopped. */
  readonly phase: string | undefined;

  constructor(signal: string, options: { phase?: string; message?: string; cause?: unknown } = {}) {
    const message =
      options.message ??
      (options.phase === undefined ? `interrupted by ${signal}` : `interrupted in phase ${options.phase}`);
    super(message, { exitCode: ExitCode.interrupted, cause: options.cause });
    this.signal = signal;
    this.phase = options.phase;
  }
}

/**
 * Another pai-deploy run holds the work dir's lock. `holder` is what its lock file says, or undefined when the file
 * could not be read (then `lockChangedAt` says when it was last written).
 */
/** A lock file (a work dir's, or an output directory's) held by another run. */
export class WorkDirLockedError extends PaiDeployError {
  readonly lockPath: string;
  readonly holder: { pid: number; host: string; startedAt: string; action: string } | undefined;

  constructor(
    lockPath: string,
    holder: { pid: number; host: string; startedAt: string; action: string } | undefined,
    options: { lockChangedAt?: string; subject?: string } = {},
  ) {
    const subject = options.subject ?? `the work dir ${dirname(lockPath)}`;
    super(
      holder
        ? `${subject} is in use by pid ${holder.pid} on ${holder.host} (${holder.action}, started ${holder.startedAt})`
        : `${subject} is locked by an unreadable lock file${options.lockChangedAt ? ` (last written ${options.lockChangedAt})` : ''}`,
      {
        exitCode: ExitCode.failed,
        hint: holder
          ? `Wait for that run to finish. If pid ${holder.pid} is no longer running on ${holder.host}, remove ${lockPath} and retry.`
          : `Wait for any other pai-deploy run on it to finish. If none is running, remove ${lockPath} and retry.`,
      },
    );
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

/** The `code` of a Node system error (ENOENT, EEXIST…), if the error has one. */
export function systemErrorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export function describeSystemError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    switch (error.code) {
      case 'ENOENT':
        return 'no such file or directory';
      case 'EACCES':
      case 'EPERM':
        return 'permission denied';
      case 'EISDIR':
        return 'is a directory';
      case 'ENOSPC':
        return 'no space left on device';
      case 'ENOTDIR':
        return 'a part of the path is a file, not a directory';
      case 'EROFS':
        return 'read-only file system';
      case 'EEXIST':
        return 'already exists';
      default:
        // Node's messages already start with the code ("ENOTEMPTY: directory not empty, rename ...").
        return error.message.startsWith(error.code) ? error.message : `${error.code}: ${error.message}`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}
