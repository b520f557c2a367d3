import { describeSystemError, OutputError } from '../../errors.js';

/**
 * An output stream as the hosts see it: process.stdout/stderr, a tty.WriteStream, or a test double. The size fields
 * are set only on terminals; `fd` lets an interrupt give the cursor back synchronously.
 */
export type HostStream = NodeJS.WritableStream & {
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
  readonly fd?: number;
};

/** The input prompts read from (process.stdin). */
export type HostInput = NodeJS.ReadableStream & { readonly isTTY?: boolean };

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Writes the command's result to stdout. A reader that went away (`pai-deploy plan | head`) is EPIPE: not a failure
 * of the command, so the write resolves and later results are dropped. Anything else (ENOSPC on `>/dev/full`) is a
 * result the user did not get, so it rejects with an OutputError.
 */
export class ResultWriter {
  #readerGone = false;

  constructor(private readonly stream: HostStream) {
    // The failed write's callback reports the error; the stream also emits it as 'error', which would crash the
    // process if nobody listened.
    stream.on('error', (error) => {
      if (errorCode(error) === 'EPIPE') this.#readerGone = true;
    });
  }

  /** Whether stdout's reader has gone (EPIPE); results are then dropped. */
  get readerGone(): boolean {
    return this.#readerGone;
  }

  write(text: string): Promise<void> {
    if (this.#readerGone || text === '') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.stream.write(text, (error) => {
        if (error === undefined || error === null) return resolve();
        if (errorCode(error) === 'EPIPE') {
          this.#readerGone = true;
          return resolve();
        }
        reject(
          new OutputError(
            `cannot write the result to stdout: ${describeSystemError(error)}`,
            'Redirect stdout to a file or device with room, or pipe it to a reader that keeps reading.',
            error,
          ),
        );
      });
    });
  }
}

/**
 * Fire-and-forget text for stderr. Progress that cannot be shown must not fail the command: after the first error
 * (stderr closed or full) further text is dropped.
 */
export class StderrSink {
  #broken = false;
  #pending = 0;
  #drained: Array<() => void> = [];

  constructor(readonly stream: HostStream) {
    stream.on('error', () => {
      this.#broken = true;
    });
  }

  write(text: string): void {
    if (this.#broken || text === '') return;
    this.#pending += 1;
    this.stream.write(text, (error) => {
      if (error) this.#broken = true;
      this.#pending -= 1;
      if (this.#pending === 0) for (const resolve of this.#drained.splice(0)) resolve();
    });
  }

  /** Resolves once everything written so far has been handed to the operating system (or failed). */
  flush(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}
