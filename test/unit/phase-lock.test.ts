import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkDirLockedError } from '../../src/errors.js';
import { acquireWorkDirLock, parseHolder, type WorkDirLock } from '../../src/phase/lock.js';
import { FakeIoHost } from '../support/fake-io.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const lockModule = new URL('../../src/phase/lock.ts', import.meta.url).href;
const managerModule = new URL('../../src/phase/manager.ts', import.meta.url).href;

/**
 * The other process of these tests: a real Node process (TypeScript through tsx) that holds a lock, races for one, or
 * runs an action under umask 000 (process.umask cannot be changed inside vitest's worker threads).
 */
const CHILD_SCRIPT = `
const [mode, root] = process.argv.slice(2);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
const io = { notify: (message) => say({ notify: message }), span: () => ({ update() {}, end() {} }) };
if (mode === 'hold' || mode === 'race') {
  // Driven through stdin: a line starts a racer, the end of stdin releases the lock and ends the process.
  const lines = [];
  let wake;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { lines.push(chunk); wake?.(); });
  const stdinEnded = new Promise((resolve) => process.stdin.on('end', resolve));
  const nextInput = () => new Promise((resolve) => { if (lines.length) resolve(); else wake = resolve; });
  const { acquireWorkDirLock } = await import(${JSON.stringify(lockModule)});
  if (mode === 'race') { say({ ready: true }); await nextInput(); }
  let lock;
  try {
    lock = await acquireWorkDirLock(root, { action: 'child-' + mode, io });
    say({ held: process.pid });
  } catch (error) {
    say({ refused: error.name, message: error.message });
  }
  await stdinEnded;
  await lock?.release();
} else if (mode === 'umask') {
  process.umask(0);
  const { runAction } = await import(${JSON.stringify(managerModule)});
  const { statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const modes = {};
  const modeOf = (path) => (statSync(path).mode & 0o777).toString(8);
  const dir = { root, inventory: join(root, 'inventory') };
  await runAction(
    {
      name: 'umask',
      data: {},
      phases: [{
        id: 'a',
        title: 'A',
        prepare: (ctx) => ctx.useWorkDir(dir),
        run: async () => { modes.dir = modeOf(root); modes.lock = modeOf(join(root, 'lock')); modes.stateDuring = modeOf(join(root, 'state.json')); },
      }],
    },
    { io, ports: {}, signal: new AbortController().signal, dryRun: false },
  );
  modes.state = modeOf(join(root, 'state.json'));
  say(modes);
}
`;

interface Child {
  process: ChildProcessWithoutNullStreams;
  /** The next JSON line the child prints that has the key. */
  next(key: string): Promise<Record<string, unknown>>;
}

let scriptPath = '';
const children: Child[] = [];
const temps: string[] = [];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pai-deploy-lock-child-'));
  scriptPath = join(dir, 'child.mjs');
  writeFileSync(scriptPath, CHILD_SCRIPT);
  temps.push(dir);
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL');
});
afterAll(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pai-deploy-lock-'));
  temps.push(dir);
  return dir;
}

function startChild(mode: string, root: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', scriptPath, mode, root], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const seen: Array<Record<string, unknown>> = [];
  const waiting: Array<{ key: string; resolve: (value: Record<string, unknown>) => void }> = [];
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const value = JSON.parse(line) as Record<string, unknown>;
    const index = waiting.findIndex((wait) => wait.key in value);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(value);
    else seen.push(value);
  });
  const exited = new Promise<never>((_, reject) =>
    proc.on('exit', (code) => reject(new Error(`child ${mode} exited (${code}): ${stderr}`))),
  );
  exited.catch(() => undefined);
  const child: Child = {
    process: proc,
    next: (key) => {
      const index = seen.findIndex((value) => key in value);
      if (index >= 0) return Promise.resolve(seen.splice(index, 1)[0]!);
      return Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.push({ key, resolve })), exited]);
    },
  };
  children.push(child);
  return child;
}

function waitForExit(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.process.on('exit', () => resolve()));
}

