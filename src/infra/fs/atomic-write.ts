import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeSystemError, InterruptedError, OutputError } from '../../errors.js';
import { onInterrupt } from '../../interrupt.js';
import type { RenderedFile } from '../../render/render-cluster.js';

/**
 * Writes all files or none. A new directory is built aside and renamed into place in one step. In an existing
 * directory (which kubespray also writes credentials/ and artifacts/ into, so it cannot be swapped wholesale) every
 * file is first staged as a temp file next to its target, then all are renamed; a failure while staging removes
 * the temp files and leaves the old files untouched. Ctrl-C removes what was staged and stops the writing (the
 * process may still have asynchronous clean-ups to finish, so the writer must not carry on).
 */
export async function writeFilesAtomically(outDir: string, files: readonly RenderedFile[]): Promise<void> {
  const exists = await stat(outDir).then(
    (stats) => {
      if (!stats.isDirectory()) throw new OutputError(`${outDir} exists and is not a directory`, 'Choose another --out directory.');
      return true;
    },
    () => false,
  );
  const token = randomBytes(4).toString('hex');
  if (!exists) {
    const staging = join(dirname(outDir), `.${basename(outDir)}.tmp-${token}`);
    let interrupted = false;
    const forget = onInterrupt(() => {
      interrupted = true;
      rmSync(staging, { recursive: true, force: true });
    });
    try {
      await mkdir(dirname(outDir), { recursive: true });
      await writeAll(staging, files, () => interrupted);
      stopIf(interrupted);
      await rename(staging, outDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw wrap(error, outDir);
    } finally {
      forget();
    }
    return;
  }
  const staged: Array<{ temp: string; target: string }> = [];
  let interrupted = false;
  const forget = onInterrupt(() => {
    interrupted = true;
    staged.forEach(({ temp }) => rmSync(temp, { force: true }));
  });
  try {
    try {
      for (const file of files) {
        stopIf(interrupted);
        const target = join(outDir, file.path);
        const temp = join(dirname(target), `.${basename(target)}.tmp-${token}`);
        await mkdir(dirname(target), { recursive: true });
        staged.push({ temp, target });
        await writeFile(temp, file.content, { mode: file.mode, flag: 'wx' });
        await chmod(temp, file.mode);
      }
      stopIf(interrupted);
    } catch (error) {
      await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
      throw wrap(error, outDir);
    }
    for (const { temp, target } of staged) await rename(temp, target);
  } finally {
    forget();
  }
}

async function writeAll(root: string, files: readonly RenderedFile[], interrupted: () => boolean): Promise<void> {
  for (const file of files) {
    stopIf(interrupted());
    const target = join(root, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: file.mode, flag: 'wx' });
    // The umask may have narrowed the mode; secrets must be exactly 0600, the rest readable.
    await chmod(target, file.mode);
  }
}

function stopIf(interrupted: boolean): void {
  if (interrupted) throw new InterruptedError('SIGINT');
}

function wrap(error: unknown, outDir: string): Error {
  if (error instanceof OutputError || error instanceof InterruptedError) return error;
  return new OutputError(`could not write to ${outDir}: ${describeSystemError(error)}`, 'Check free space and permissions; nothing was changed.', error);
}
