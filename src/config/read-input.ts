import { readFile } from 'node:fs/promises';
import { describeSystemError, InputFileError } from '../errors.js';

/** Reads an input file; a file that cannot be read at all is a usage error (exit 2), not a finding. */
export async function readInputFile(path: string, what: string, hint: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new InputFileError(path, `${describeSystemError(error)} (${what})`, hint, error);
  }
}
