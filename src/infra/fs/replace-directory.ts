import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, open, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeSystemError, InterruptedError, OutputError, systemErrorCode } from '../../errors.js';
import { acquireLockFile } from '../../fs/lock-file.js';
import type { FileToWrite, ReplaceDirectoryOptions, ReplacedDirectory } from '../../ports/ports.js';
import { makeDirs, NEW_DIR_MODE, removeQuietly, stopIfAborted } from './fs-helpers.js';

/**
 * Replaces the directory `target` with one holding exactly `files`, plus every entry of the old directory that is
 * not one of them (kubespray's inventory/credentials/ and artifacts/, a user's notes), in one step: a failure or an
 * interrupt at any point leaves the old directory byte-identical, or the new one complete.
 *
 * How: under a lock beside the target (`.NAME.lock`, so two renders cannot interleave), a complete new directory is
 * staged next to it (`.NAME.new-*`: the files written and synced, the entries it keeps hard-linked, which costs no
 * copy and keeps their bytes and modes), then swapped in. Linux's renameat2(RENAME_EXCHANGE) would swap the two in
 * one system call, but Node exposes no renameat2 (and a native addon for one call is not worth its build), so the
 * swap is two renames, `target → .NAME.old-*` and `staging → target`, done synchronously: no JavaScript (a signal
 * handler, the second Ctrl-C's exit) can run between them. Only a SIGKILL or a power cut can; then the next write
 * finds `.NAME.old-*` without `target` under the lock and renames it back before doing anything else.
 */
export async function replaceDirectory(
  target: string,
  files: readonly FileToWrite[],
  options: ReplaceDirectoryOptions,
): Promise<ReplacedDirectory> {
  const { signal } = options;
  const parent = dirname(target);
  const name = basename(target);
  const existing = await lstat(target).catch((error: unknown) => {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw outputError(target, error);
  });
  if (existing && !existing.isDirectory()) {
    throw new OutputError(
      `${target} exists and is not a directory`,
      'Choose another output directory, or move that file away; nothing was changed.',
    );
  }
  stopIfAborted(signal);
  await makeDirs(parent).catch((error: unknown) => {
    throw outputError(target, error);
  });
  const lock = await acquireLockFile(join(parent, `.${name}.lock`), {
    action: options.action,
    subject: `the output directory ${target}`,
    warn: (warning) => options.io.notify({ level: 'warn', ...warning }),
  });
  try {
    const restored = await recoverInterruptedSwap(parent, name, target);
    if (restored) {
      options.io.notify({
        level: 'warn',
        code: 'output.restored',
        text: `${target} was missing after an interrupted write (the process was killed between two renames); restored the previous ${target} from ${restored}`,
        data: { target, from: restored },
      });
    }
    const old = await lstat(target).then(
      (stats) => stats,
      () => undefined,
    );
    const plan = await planTree(target, old !== undefined, files);
    const token = randomBytes(4).toString('hex');
    const staging = join(parent, `.${name}.new-${token}`);
    try {
      await stage(staging, target, old?.mode, files, plan, signal);
      stopIfAborted(signal);
      swap(target, staging, old !== undefined ? join(parent, `.${name}.old-${token}`) : undefined);
    } catch (error) {
      await removeQuietly(staging);
      throw error instanceof OutputError || error instanceof InterruptedError || signal.aborted
        ? error
        : outputError(target, error);
    }
    if (old) {
      const aside = join(parent, `.${name}.old-${token}`);
      await rm(aside, { recursive: true, force: true }).catch((error: unknown) => {
        options.io.notify({
          level: 'warn',
          code: 'output.old-left',
          text: `${target} was replaced, but its previous version ${aside} could not be removed: ${describeSystemError(error)}; remove it by hand`,
          data: { target, aside },
        });
      });
    }
    return { kept: plan.kept };
  } finally {
    await lock.release();
  }
}

interface TreePlan {
  /** Relative paths of the old entries carried into the new directory (the top-most of each kept subtree). */
  kept: string[];
}

/**
 * Decides what the old directory contributes, and refuses, before anything is staged, an old entry that a new file
 * would silently destroy: a directory where a file goes, or a file where a directory must go (pai-deploy never
 * deletes what it did not write).
 */
async function planTree(target: string, exists: boolean, files: readonly FileToWrite[]): Promise<TreePlan> {
  const ownedFiles = new Set(files.map((file) => file.path));
  const ownedDirs = new Set<string>();
  for (const path of ownedFiles) {
    for (let dir = dirname(path); dir !== '.'; dir = dirname(dir)) ownedDirs.add(dir);
  }
  for (const path of ownedFiles) {
    if (ownedDirs.has(path)) throw new Error(`internal: ${path} is both a file and a directory of the output`);
  }
  const kept: string[] = [];
  if (!exists) return { kept };
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(target, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (ownedFiles.has(path)) {
        if (entry.isDirectory()) {
          throw new OutputError(
            `cannot write ${join(target, path)}: it is a directory`,
            'Move the directory away or choose another output; nothing was changed.',
          );
        }
      } else if (ownedDirs.has(path)) {
        if (!entry.isDirectory()) {
          throw new OutputError(
            `cannot write below ${join(target, path)}: it is a file, and pai-deploy writes a directory there`,
            'Move the file away or choose another output; nothing was changed.',
          );
        }
        await walk(path);
      } else {
        kept.push(path);
      }
    }
  };
  await walk('');
  return { kept };
}

