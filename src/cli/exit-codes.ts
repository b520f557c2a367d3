import { CommanderError } from './commander.js';
import { ExitCode, FindingsError, PaiDeployError, type ExitCodeValue } from '../errors.js';

/**
 * The one table from outcomes to exit codes (README documents it):
 *   0 fine · 1 findings, failed checks or a failed phase · 2 bad usage or an unreadable input ·
 *   130 interrupted by SIGINT · 143 by SIGTERM · 129 by SIGHUP.
 */
export const signalExitCodes: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};

export interface ErrorReport {
  exitCode: number;
  /** What to print on stderr, or undefined when it was already shown (findings) or nothing is to be said. */
  text: string | undefined;
}

export function reportFor(error: unknown, debug: boolean, signal: string | undefined): ErrorReport {
  if (signal !== undefined)
    return {
      exitCode: signalExitCodes[signal as keyof typeof signalExitCodes] ?? ExitCode.interrupted,
      text: undefined,
    };
  if (error instanceof FindingsError) return { exitCode: ExitCode.failed, text: undefined };
  if (error instanceof CommanderError) {
    // commander has already printed its message (with "Did you mean ...?"). --help and --version exit 0; help shown
    // because a command was incomplete (`pai-deploy config`) is a usage error.
    return { exitCode: error.exitCode === 0 ? ExitCode.ok : ExitCode.usage, text: undefined };
  }
  if (error instanceof PaiDeployError) {
    return {
      exitCode: error.exitCode as ExitCodeValue,
      text: `error: ${error.message}\n${error.hint ? `    hint: ${error.hint}\n` : ''}`,
    };
  }
  const detail = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
  return {
    exitCode: ExitCode.failed,
    text: `internal error: ${detail}\n    hint: this is a bug in pai-deploy; rerun with PAI_DEPLOY_DEBUG=1 and report the output\n`,
  };
}
