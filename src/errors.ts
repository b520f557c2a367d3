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
  constructor(signal: string) {
    super(`interrupted by ${signal}`, { exitCode: ExitCode.interrupted });
  }
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
      default:
        return `${error.code}: ${error.message}`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}