async function stage(
  staging: string,
  target: string,
  rootMode: number | undefined,
  files: readonly FileToWrite[],
  plan: TreePlan,
  signal: AbortSignal,
): Promise<void> {
  await mkdir(staging, { mode: 0o700 });
  const madeDirs = new Set<string>(['.']);
  // A directory of the new tree gets the mode its old counterpart had (a user's 0700 stays 0700), else 0755.
  const ensureDir = async (relative: string): Promise<void> => {
    if (madeDirs.has(relative)) return;
    await ensureDir(dirname(relative));
    const old = await stat(join(target, relative)).catch(() => undefined);
    await mkdir(join(staging, relative), { mode: 0o700 });
    await chmod(join(staging, relative), old?.isDirectory() ? old.mode & 0o7777 : NEW_DIR_MODE);
    madeDirs.add(relative);
  };
  for (const file of files) {
    stopIfAborted(signal);
    await ensureDir(dirname(file.path));
    const path = join(staging, file.path);
    const handle = await open(path, 'wx', file.mode);
    try {
      await handle.writeFile(file.content, 'utf8');
      // The umask may have narrowed the mode; secrets must be exactly 0600, the rest readable.
      await handle.chmod(file.mode);
      // Synced before the swap, so a power cut after it cannot leave the new names with empty files.
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  for (const path of plan.kept) {
    stopIfAborted(signal);
    await ensureDir(dirname(path));
    await carry(join(target, path), join(staging, path), signal);
  }
  await chmod(staging, rootMode === undefined ? NEW_DIR_MODE : rootMode & 0o7777);
}

/** Puts an old entry into the new tree unchanged: directories rebuilt, symlinks re-made, everything else linked. */
async function carry(from: string, to: string, signal: AbortSignal): Promise<void> {
  stopIfAborted(signal);
  const stats = await lstat(from);
  if (stats.isDirectory()) {
    await mkdir(to, { mode: 0o700 });
    for (const entry of await readdir(from)) await carry(join(from, entry), join(to, entry), signal);
    await chmod(to, stats.mode & 0o7777);
  } else if (stats.isSymbolicLink()) {
    await symlink(await readlink(from), to);
  } else {
    await link(from, to).catch(async (error: unknown) => {
      // fs.protected_hardlinks refuses links to files of other users (EPERM); a file system may not have links.
      if (
        !stats.isFile() ||
        !['EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV'].includes(systemErrorCode(error) ?? '')
      )
        throw error;
      await copyFile(from, to);
      await chmod(to, stats.mode & 0o7777);
    });
  }
}

/** The swap itself: synchronous on purpose (see replaceDirectory). Puts the old directory back if the second fails. */
function swap(target: string, staging: string, aside: string | undefined): void {
  if (aside === undefined) {
    renameSync(staging, target);
    return;
  }
  renameSync(target, aside);
  try {
    renameSync(staging, target);
  } catch (error) {
    try {
      renameSync(aside, target);
    } catch (restoreError) {
      throw new OutputError(
        `could not replace ${target}: ${describeSystemError(error)}; and putting the previous version back failed too (${describeSystemError(restoreError)})`,
        `The previous ${target} is intact at ${aside}: rename it back by hand.`,
        error,
      );
    }
    throw error;
  }
}

/**
 * A process killed between the swap's two renames leaves `.NAME.old-*` and no `NAME`: rename the newest back. Any
 * other `.NAME.old-*` / `.NAME.new-*` is a leftover of a dead writer (the lock is ours) and is removed.
 */
async function recoverInterruptedSwap(parent: string, name: string, target: string): Promise<string | undefined> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  const prefixOld = `.${name}.old-`;
  const prefixNew = `.${name}.new-`;
  const olds = entries.filter((entry) => entry.startsWith(prefixOld));
  const news = entries.filter((entry) => entry.startsWith(prefixNew));
  let restored: string | undefined;
  const targetExists = await lstat(target).then(
    () => true,
    () => false,
  );
  if (!targetExists && olds.length > 0) {
    const stats = await Promise.all(
      olds.map(async (entry) => ({ entry, mtime: (await lstat(join(parent, entry))).mtimeMs })),
    );
    const newest = stats.sort((a, b) => b.mtime - a.mtime)[0]!.entry;
    renameSync(join(parent, newest), target);
    restored = join(parent, newest);
  }
  for (const entry of [...olds, ...news]) {
    if (restored !== join(parent, entry)) await removeQuietly(join(parent, entry));
  }
  return restored;
}

function outputError(target: string, error: unknown): OutputError {
  return new OutputError(
    `could not write ${target}: ${describeSystemError(error)}`,
    'Check free space and permissions; nothing was changed.',
    error,
  );
}
