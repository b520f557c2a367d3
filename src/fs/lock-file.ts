import { randomBytes } from 'node:crypto';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { describeSystemError, OutputError, systemErrorCode, WorkDirLockedError } from '../errors.js';

/** What a lock file says: who holds the work dir. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  /** The action (user verb) that holds it, e.g. `deploy`. */
  action: string;
}

/** Something a lock wants a person to know (a stale lock taken over, a lock it could not remove). */
export interface LockWarning {
  code: 'lock.stale-taken-over' | 'lock.lost' | 'lock.release-failed';
  text: string;
  data: Record<string, unknown>;
}

/** A held lock. */
export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours; never throws (it runs in `finally` blocks). Idempotent. */
  release(): Promise<void>;
}

export interface LockFileOptions {
  /** The user's verb that takes the lock (`deploy`, `render`), written into it for whoever finds it held. */
  action: string;
  warn: (warning: LockWarning) => void;
  now?: () => Date;
  /** What the lock guards, for the locked error ("the work dir /x"); by default the lock file's directory. */
  subject?: string;
}

/** An unparsable lock older than this is a leftover (a crash between create and write), not one being written. */
const UNPARSABLE_STALE_MS = 60_000;
/** How long to wait for a just-created lock file to get its content before calling it unreadable. */
const YOUNG_UNPARSABLE_WAITS = 20;
const RETRY_DELAY_MS = 25;
/** A bound on the rounds (each at most one short wait), so a pathological race cannot loop for ever. */
const MAX_ROUNDS = 400;

interface SeenFile {
  content: string | undefined;
  ino: number;
  dev: number;
  mtimeMs: number;
}

/**
 * Takes the lock file `path` with an exclusive create, so two runs cannot interleave their changes. A lock
 * left by a process that is gone (same host, dead pid; or an unparsable file older than a minute) is taken over with
 * a warning; any other lock refuses with a WorkDirLockedError naming its holder. The directory must exist.
 *
 * Taking over is the delicate part: "unlink it if it is still the stale one" is not atomic, and a contender that
 * judged the same stale lock could delete the fresh lock another contender has just created in its place (then both
 * would run). So a lock file is only ever deleted by its owner or by the holder of a second exclusive file,
 * `lock.takeover`, who re-reads the lock under it: while it holds the take-over file nobody else can delete the lock,
 * so what it re-read is still what is there when it deletes it.
 */
export async function acquireLockFile(path: string, options: LockFileOptions): Promise<HeldLock> {
  const now = options.now ?? (() => new Date());
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: now().toISOString(),
    action: options.action,
  };
  const content = `${JSON.stringify(holder)}\n`;
  let youngWaits = 0;
  let lastSeen: SeenFile | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const created = await tryCreate(path, content);
    if (created) return heldLock(path, holder, content, created, options.warn);
    const seen = await inspect(path);
    if (seen === undefined) continue; // released between our create and our look: try again
    lastSeen = seen;
    const verdict = judge(seen);
    if (verdict === 'live') throw lockedError(path, seen, options.subject);
    if (verdict === 'young') {
      // Probably created a moment ago by a process that has not written its content yet (create and write are two
      // steps): wait for it briefly before calling it unreadable.
      if (++youngWaits > YOUNG_UNPARSABLE_WAITS) throw lockedError(path, seen, options.subject);
      await delay(RETRY_DELAY_MS);
      continue;
    }
    const takeover = await tryCreate(`${path}.takeover`, content);
    if (!takeover) {
      // Another contender is taking the stale lock over (or died doing so): let it finish, then look again.
      await removeStaleTakeover(`${path}.takeover`);
      await delay(RETRY_DELAY_MS);
      continue;
    }
    try {
      const again = await inspect(path);
      if (again !== undefined && judge(again) === 'stale') {
        await unlink(path).catch((error: unknown) => {
          if (systemErrorCode(error) !== 'ENOENT') throw lockIoError(path, error);
        });
        const mine = await tryCreate(path, content);
        if (mine) {
          notifyTakenOver(options.warn, path, again);
          return heldLock(path, holder, content, mine, options.warn);
        }
      }
      // Gone, replaced by a live lock, or recreated by a plain create just after our unlink: look again.
    } finally {
      await unlink(`${path}.takeover`).catch(() => undefined);
    }
  }
  throw lockedError(path, lastSeen, options.subject);
}

type Verdict = 'live' | 'stale' | 'young';

function judge(seen: SeenFile): Verdict {
  const holder = parseHolder(seen.content);
  if (holder) return holder.host !== hostname() || isAlive(holder.pid) ? 'live' : 'stale';
  // The file system's clock, not options.now (a test clock): mtime is the file system's time.
  return Date.now() - seen.mtimeMs > UNPARSABLE_STALE_MS ? 'stale' : 'young';
}