/** The pid of a process that has come and gone. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  return result.pid!;
}

function writeLock(root: string, holder: Record<string, unknown>): void {
  writeFileSync(join(root, 'lock'), JSON.stringify(holder));
}

const lockFileOf = (root: string) => JSON.parse(readFileSync(join(root, 'lock'), 'utf8')) as unknown;

describe('work-dir lock', () => {
  it('is an exclusive 0600 file naming pid, host, start time and action; release removes it, once', async () => {
    const root = await tempDir();
    const io = new FakeIoHost();
    const lock = await acquireWorkDirLock(root, { action: 'deploy', io, now: () => new Date('2030-01-01T00:00:00Z') });
    expect(lock.holder).toEqual({
      pid: process.pid,
      host: hostname(),
      startedAt: '2030-01-01T00:00:00.000Z',
      action: 'deploy',
    });
    expect(lockFileOf(root)).toEqual(lock.holder);
    expect(statSync(lock.path).mode & 0o777).toBe(0o600);
    await lock.release();
    expect(existsSync(lock.path)).toBe(false);
    await lock.release();
    expect(io.messages).toEqual([]);
  });

  it('refuses a second run of this process while the first holds it', async () => {
    const root = await tempDir();
    const lock = await acquireWorkDirLock(root, { action: 'deploy', io: new FakeIoHost() });
    await expect(acquireWorkDirLock(root, { action: 'check', io: new FakeIoHost() })).rejects.toBeInstanceOf(
      WorkDirLockedError,
    );
    await lock.release();
  });

  it('on release, leaves a lock file that is no longer ours and says so', async () => {
    const root = await tempDir();
    const io = new FakeIoHost();
    const lock = await acquireWorkDirLock(root, { action: 'deploy', io });
    const other = { pid: 1, host: 'elsewhere', startedAt: 'x', action: 'deploy' };
    writeLock(root, other);
    await lock.release();
    expect(lockFileOf(root)).toEqual(other);
    expect(io.withCode('lock.lost')).toHaveLength(1);
  });

  it('is refused while a live process holds it, naming the holder, and free once it releases', async () => {
    const root = await tempDir();
    const child = startChild('hold', root);
    const { held } = await child.next('held');
    expect(held).toBe(child.process.pid);
    const error: unknown = await acquireWorkDirLock(root, { action: 'deploy', io: new FakeIoHost() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkDirLockedError);
    const locked = error as WorkDirLockedError;
    expect(locked.exitCode).toBe(1);
    expect(locked.holder).toMatchObject({ pid: child.process.pid, host: hostname(), action: 'child-hold' });
    expect(locked.message).toBe(
      `the work dir ${root} is in use by pid ${child.process.pid} on ${hostname()} (child-hold, started ${locked.holder!.startedAt})`,
    );
    expect(locked.hint).toBe(
      `Wait for that run to finish. If pid ${child.process.pid} is no longer running on ${hostname()}, remove ${join(root, 'lock')} and retry.`,
    );

    child.process.stdin.end();
    await waitForExit(child);
    const lock = await acquireWorkDirLock(root, { action: 'deploy', io: new FakeIoHost() });
    await lock.release();
  });

  it('takes over the lock of a holder that was killed, naming it', async () => {
    const root = await tempDir();
    const child = startChild('hold', root);
    await child.next('held');
    const pid = child.process.pid!;
    child.process.kill('SIGKILL');
    await waitForExit(child);
    expect(lockFileOf(root)).toMatchObject({ pid });
    const io = new FakeIoHost();
    const lock = await acquireWorkDirLock(root, { action: 'deploy', io });
    expect(lockFileOf(root)).toMatchObject({ pid: process.pid, action: 'deploy' });
    const [warning] = io.withCode('lock.stale-taken-over');
    expect(warning).toMatchObject({
      level: 'warn',
      data: { previousHolder: { pid, host: hostname(), action: 'child-hold' } },
    });
    expect(warning!.text).toContain(`pid ${pid} on ${hostname()}`);
    await lock.release();
  });

  it('takes over a lock naming a dead pid on this host, leaving no stale copy behind', async () => {
    const root = await tempDir();
    const pid = deadPid();
    writeLock(root, { pid, host: hostname(), startedAt: '2030-01-01T00:00:00.000Z', action: 'deploy' });
    const io = new FakeIoHost();
    const lock = await acquireWorkDirLock(root, { action: 'render', io });
    expect(io.withCode('lock.stale-taken-over')[0]!.text).toContain(`pid ${pid}`);
    expect(readdirSync(root)).toEqual(['lock']);
    await lock.release();
    expect(readdirSync(root)).toEqual([]);
  });

  it('never takes over a lock of another host, whose processes it cannot see', async () => {
    const root = await tempDir();
    writeLock(root, {
      pid: deadPid(),
      host: `not-${hostname()}`,
      startedAt: '2030-01-01T00:00:00.000Z',
      action: 'deploy',
    });
    const error: unknown = await acquireWorkDirLock(root, { action: 'render', io: new FakeIoHost() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkDirLockedError);
    expect((error as WorkDirLockedError).hint).toContain(`is no longer running on not-${hostname()}`);
  });

  it('refuses a young unparsable lock (one being written) and takes over an old one', async () => {
    const root = await tempDir();
    writeFileSync(join(root, 'lock'), '');
    const error: unknown = await acquireWorkDirLock(root, { action: 'render', io: new FakeIoHost() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkDirLockedError);
    expect((error as WorkDirLockedError).holder).toBeUndefined();
    expect((error as Error).message).toMatch(/locked by an unreadable lock file \(last written .*\)/);

    const old = new Date(Date.now() - 120_000);
    utimesSync(join(root, 'lock'), old, old);
    const io = new FakeIoHost();
    const lock = await acquireWorkDirLock(root, { action: 'render', io });
    expect(io.withCode('lock.stale-taken-over')[0]!.text).toContain('unreadable');
    await lock.release();
  });

  it('reads pids that would signal a process group (0, negative) as unparsable', () => {
    expect(parseHolder(JSON.stringify({ pid: 0, host: 'h', startedAt: 't', action: 'a' }))).toBeUndefined();
    expect(parseHolder(JSON.stringify({ pid: -5, host: 'h', startedAt: 't', action: 'a' }))).toBeUndefined();
    expect(parseHolder(JSON.stringify({ pid: 12, host: 'h', startedAt: 't', action: 'a' }))).toEqual({
      pid: 12,
      host: 'h',
      startedAt: 't',
      action: 'a',
    });
    expect(parseHolder('{')).toBeUndefined();
  });

  it('lets exactly one of many concurrent acquirers win, with and without a stale lock', async () => {
    for (const stale of [false, true]) {
      const root = await tempDir();
      if (stale)
        writeLock(root, { pid: deadPid(), host: hostname(), startedAt: '2030-01-01T00:00:00.000Z', action: 'deploy' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => acquireWorkDirLock(root, { action: 'race', io: new FakeIoHost() })),
      );
      const won = outcomes.filter(
        (outcome): outcome is PromiseFulfilledResult<WorkDirLock> => outcome.status === 'fulfilled',
      );
      expect(won).toHaveLength(1);
      for (const outcome of outcomes)
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(WorkDirLockedError);
      await won[0]!.value.release();
      expect(readdirSync(root)).toEqual([]);
    }
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    const root = await tempDir();
    writeLock(root, { pid: deadPid(), host: hostname(), startedAt: '2030-01-01T00:00:00.000Z', action: 'deploy' });
    const racers = Array.from({ length: 4 }, () => startChild('race', root));
    await Promise.all(racers.map((racer) => racer.next('ready')));
    for (const racer of racers) racer.process.stdin.write('go\n');
    const results = await Promise.all(racers.map((racer) => Promise.race([racer.next('held'), racer.next('refused')])));
    expect(results.filter((result) => 'held' in result)).toHaveLength(1);
    expect(results.filter((result) => result['refused'] === 'WorkDirLockedError')).toHaveLength(3);
    const winner = results.find((result) => 'held' in result)!['held'];
    expect(lockFileOf(root)).toMatchObject({ pid: winner });
    for (const racer of racers) racer.process.stdin.end();
    await Promise.all(racers.map(waitForExit));
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('file modes under umask 000 (a child process)', () => {
  it('creates the work dir 0700 and writes the lock and state.json 0600', async () => {
    const tmp = await tempDir();
    const child = startChild('umask', join(tmp, 'work'));
    const modes = await child.next('state');
    expect(modes).toEqual({ dir: '700', lock: '600', stateDuring: '600', state: '600' });
    await waitForExit(child);
    expect(existsSync(join(tmp, 'work', 'lock'))).toBe(false);
  });
});
