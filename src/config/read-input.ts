import { readFile } from 'node:fs/promises';
import { whenAborted } from '../cooperate.js';
import { describeSystemError, InputFileError } from '../errors.js';

/**
 * Reads an input file; a file that cannot be read at all is a usage error (exit 2), not a finding. A FIFO (`-l
 * <(generate-layout)`) is read like a file; until its writer shows up, opening it blocks in libuv's thread pool where
 * no signal reaches, so the read is raced against the abort and left behind (main exits the process after an abort).
 */
export async function readInputFile(path: string, what: string, hint: string, signal?: AbortSignal): Promise<Buffer> {
  const reading = readFile(path, signal ? { signal } : {});
  try {
    if (!signal) return await reading;
    return await Promise.race([reading, whenAborted(signal)]);
  } catch (error) {
    reading.catch(() => undefined);
    if (signal?.aborted) throw signal.reason;
    throw new InputFileError(path, `${describeSystemError(error)} (${what})`, hint, error);
  }
}
