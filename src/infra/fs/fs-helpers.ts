import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InterruptedError, systemErrorCode } from '../../errors.js';

/**
 * Directories the writers create are 0755 whatever the umask (under umask 000 they would be 0777, and anyone could
 * swap hosts.yml for their own); directories that already exist keep their mode.
 */
export const NEW_DIR_MODE = 0o755;

/** Clean-up of what a writer staged; a failure here must not hide the error that led to it. */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/** mkdir -p, with the directories it creates at NEW_DIR_MODE and a plain error when a part of the path is a file. */
export async function makeDirs(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: NEW_DIR_MODE }).catch((error: unknown) => {
    // mkdir -p says EEXIST when a part of the path is a regular file; say what is wrong.
    if (systemErrorCode(error) === 'EEXIST')
      throw Object.assign(new Error(`a part of ${path} is a file`), { code: 'ENOTDIR' });
    throw error;
  });
  if (first === undefined) return;
  // mkdir returns the first directory it created; every one from there down to `path` is new.
  for (let dir = path; ; dir = dirname(dir)) {
    await chmod(dir, NEW_DIR_MODE);
    if (dir === first || dirname(dir) === dir) break;
  }
}

export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError('SIGINT');
}
