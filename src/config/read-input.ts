import { closeSync, constants, openSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { whenAborted } from '../cooperate.js';
import { describeSystemError, InputFileError } from '../errors.js';

/**
 * Reads an input file; a file that cannot be read at all is a usage error (exit 2), not a finding. A FIFO (`-l
 * <(generate-layout)`) is read like a file. Until its writer shows up, opening it blocks a thread of libuv's pool,
 * where no signal reaches, and Node waits for that thread even in process.exit: so on an abort the read is raced and
 * the blocked open is released by opening the FIFO's other end once (non-blocking) and closing it, which hands the
 * reader an end of file.
 */
export async function readInputFile(path: string, what: string, hint: string, signal?: AbortSignal): Promise<Buffer> {
  const reading = readFile(path, signal ? { signal } : {});
  try {
    if (!signal) return await reading;
    return await Promise.race([reading, whenAborted(signal)]);
  } catch (error) {
    reading.catch(() => undefined);
    if (signal?.aborted) {
      releaseBlockedFifo(path);
      throw signal.reason;
    }
    throw new InputFileError(path, `${describeSystemError(error)} (${what})`, hint, error);
  }
}

function releaseBlockedFifo(path: string): void {
  try {
    if (!statSync(path).isFIFO()) return;
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // No reader is blocked on it (ENXIO) or it is gone: nothing to release.
  }
}
