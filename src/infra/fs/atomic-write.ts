import { randomBytes } from 'node:crypto';
import { chmod, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeSystemError, InterruptedError, OutputError } from '../../errors.js';
import type { FileToWrite } from '../../ports/ports.js';
import { makeDirs, removeQuietly, stopIfAborted } from './fs-helpers.js';

/**
 * Writes all files or none, into a directory that holds other things too (config init into the user's directory,
 * check reports into logs/); render's output, which pai-deploy owns whole, is swapped in one step instead
 * (replace-directory.ts). A new directory is built aside and renamed into place in one step. In an existing
 * directory every file is first staged as a temp file next to its target, then all are renamed; a failure while staging removes
 * the temp files and leaves the old files untouched. An abort (Ctrl-C) is seen between files: what was staged is
 * removed and the write rejects, so the caller's clean-ups run on a tree that is as it was.
 */
export async function writeFilesAtomically(
  outDir: string,
  files: readonly FileToWrite[],
  signal?: AbortSignal,
): Promise<void> {
  const exists = await stat(outDir).then(
    (stats) => {
      if (!stats.isDirectory())
        throw new OutputError(`${outDir} exists and is not a directory`, 'Choose another --out directory.');
      return true;
    },
    () => false,
  );
  const token = randomBytes(4).toString('hex');
  if (!exists) {
    const staging = join(dirname(outDir), `.${basename(outDir)}.tmp-${token}`);
    try {
      await makeDirs(dirname(outDir));
      await writeAll(staging, files, signal);
      stopIfAborted(signal);
      await rename(staging, outDir);
    } catch (error) {
      await removeQuietly(staging);
      throw wrap(error, outDir, signal);
    }
    return;
  }
  // A target that is a directory cannot be replaced by a file: refuse before anything is staged.
  for (const file of files) {
    const target = join(outDir, file.path);
    if (await isDirectory(target)) {
      throw new OutputError(
        `cannot write ${target}: it is a directory`,
        'Move the directory away or choose another output; nothing was changed.',
      );
    }
  }
  const staged: Array<{ temp: string; target: string }> = [];
  try {
    for (const file of files) {
      stopIfAborted(signal);
      const target = join(outDir, file.path);
      const temp = join(dirname(target), `.${basename(target)}.tmp-${token}`);
      await makeDirs(dirname(target));
      staged.push({ temp, target });
      await writeFile(temp, file.content, { mode: file.mode, flag: 'wx' });
      await chmod(temp, file.mode);
    }
    stopIfAborted(signal);
  } catch (error) {
    await Promise.all(staged.map(({ temp }) => removeQuietly(temp)));
    throw wrap(error, outDir, signal);
  }
  // Past this point the renames are quick and each is atomic; finishing them is better than a mix of old and new.
  let renamed = 0;
  try {
    for (const { temp, target } of staged) {
      await rename(temp, target);
      renamed++;
    }
  } catch (error) {
    await Promise.all(staged.slice(renamed).map(({ temp }) => removeQuietly(temp)));
    throw new OutputError(
      `could not finish writing ${outDir}: ${describeSystemError(error)} (${renamed} of ${staged.length} files were replaced)`,
      'Fix the cause and render again: the same input gives the same files.',
      error,
    );
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

async function writeAll(root: string, files: readonly FileToWrite[], signal: AbortSignal | undefined): Promise<void> {
  for (const file of files) {
    stopIfAborted(signal);
    const target = join(root, file.path);
    await makeDirs(dirname(target));
    await writeFile(target, file.content, { mode: file.mode, flag: 'wx' });
    // The umask may have narrowed the mode; secrets must be exactly 0600, the rest readable.
    await chmod(target, file.mode);
  }
}

function wrap(error: unknown, outDir: string, signal: AbortSignal | undefined): unknown {
  if (error instanceof OutputError || error instanceof InterruptedError || signal?.aborted) return error;
  return new OutputError(
    `could not write to ${outDir}: ${describeSystemError(error)}`,
    'Check free space and permissions; nothing was changed.',
    error,
  );
}
