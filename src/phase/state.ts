import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeSystemError, OutputError, PaiDeployError, systemErrorCode } from '../errors.js';
import type { IoHost } from '../ports/io-host.js';
import type { PhaseRecord } from './phase.js';

export const STATE_FILE = 'state.json';
export const STATE_VERSION = 1;

export type RunOutcome = 'running' | 'done' | 'failed' | 'interrupted';

/** The last run of any action on this work dir; `phase` names where a failed or interrupted run stopped. */
export interface LastRun {
  action: string;
  startedAt: string;
  finishedAt?: string;
  outcome: RunOutcome;
  phase?: string;
}

/** `<workdir>/state.json`: what each phase left, across runs and actions. */
export interface StateFile {
  version: typeof STATE_VERSION;
  /** The action that wrote the file last. */
  action: string;
  updatedAt: string;
  /** By phase id. Phases of other actions are kept: the file is shared by every action on the work dir. */
  phases: Record<string, PhaseRecord>;
  lastRun: LastRun;
}

const recordSchema = z.object({
  status: z.enum(['running', 'done', 'failed', 'interrupted', 'skipped']),
  inputHash: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  outputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  reason: z.string().optional(),
});

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  action: z.string(),
  updatedAt: z.string(),
  phases: z.record(z.string(), recordSchema),
  lastRun: z.object({
    action: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    outcome: z.enum(['running', 'done', 'failed', 'interrupted']),
    phase: z.string().optional(),
  }),
});

export interface ReadStateOptions {
  io: IoHost;
  now?: () => Date;
  /**
   * Only look (dry-run, or no lock held): a corrupt file is reported but not moved aside, and temp files of an
   * interrupted write are left alone.
   */
  readOnly?: boolean;
}

/**
 * Loads state.json; undefined when there is none. A corrupt or unreadable file is not fatal (it only costs the
 * skipping of finished phases): it is reported, kept as `state.json.corrupt-<time>` and the run starts fresh. A file
 * from a newer pai-deploy is refused rather than overwritten, as its records may mean more than this version knows.
 * Call it holding the work dir's lock (unless readOnly): it removes temp files left by a write that crashed.
 */
export async function readState(root: string, options: ReadStateOptions): Promise<StateFile | undefined> {
  const path = join(root, STATE_FILE);
  if (!options.readOnly) await removeLeftoverTemps(root);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    return await setAside(path, describeSystemError(error), options);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return await setAside(path, `not JSON (${error instanceof Error ? error.message : String(error)})`, options);
  }
  const version = typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new PaiDeployError(
      `${path} was written by a newer pai-deploy (state version ${version}; this one reads ${STATE_VERSION})`,
      {
        hint: 'Use that newer pai-deploy for this cluster, or move the file away to start with no record of earlier runs.',
      },
    );
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return await setAside(path, `unexpected content${where}: ${issue?.message ?? 'invalid'}`, options);
  }
  return parsed.data;
}

/**
 * Replaces state.json atomically: a temp file in the same directory (so the rename cannot cross file systems),
 * fsynced before the rename so a power cut leaves either the old file or the new one, never a truncated one.
 */
export async function writeState(root: string, state: StateFile): Promise<void> {
  const target = join(root, STATE_FILE);
  const temp = join(root, `${STATE_FILE}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const text = `${JSON.stringify(state, null, 2)}\n`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      // open()'s mode is narrowed by the umask; the state is private (it names hosts and paths), exactly 0600.
      await handle.chmod(0o600);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new OutputError(
      `cannot write ${target}: ${describeSystemError(error)}`,
      'Check the free space and permissions of the work dir.',
      error,
    );
  }
  await syncDirectory(root);
}

async function setAside(path: string, why: string, options: ReadStateOptions): Promise<undefined> {
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/:/g, '-');
  const keptAs = `${path}.corrupt-${stamp}`;
  let kept = false;
  if (!options.readOnly) {
    kept = await rename(path, keptAs).then(
      () => true,
      () => false,
    );
  }
  options.io.notify({
    level: 'warn',
    code: 'state.unreadable',
    text: `${path} is unreadable (${why}); starting with no record of earlier runs${kept ? `, the file is kept as ${keptAs}` : ''}`,
    data: { path, reason: why, keptAs: kept ? keptAs : null },
  });
  return undefined;
}

/** A crash between writing the temp file and renaming it leaves the temp behind; only the lock holder writes. */
async function removeLeftoverTemps(root: string): Promise<void> {
  const names = await readdir(root).catch(() => []);
  await Promise.all(
    names
      .filter((name) => name.startsWith(`${STATE_FILE}.tmp-`))
      .map((name) => rm(join(root, name), { force: true }).catch(() => undefined)),
  );
}

/** Makes the rename itself durable. Best effort: some platforms and file systems cannot fsync a directory. */
async function syncDirectory(root: string): Promise<void> {
  try {
    const handle = await open(root, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file's content is already synced; only the rename's durability is at stake.
  }
}
