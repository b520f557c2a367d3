import { join } from 'node:path';
import { acquireLockFile, type HeldLock } from '../fs/lock-file.js';
import type { IoHost } from '../ports/io-host.js';

export { parseHolder, type LockHolder } from '../fs/lock-file.js';

/** A held work-dir lock. */
export type WorkDirLock = HeldLock;

export interface AcquireLockOptions {
  action: string;
  io: IoHost;
  now?: () => Date;
}

export const LOCK_FILE = 'lock';

/** Takes `<root>/lock` (see src/fs/lock-file.ts); its warnings go to the I/O host. The directory must exist. */
export function acquireWorkDirLock(root: string, options: AcquireLockOptions): Promise<WorkDirLock> {
  return acquireLockFile(join(root, LOCK_FILE), {
    action: options.action,
    ...(options.now ? { now: options.now } : {}),
    subject: `the work dir ${root}`,
    warn: (warning) => options.io.notify({ level: 'warn', ...warning }),
  });
}
