import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputError, PaiDeployError } from '../../src/errors.js';
import { canonicalJson, hashInputs } from '../../src/phase/canonical-hash.js';
import { readState, writeState, type StateFile } from '../../src/phase/state.js';
import { FakeIoHost } from '../support/fake-io.js';

// A crash between writing the temp file and renaming it over state.json is simulated by a rename that fails once.
const crash = vi.hoisted(() => ({ nextRename: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: (from: string, to: string) => {
      if (crash.nextRename) {
        crash.nextRename = false;
        return Promise.reject(Object.assign(new Error('simulated crash before rename'), { code: 'EIO' }));
      }
      return actual.rename(from, to);
    },
  };
});

const temps: string[] = [];
afterEach(async () => {
  crash.nextRename = false;
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pai-deploy-state-'));
  temps.push(dir);
  return dir;
}

function sampleState(action = 'deploy', phases: StateFile['phases'] = {}): StateFile {
  return {
    version: 1,
    action,
    updatedAt: '2030-01-01T00:00:05.000Z',
    phases,
    lastRun: { action, startedAt: '2030-01-01T00:00:00.000Z', outcome: 'running' },
  };
}
const fixedNow = () => new Date('2030-02-03T04:05:06.789Z');

describe('canonical hash of phase inputs', () => {
  it('does not depend on key order, at any depth', () => {
    const a = { hosts: [{ name: 'm1', ip: '10.0.0.1' }], vars: { b: 2, a: 1 }, skip: undefined };
    const b = { vars: { a: 1, b: 2 }, hosts: [{ ip: '10.0.0.1', name: 'm1' }] };
    expect(canonicalJson(a)).toBe('{"hosts":[{"ip":"10.0.0.1","name":"m1"}],"vars":{"a":1,"b":2}}');
    expect(hashInputs(a)).toBe(hashInputs(b));
    expect(hashInputs(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells apart what differs: array order, values, types', () => {
    expect(hashInputs(['a', 'b'])).not.toBe(hashInputs(['b', 'a']));
    expect(hashInputs({ n: 1 })).not.toBe(hashInputs({ n: '1' }));
    expect(hashInputs({ n: null })).not.toBe(hashInputs({}));
  });

  it('follows JSON for dates, undefined array items and non-finite numbers', () => {
    expect(canonicalJson({ at: new Date('2030-01-01T00:00:00Z'), list: [undefined, Number.NaN] })).toBe(
      '{"at":"2030-01-01T00:00:00.000Z","list":[null,null]}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('refuses values whose content JSON would silently drop', () => {
    expect(() => hashInputs({ hosts: new Set(['m1']) })).toThrow(/Set at \$\.hosts/);
    expect(() => hashInputs(new Map())).toThrow(TypeError);
    expect(() => hashInputs({ n: 1n })).toThrow(/bigint/);
    expect(() => hashInputs({ f: () => 1 })).toThrow(/function/);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => hashInputs(cycle)).toThrow(/circular/);
    // A value seen twice without a cycle is fine.
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('state.json', () => {
  it('round-trips, written 0600 with no temp file left', async () => {
    const dir = await tempDir();
    const state = sampleState('deploy', {
      render: {
        status: 'done',
        inputHash: 'abc',
        startedAt: 't0',
        finishedAt: 't1',
        outputs: { report: 'r.json', ok: true, n: 3 },
      },
    });
    await writeState(dir, state);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
    const io = new FakeIoHost();
    expect(await readState(dir, { io })).toEqual(state);
    expect(io.messages).toEqual([]);
  });

  it('is undefined when there is none yet', async () => {
    const dir = await tempDir();
    expect(await readState(dir, { io: new FakeIoHost() })).toBeUndefined();
  });

  it('leaves the old file intact when the process dies between writing the temp file and the rename', async () => {
    const dir = await tempDir();
    const old = sampleState('check', { check: { status: 'done' } });
    await writeState(dir, old);
    const before = readFileSync(join(dir, 'state.json'), 'utf8');
    crash.nextRename = true;
    const error: unknown = await writeState(dir, sampleState('deploy', { deploy: { status: 'running' } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutputError);
    expect((error as Error).message).toContain('simulated crash');
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(await readState(dir, { io: new FakeIoHost() })).toEqual(old);
  });

  it('removes temp files a crashed write left behind, under the lock only', async () => {
    const dir = await tempDir();
    await writeState(dir, sampleState());
    writeFileSync(join(dir, 'state.json.tmp-4242-deadbeef'), '{"half": ');
    expect(await readState(dir, { io: new FakeIoHost(), readOnly: true })).toEqual(sampleState());
    expect(existsSync(join(dir, 'state.json.tmp-4242-deadbeef'))).toBe(true);
    expect(await readState(dir, { io: new FakeIoHost() })).toEqual(sampleState());
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it.each([
    ['truncated JSON', '{"version": 1, "phases": {', /not JSON/],
    [
      'a wrong shape',
      JSON.stringify({ ...sampleState(), phases: { a: { status: 'exploded' } } }),
      /unexpected content at phases\.a\.status/,
    ],
    ['an older or missing version', JSON.stringify({ phases: {} }), /unexpected content at version/],
  ])(
    'recovers from %s: warns, keeps the bad file as state.json.corrupt-<time>, starts fresh',
    async (_name, content, why) => {
      const dir = await tempDir();
      writeFileSync(join(dir, 'state.json'), content);
      const io = new FakeIoHost();
      expect(await readState(dir, { io, now: fixedNow })).toBeUndefined();
      const keptAs = join(dir, 'state.json.corrupt-2030-02-03T04-05-06.789Z');
      expect(readdirSync(dir)).toEqual(['state.json.corrupt-2030-02-03T04-05-06.789Z']);
      expect(readFileSync(keptAs, 'utf8')).toBe(content);
      const [warning, ...others] = io.withCode('state.unreadable');
      expect(others).toEqual([]);
      expect(warning).toMatchObject({ level: 'warn', data: { keptAs } });
      expect(warning!.text).toMatch(why);
      expect(warning!.text).toContain(keptAs);
    },
  );

  it('reports an unreadable file without moving it when only looking (dry-run)', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'state.json'), 'garbage');
    const io = new FakeIoHost();
    expect(await readState(dir, { io, readOnly: true })).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(io.withCode('state.unreadable')[0]!.data).toMatchObject({ keptAs: null });
  });

  it('treats a state.json that cannot be read (a directory) as unreadable too', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'state.json'));
    const io = new FakeIoHost();
    expect(await readState(dir, { io, now: fixedNow })).toBeUndefined();
    expect(io.withCode('state.unreadable')[0]!.text).toContain('is a directory');
    await writeState(dir, sampleState());
    expect(await readState(dir, { io })).toEqual(sampleState());
  });

  it('refuses a state.json from a newer pai-deploy instead of overwriting it', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 2, phases: {} }));
    await expect(readState(dir, { io: new FakeIoHost() })).rejects.toThrow(PaiDeployError);
    await expect(readState(dir, { io: new FakeIoHost() })).rejects.toThrow(/newer pai-deploy \(state version 2/);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