function lockedError(path: string, seen: SeenFile | undefined, subject: string | undefined): WorkDirLockedError {
  const holder = parseHolder(seen?.content);
  const changed = seen && !holder ? { lockChangedAt: new Date(seen.mtimeMs).toISOString() } : {};
  return new WorkDirLockedError(path, holder, { ...changed, ...(subject ? { subject } : {}) });
}

/**
 * A take-over file outlives its holder only if that process died within the few milliseconds of a take-over. When it
 * names a dead process of this host (or is unparsable, or from another host, and older than a minute) it is moved
 * aside to a unique name (rename is atomic: one contender wins it) and deleted if it is still the file judged stale;
 * if the mover finds it moved a newer take-over file instead, it links that one back.
 */
async function removeStaleTakeover(path: string): Promise<void> {
  const seen = await inspect(path);
  if (seen === undefined) return;
  const holder = parseHolder(seen.content);
  const old = Date.now() - seen.mtimeMs > UNPARSABLE_STALE_MS;
  const stale = holder ? (holder.host === hostname() ? !isAlive(holder.pid) : old) : old;
  if (!stale) return;
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await inspect(aside);
  if (!(moved && moved.ino === seen.ino && moved.dev === seen.dev && moved.content === seen.content)) {
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

async function tryCreate(path: string, content: string): Promise<{ ino: number; dev: number } | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if (systemErrorCode(error) === 'EEXIST') return undefined;
    throw lockIoError(path, error);
  }
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    const stats = await handle.stat();
    return { ino: stats.ino, dev: stats.dev };
  } catch (error) {
    await handle.close().catch(() => undefined);
    handle = undefined;
    await unlink(path).catch(() => undefined);
    throw lockIoError(path, error);
  } finally {
    await handle?.close();
  }
}

/** The lock file's content and identity, or undefined if it is gone. Content undefined: there but unreadable. */
async function inspect(path: string): Promise<SeenFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    const stats = await stat(path).catch(() => undefined);
    return stats && { content: undefined, ino: stats.ino, dev: stats.dev, mtimeMs: stats.mtimeMs };
  }
  try {
    const stats = await handle.stat();
    const content = await handle.readFile('utf8').catch(() => undefined);
    return { content, ino: stats.ino, dev: stats.dev, mtimeMs: stats.mtimeMs };
  } finally {
    await handle.close();
  }
}

function heldLock(
  path: string,
  holder: LockHolder,
  content: string,
  identity: { ino: number; dev: number },
  warn: (warning: LockWarning) => void,
): HeldLock {
  let released = false;
  return {
    path,
    holder,
    async release() {
      if (released) return;
      released = true;
      try {
        const current = await inspect(path);
        if (current && current.ino === identity.ino && current.dev === identity.dev && current.content === content) {
          await unlink(path);
        } else {
          warn({
            code: 'lock.lost',
            text: `${path} is no longer this run's lock (another process replaced it); left it in place`,
            data: { lockPath: path },
          });
        }
      } catch (error) {
        warn({
          code: 'lock.release-failed',
          text: `cannot remove ${path}: ${describeSystemError(error)}; remove it by hand before the next run`,
          data: { lockPath: path },
        });
      }
    },
  };
}

function notifyTakenOver(warn: (warning: LockWarning) => void, path: string, old: SeenFile): void {
  const holder = parseHolder(old.content);
  warn({
    code: 'lock.stale-taken-over',
    text: holder
      ? `took over the stale lock ${path} of pid ${holder.pid} on ${holder.host} (${holder.action}, started ${holder.startedAt}): that process is gone`
      : `took over the unreadable lock ${path}, last written ${new Date(old.mtimeMs).toISOString()}`,
    data: { lockPath: path, previousHolder: holder ?? null },
  });
}

/** Parses a lock file; undefined for anything that is not a complete holder (including pids kill() would misread). */
export function parseHolder(content: string | undefined): LockHolder | undefined {
  if (content === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, host, startedAt, action } = value as Record<string, unknown>;
  // kill(0) and kill(-n) signal process groups, so only a positive pid says anything about one process.
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof host !== 'string' || host === '' || typeof startedAt !== 'string' || typeof action !== 'string')
    return undefined;
  return { pid, host, startedAt, action };
}

/** Signal 0 checks existence only. EPERM means the process exists but belongs to another user: alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return systemErrorCode(error) !== 'ESRCH';
  }
}

function lockIoError(path: string, error: unknown): OutputError {
  return new OutputError(
    `cannot take the lock ${path}: ${describeSystemError(error)}`,
    'Check that you can write to the directory that holds it.',
    error,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
