import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InterruptedError, UsageError, WorkDirLockedError } from '../../src/errors.js';
import { workDirFor, type WorkDir } from '../../src/model/work-dir.js';
import { runAction, type RunActionOptions } from '../../src/phase/manager.js';
import type { Action, CleanUpCause, Phase, PhaseContext } from '../../src/phase/phase.js';
import type { StateFile } from '../../src/phase/state.js';
import { FakeIoHost } from '../support/fake-io.js';
import { fakePorts } from '../support/fake-ports.js';

interface Data {
  log: string[];
}
type Ctx = PhaseContext<Data>;
type Hooks = {
  prepare?: (ctx: Ctx) => Promise<void>;
  shouldRun?: (ctx: Ctx) => boolean | string;
  inputs?: (ctx: Ctx) => unknown;
  run?: (ctx: Ctx) => Promise<void>;
  cleanUp?: (ctx: Ctx, cause: CleanUpCause) => Promise<void>;
  prerequisite?: boolean;
};

/** A phase that logs `<id>.<hook>` into ctx.data.log for every hook it has, then does what the test says. */
function phase(id: string, hooks: Hooks = {}): Phase<Data> {
  const { prepare, shouldRun, inputs, run, cleanUp, prerequisite } = hooks;
  return {
    id,
    ...(prerequisite ? { prerequisite } : {}),
    title: `Phase ${id}`,
    async prepare(ctx) {
      ctx.data.log.push(`${id}.prepare`);
      await prepare?.(ctx);
    },
    shouldRun: shouldRun
      ? (ctx) => {
          ctx.data.log.push(`${id}.shouldRun`);
          return shouldRun(ctx);
        }
      : undefined,
    inputs: inputs
      ? (ctx) => {
          ctx.data.log.push(`${id}.inputs`);
          return inputs(ctx);
        }
      : undefined,
    async run(ctx) {
      ctx.data.log.push(`${id}.run`);
      await run?.(ctx);
    },
    cleanUp: cleanUp
      ? async (ctx, cause) => {
          ctx.data.log.push(`${id}.cleanUp`);
          await cleanUp(ctx, cause);
        }
      : undefined,
  };
}

function action(phases: Array<Phase<Data>>, name = 'deploy'): Action<Data> {
  return { name, phases, data: { log: [] } };
}

/** A clock that ticks one second per reading, so every timestamp is distinct and predictable. */
function tickingClock(start = Date.parse('2030-01-01T00:00:00.000Z')): () => Date {
  let tick = 0;
  return () => new Date(start + 1000 * tick++);
}

function options(overrides: Partial<RunActionOptions> = {}): RunActionOptions & { io: FakeIoHost } {
  return {
    io: new FakeIoHost(),
    ports: fakePorts(),
    signal: new AbortController().signal,
    dryRun: false,
    now: tickingClock(),
    ...overrides,
  } as RunActionOptions & {
    io: FakeIoHost;
  };
}

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempWorkDir(): Promise<{ tmp: string; dir: WorkDir }> {
  const tmp = await mkdtemp(join(tmpdir(), 'pai-deploy-phase-'));
  temps.push(tmp);
  return { tmp, dir: workDirFor('test', join(tmp, 'work')) };
}

function readStateFile(dir: WorkDir): StateFile {
  return JSON.parse(readFileSync(join(dir.root, 'state.json'), 'utf8')) as StateFile;
}

const claim = (dir: WorkDir) => (ctx: Ctx) => ctx.useWorkDir(dir);

/** A promise that rejects once the signal is aborted, the way a well-behaved await does. */
function untilAborted(signal: AbortSignal, rejectWith: () => unknown = () => signal.reason): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(rejectWith()), { once: true });
  });
}

describe('runAction: order and skipping', () => {
  it('runs prepare, shouldRun, inputs and run of each phase in order, each in a span', async () => {
    const act = action([phase('a', { shouldRun: () => true, inputs: () => 1 }), phase('b'), phase('c')]);
    const opts = options();
    const result = await runAction(act, opts);
    expect(act.data.log).toEqual([
      'a.prepare',
      'a.shouldRun',
      'a.inputs',
      'a.run',
      'b.prepare',
      'b.run',
      'c.prepare',
      'c.run',
    ]);
    expect(opts.io.events).toEqual([
      'span Phase a',
      'end Phase a ok',
      'span Phase b',
      'end Phase b ok',
      'span Phase c',
      'end Phase c ok',
    ]);
    expect(opts.io.spans.map((span) => span.options)).toEqual([{ phase: 'a' }, { phase: 'b' }, { phase: 'c' }]);
    expect(Object.keys(result.records)).toEqual(['a', 'b', 'c']);
    expect(result.records['a']).toMatchObject({
      status: 'done',
      inputHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(result.records['b']).toMatchObject({
      status: 'done',
      startedAt: expect.any(String) as unknown,
      finishedAt: expect.any(String) as unknown,
    });
    expect(result.skipped).toEqual([]);
    expect(result.dryRun).toEqual([]);
  });

  it('skips a phase whose shouldRun says no, with its reason, without running it', async () => {
    const act = action([
      phase('a', { shouldRun: () => false }),
      phase('b', { shouldRun: () => 'no machines to add' }),
      phase('c'),
    ]);
    const opts = options();
    const result = await runAction(act, opts);
    expect(act.data.log).toEqual(['a.prepare', 'a.shouldRun', 'b.prepare', 'b.shouldRun', 'c.prepare', 'c.run']);
    expect(result.skipped).toEqual(['a', 'b']);
    expect(result.records['a']).toMatchObject({ status: 'skipped', reason: 'nothing to do' });
    expect(result.records['b']).toMatchObject({ status: 'skipped', reason: 'no machines to add' });
    expect(opts.io.spanOf('b')).toMatchObject({ outcome: 'skipped', text: 'no machines to add' });
  });

  it('shares action.data between the phases', async () => {
    const act = action([
      phase('a', { run: (ctx) => Promise.resolve(void ctx.data.log.push('a wrote')) }),
      phase('b', {
        run: (ctx) => Promise.resolve(void ctx.data.log.push(`b saw ${String(ctx.data.log.includes('a wrote'))}`)),
      }),
    ]);
    await runAction(act, options());
    expect(act.data.log).toContain('b saw true');
  });

  it('--from skips the phases before the named one; --only runs just that one', async () => {
    const from = action([phase('a'), phase('b'), phase('c')]);
    const fromResult = await runAction(from, options({ from: 'b' }));
    expect(from.data.log).toEqual(['b.prepare', 'b.run', 'c.prepare', 'c.run']);
    expect(fromResult.skipped).toEqual(['a']);
    expect(fromResult.records['a']).toEqual({ status: 'skipped', reason: 'before --from b' });

    const only = action([phase('a'), phase('b'), phase('c')]);
    const onlyResult = await runAction(only, options({ only: 'b' }));
    expect(only.data.log).toEqual(['b.prepare', 'b.run']);
    expect(onlyResult.skipped).toEqual(['a', 'c']);
    expect(onlyResult.records['c']).toEqual({ status: 'skipped', reason: 'not selected (--only b)' });
  });

  it('runs a prerequisite phase (what later phases read) even where --from or --only leave it out', async () => {
    const from = action([phase('a', { prerequisite: true }), phase('b'), phase('c'), phase('d')]);
    const fromResult = await runAction(from, options({ from: 'c' }));
    expect(from.data.log).toEqual(['a.prepare', 'a.run', 'c.prepare', 'c.run', 'd.prepare', 'd.run']);
    expect(fromResult.skipped).toEqual(['b']);

    const only = action([phase('a', { prerequisite: true }), phase('b'), phase('c', { prerequisite: true })]);
    await runAction(only, options({ only: 'b' }));
    expect(only.data.log).toEqual(['a.prepare', 'a.run', 'b.prepare', 'b.run', 'c.prepare', 'c.run']);
  });

  it('refuses an unknown phase id with a UsageError listing the ids, and --from with --only', async () => {
    const act = action([phase('render'), phase('check')]);
    const error: unknown = await runAction(act, options({ from: 'deploy' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('unknown phase "deploy" for deploy; its phases are: render, check');
    expect((error as UsageError).hint).toContain('--from');
    await expect(runAction(act, options({ only: 'nope' }))).rejects.toThrow(/render, check/);
    await expect(runAction(act, options({ from: 'render', only: 'check' }))).rejects.toBeInstanceOf(UsageError);
    expect(act.data.log).toEqual([]);
  });

  it('refuses an action with two phases of one id (a programming error)', async () => {
    await expect(runAction(action([phase('a'), phase('a')]), options())).rejects.toThrow(/two phases with the id a/);
  });
});

describe('runAction: inputs and resuming', () => {
  it('runs the phase named by --from or --only even when its inputs are unchanged; the rest skip', async () => {
    const { dir } = await tempWorkDir();
    const make = () =>
      action([
        phase('claim', { prepare: claim(dir), prerequisite: true }),
        phase('a', { inputs: () => 1 }),
        phase('b', { inputs: () => 1 }),
        phase('c', { inputs: () => 1 }),
      ]);
    await runAction(make(), options());
    const from = make();
    const fromResult = await runAction(from, options({ from: 'b' }));
    expect(from.data.log.filter((entry) => entry.endsWith('.run'))).toEqual(['claim.run', 'b.run']);
    expect(fromResult.skipped).toEqual(['a', 'c']);
    const only = make();
    await runAction(only, options({ only: 'c' }));
    expect(only.data.log.filter((entry) => entry.endsWith('.run'))).toEqual(['claim.run', 'c.run']);
  });

  it('a phase that invalidates others drops their records once it finished: the next run does them again', async () => {
    const { dir } = await tempWorkDir();
    const deploy = () =>
      action([
        phase('claim', { prepare: claim(dir), prerequisite: true }),
        phase('kubespray', { inputs: () => 1 }),
        phase('labels', { inputs: () => 1 }),
      ]);
    await runAction(deploy(), options());
    const reset: Phase<Data> = { ...phase('reset'), invalidates: ['kubespray', 'labels'] };
    // A dry run of the reset forgets nothing.
    await runAction(action([phase('claim', { prepare: claim(dir) }), reset], 'reset'), options({ dryRun: true }));
    expect(Object.keys(readStateFile(dir).phases).sort()).toEqual(['claim', 'kubespray', 'labels']);
    await runAction(action([phase('claim', { prepare: claim(dir) }), reset], 'reset'), options());
    expect(Object.keys(readStateFile(dir).phases).sort()).toEqual(['claim', 'reset']);
    const again = deploy();
    await runAction(again, options());
    expect(again.data.log.filter((entry) => entry.endsWith('.run'))).toEqual([
      'claim.run',
      'kubespray.run',
      'labels.run',
    ]);
  });

  it('skips a phase finished with the same inputs, reruns it when they change or when forced', async () => {
    const { dir } = await tempWorkDir();
    let inputs: unknown = { hosts: ['m1', 'm2'], version: '2.11' };
    const make = () => action([phase('claim', { prepare: claim(dir) }), phase('render', { inputs: () => inputs })]);

    const first = make();
    await runAction(first, options());
    expect(first.data.log).toContain('render.run');
    const finishedAt = readStateFile(dir).phases['render']!.finishedAt;

    // The same value built with its keys in another order hashes the same.
    inputs = { version: '2.11', hosts: ['m1', 'm2'] };
    const second = make();
    const secondOpts = options();
    const result = await runAction(second, secondOpts);
    expect(second.data.log).not.toContain('render.run');
    expect(result.skipped).toEqual(['render']);
    expect(result.records['render']).toMatchObject({ status: 'skipped', reason: `unchanged since ${finishedAt}` });
    expect(secondOpts.io.spanOf('render')).toMatchObject({ outcome: 'skipped', text: `unchanged since ${finishedAt}` });
    // The stored record still says done, so a third run skips as well.
    expect(readStateFile(dir).phases['render']).toMatchObject({ status: 'done', finishedAt });

    const forced = make();
    await runAction(forced, options({ force: true }));
    expect(forced.data.log).toContain('render.run');

    inputs = { version: '2.11', hosts: ['m1', 'm2', 'm3'] };
    const changed = make();
    await runAction(changed, options());
    expect(changed.data.log).toContain('render.run');
  });

  it('always runs a phase without inputs, and reruns one that failed last time', async () => {
    const { dir } = await tempWorkDir();
    let fail = true;
    const make = () =>
      action([
        phase('claim', { prepare: claim(dir) }),
        phase('render', {
          inputs: () => 'same',
          run: () => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve()),
        }),
      ]);
    await expect(runAction(make(), options())).rejects.toThrow('disk full');
    fail = false;
    const rerun = make();
    await runAction(rerun, options());
    expect(rerun.data.log).toEqual(['claim.prepare', 'claim.run', 'render.prepare', 'render.inputs', 'render.run']);
  });

  it('gives a phase what the previous run recorded for it (ctx.previous) after useWorkDir', async () => {
    const { dir } = await tempWorkDir();
    const seen: unknown[] = [];
    const make = (report: string) =>
      action([
        phase('check', {
          prepare: async (ctx) => {
            seen.push(ctx.previous);
            await ctx.useWorkDir(dir);
            seen.push(ctx.previous?.outputs);
          },
          run: (ctx) => {
            ctx.setOutputs({ report });
            ctx.setOutputs({ failures: 0 });
            return Promise.resolve();
          },
        }),
      ]);
    await runAction(make('first.json'), options());
    await runAction(make('second.json'), options());
    expect(seen).toEqual([undefined, undefined, undefined, { report: 'first.json', failures: 0 }]);
    expect(readStateFile(dir).phases['check']!.outputs).toEqual({ report: 'second.json', failures: 0 });
  });
});

describe('runAction: failures and clean-up', () => {
  it('cleans up every started phase in reverse order, awaiting async clean-ups, reporting one that throws', async () => {
    const { dir } = await tempWorkDir();
    const causes: CleanUpCause[] = [];
    const failure = new Error('kubespray failed\nsee the log for details');
    const act = action([
      phase('a', {
        prepare: claim(dir),
        cleanUp: async (ctx, cause) => {
          causes.push(cause);
          await new Promise((resolve) => setTimeout(resolve, 20));
          ctx.data.log.push('a.cleanUp finished');
        },
      }),
      phase('skipped', { shouldRun: () => false, cleanUp: () => Promise.resolve() }),
      phase('b', { cleanUp: () => Promise.reject(new Error('container already gone')) }),
      phase('c', { run: () => Promise.reject(failure), cleanUp: () => Promise.resolve() }),
      phase('d', { cleanUp: () => Promise.resolve() }),
    ]);
    const opts = options();
    const error: unknown = await runAction(act, opts).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(act.data.log.slice(act.data.log.indexOf('c.run'))).toEqual([
      'c.run',
      'c.cleanUp',
      'b.cleanUp',
      'a.cleanUp',
      'a.cleanUp finished',
    ]);
    expect(act.data.log).not.toContain('d.prepare');
    expect(causes).toEqual([{ kind: 'failed', error: failure }]);
    expect(opts.io.withCode('phase.cleanup-failed')).toEqual([
      expect.objectContaining({
        level: 'error',
        phase: 'b',
        text: expect.stringContaining('container already gone') as unknown,
      }),
    ]);
    expect(opts.io.spanOf('c')).toMatchObject({ outcome: 'failed', text: 'kubespray failed' });

    const state = readStateFile(dir);
    expect(state.phases['c']).toMatchObject({
      status: 'failed',
      // Every line of the message: a failed playbook names each host on one.
      reason: 'kubespray failed\nsee the log for details',
      startedAt: expect.any(String) as unknown,
    });
    expect(state.phases['a']!.status).toBe('done');
    expect(state.phases['d']).toBeUndefined();
    expect(state.lastRun).toMatchObject({
      action: 'deploy',
      outcome: 'failed',
      phase: 'c',
      finishedAt: expect.any(String) as unknown,
    });
    expect(existsSync(join(dir.root, 'lock'))).toBe(false);
  });

  it('records a phase failing in prepare, cleaning up only the phases that started', async () => {
    const { dir } = await tempWorkDir();
    const act = action([
      phase('a', { prepare: claim(dir), cleanUp: () => Promise.resolve() }),
      phase('b', { prepare: () => Promise.reject(new Error('no master')), cleanUp: () => Promise.resolve() }),
    ]);
    await expect(runAction(act, options())).rejects.toThrow('no master');
    expect(act.data.log).toEqual(['a.prepare', 'a.run', 'b.prepare', 'a.cleanUp']);
    expect(readStateFile(dir).phases['b']).toMatchObject({ status: 'failed', reason: 'no master' });
  });

  it('keeps a long failure message in state.json bounded: 30 lines, then how many more', async () => {
    const { dir } = await tempWorkDir();
    const lines = Array.from({ length: 100 }, (_, index) => `host-${index}: failed`);
    const act = action([
      phase('a', { prepare: claim(dir) }),
      phase('b', { run: () => Promise.reject(new Error(['100 hosts failed:', ...lines].join('\n'))) }),
    ]);
    await expect(runAction(act, options())).rejects.toThrow('100 hosts failed');
    const kept = readStateFile(dir).phases['b']!.reason!.split('\n');
    expect(kept).toEqual(['100 hosts failed:', ...lines.slice(0, 29), '… 71 more lines']);
  });

  it('makes a cleaned-up phase run again next time, even with unchanged inputs', async () => {
    const { dir } = await tempWorkDir();
    let fail = true;
    const make = () =>
      action([
        phase('devbox', { prepare: claim(dir), inputs: () => 'image-1', cleanUp: () => Promise.resolve() }),
        phase('render', { inputs: () => 'same' }),
        phase('deploy', { run: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve()) }),
      ]);
    await expect(runAction(make(), options())).rejects.toThrow('boom');
    expect(readStateFile(dir).phases['devbox']).not.toHaveProperty('inputHash');
    fail = false;
    const again = make();
    const result = await runAction(again, options());
    expect(again.data.log).toContain('devbox.run');
    expect(result.skipped).toEqual(['render']); // no clean-up: its work stands
  });
});

describe('runAction: abort', () => {
  it('interrupts the phase awaiting, cleans up in reverse, starts no further phase', async () => {
    const { dir } = await tempWorkDir();
    const controller = new AbortController();
    const causes: CleanUpCause[] = [];
    let cleanUpSignalAborted: boolean | undefined;
    const act = action([
      phase('a', { prepare: claim(dir), cleanUp: (_ctx, cause) => Promise.resolve(void causes.push(cause)) }),
      phase('b', {
        run: async (ctx) => {
          setTimeout(() => controller.abort('SIGINT'), 10);
          // An interrupted await rejects with whatever the library throws, here a plain connection error.
          await untilAborted(ctx.signal, () => new Error('socket hang up'));
        },
        cleanUp: async (ctx) => {
          cleanUpSignalAborted = ctx.signal.aborted;
          await new Promise((resolve) => setTimeout(resolve, 10));
        },
      }),
      phase('c'),
    ]);
    const opts = options({ signal: controller.signal });
    const error: unknown = await runAction(act, opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error).toMatchObject({ message: 'interrupted in phase b', signal: 'SIGINT', phase: 'b', exitCode: 130 });
    expect(act.data.log).toEqual(['a.prepare', 'a.run', 'b.prepare', 'b.run', 'b.cleanUp', 'a.cleanUp']);
    expect(causes).toEqual([{ kind: 'aborted', reason: 'SIGINT' }]);
    expect(cleanUpSignalAborted).toBe(false);
    expect(opts.io.spanOf('b')).toMatchObject({ outcome: 'failed', text: 'interrupted' });
    expect(opts.io.spanOf('c')).toBeUndefined();

    const state = readStateFile(dir);
    expect(state.phases['b']).toMatchObject({ status: 'interrupted', reason: 'interrupted by SIGINT' });
    expect(state.phases['c']).toBeUndefined();
    expect(state.lastRun).toMatchObject({ outcome: 'interrupted', phase: 'b' });
    expect(existsSync(join(dir.root, 'lock'))).toBe(false);
  });

  it('stops before the next phase when the signal was raised while a phase finished anyway', async () => {
    const controller = new AbortController();
    const causes: CleanUpCause[] = [];
    const act = action([
      phase('a', {
        run: () => Promise.resolve(controller.abort()),
        cleanUp: (_ctx, cause) => Promise.resolve(void causes.push(cause)),
      }),
      phase('b'),
    ]);
    const error: unknown = await runAction(act, options({ signal: controller.signal })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error).toMatchObject({ message: 'interrupted before phase b', phase: 'b', signal: 'abort' });
    expect(act.data.log).toEqual(['a.prepare', 'a.run', 'a.cleanUp']);
    expect(causes).toEqual([{ kind: 'aborted', reason: 'abort' }]);
  });

  it('starts nothing when the signal is already raised', async () => {
    const controller = new AbortController();
    controller.abort('SIGTERM');
    const act = action([phase('a')]);
    await expect(runAction(act, options({ signal: controller.signal }))).rejects.toMatchObject({
      signal: 'SIGTERM',
      phase: 'a',
    });
    expect(act.data.log).toEqual([]);
  });

  it('refuses new side effects through ctx.wet once the signal is raised', async () => {
    const controller = new AbortController();
    let acted = false;
    const act = action([
      phase('a', {
        run: async (ctx) => {
          controller.abort('SIGHUP');
          await ctx.wet('m1', 'restart docker', () => Promise.resolve(void (acted = true)));
        },
      }),
    ]);
    await expect(runAction(act, options({ signal: controller.signal }))).rejects.toMatchObject({
      message: 'interrupted in phase a',
      signal: 'SIGHUP',
    });
    expect(acted).toBe(false);
  });
});

describe('runAction: dry-run', () => {
  it('runs the real phase code, records what wet() would do and writes nothing', async () => {
    const { tmp, dir } = await tempWorkDir();
    const act = action([
      phase('render', {
        prepare: claim(dir),
        run: async (ctx) => {
          const written = await ctx.wet('dev-box', `write ${ctx.workDir?.inventory ?? '?'}`, () =>
            Promise.resolve('written'),
          );
          ctx.data.log.push(`wet returned ${String(written)}`);
        },
      }),
      phase('deploy', {
        run: async (ctx) => {
          await ctx.wet('m1', 'install docker', () => Promise.reject(new Error('must not run')));
        },
      }),
    ]);
    const opts = options({ dryRun: true });
    const result = await runAction(act, opts);
    expect(act.data.log).toEqual([
      'render.prepare',
      'render.run',
      'wet returned undefined',
      'deploy.prepare',
      'deploy.run',
    ]);
    expect(result.dryRun).toEqual([
      { phase: 'render', target: 'dev-box', description: `write ${dir.inventory}` },
      { phase: 'deploy', target: 'm1', description: 'install docker' },
    ]);
    expect(opts.io.withCode('dry-run')).toEqual([
      expect.objectContaining({ level: 'info', phase: 'render', text: `would write ${dir.inventory} on dev-box` }),
      expect.objectContaining({ level: 'info', phase: 'deploy', text: 'would install docker on m1' }),
    ]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('reads an existing state without locking or changing anything, so the plan skips finished phases', async () => {
    const { dir } = await tempWorkDir();
    const make = () => action([phase('render', { prepare: claim(dir), inputs: () => 'same' })]);
    await runAction(make(), options());
    const before = readFileSync(join(dir.root, 'state.json'), 'utf8');
    const listing = readdirSync(dir.root);
    const dry = make();
    const result = await runAction(dry, options({ dryRun: true }));
    expect(result.skipped).toEqual(['render']);
    expect(readFileSync(join(dir.root, 'state.json'), 'utf8')).toBe(before);
    expect(readdirSync(dir.root)).toEqual(listing);
  });

  it('performs the act outside dry-run and returns its value', async () => {
    let value: string | undefined;
    await runAction(
      action([
        phase('a', { run: async (ctx) => void (value = await ctx.wet('m1', 'do it', () => Promise.resolve('done'))) }),
      ]),
      options(),
    );
    expect(value).toBe('done');
  });
});

describe('runAction: the work dir', () => {
  it('creates the work dir 0700, holds the lock while running, persists every transition, releases the lock', async () => {
    const { dir } = await tempWorkDir();
    const during: Record<string, unknown> = {};
    const act = action([
      phase('a', { prepare: claim(dir), inputs: () => ({ n: 1 }) }),
      phase('b', {
        run: (ctx) => {
          during['mode'] = statSync(dir.root).mode & 0o777;
          during['lock'] = JSON.parse(readFileSync(join(dir.root, 'lock'), 'utf8')) as unknown;
          const state = readStateFile(dir);
          during['a'] = state.phases['a']?.status;
          during['b'] = state.phases['b']?.status;
          during['lastRun'] = state.lastRun.outcome;
          during['workDir'] = ctx.workDir?.root;
          return Promise.resolve();
        },
      }),
    ]);
    await runAction(act, options());
    expect(during).toEqual({
      mode: 0o700,
      lock: { pid: process.pid, host: hostname(), startedAt: expect.any(String) as unknown, action: 'deploy' },
      a: 'done',
      b: 'running',
      lastRun: 'running',
      workDir: dir.root,
    });
    expect(existsSync(join(dir.root, 'lock'))).toBe(false);
    const state = readStateFile(dir);
    expect(state).toMatchObject({ version: 1, action: 'deploy', lastRun: { action: 'deploy', outcome: 'done' } });
    expect(state.phases['a']).toEqual({
      status: 'done',
      startedAt: expect.any(String) as unknown,
      finishedAt: expect.any(String) as unknown,
      inputHash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(statSync(join(dir.root, 'state.json')).mode & 0o777).toBe(0o600);
  });

  it("persists phases that ran before the work dir was claimed, and keeps other actions' records", async () => {
    const { dir } = await tempWorkDir();
    await runAction(action([phase('check', { prepare: claim(dir) })], 'check'), options());
    await runAction(
      action(
        [
          phase('validate'),
          phase('skipped', { shouldRun: () => 'nothing to add' }),
          phase('render', { prepare: claim(dir) }),
        ],
        'render',
      ),
      options(),
    );
    const state = readStateFile(dir);
    expect(state.action).toBe('render');
    expect(Object.keys(state.phases).sort()).toEqual(['check', 'render', 'skipped', 'validate']);
    expect(state.phases['skipped']).toMatchObject({ status: 'skipped', reason: 'nothing to add' });
  });

  it('treats useWorkDir with the same dir as a no-op and another dir as a programming error', async () => {
    const { tmp, dir } = await tempWorkDir();
    const other = workDirFor('other', join(tmp, 'other'));
    await runAction(action([phase('a', { prepare: claim(dir), run: claim(dir) })]), options());
    await expect(
      runAction(action([phase('a', { prepare: claim(dir), run: claim(other) })]), options()),
    ).rejects.toThrow(/one run has one work dir/);
    expect(existsSync(other.root)).toBe(false);
    expect(existsSync(join(dir.root, 'lock'))).toBe(false);
  });

  it('is refused while another live process holds the lock, naming it, and leaves its lock and state alone', async () => {
    const { dir } = await tempWorkDir();
    await mkdir(dir.root, { recursive: true });
    // process.ppid is alive for as long as this test runs (vitest's parent).
    const holder = { pid: process.ppid, host: hostname(), startedAt: '2030-01-01T00:00:00.000Z', action: 'deploy' };
    writeFileSync(join(dir.root, 'lock'), JSON.stringify(holder));
    const act = action([phase('a', { prepare: claim(dir), cleanUp: () => Promise.resolve() }), phase('b')]);
    const error: unknown = await runAction(act, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkDirLockedError);
    expect((error as WorkDirLockedError).holder).toEqual(holder);
    expect((error as Error).message).toContain(`pid ${process.ppid} on ${hostname()}`);
    expect(act.data.log).toEqual(['a.prepare']);
    expect(JSON.parse(readFileSync(join(dir.root, 'lock'), 'utf8'))).toEqual(holder);
    expect(existsSync(join(dir.root, 'state.json'))).toBe(false);
  });

  it('recovers from a corrupt state.json: warns, keeps the bad file aside, runs everything', async () => {
    const { dir } = await tempWorkDir();
    await mkdir(dir.root, { recursive: true });
    writeFileSync(join(dir.root, 'state.json'), '{"version": 1, "phases": {');
    const act = action([phase('render', { prepare: claim(dir), inputs: () => 'x' })]);
    const opts = options();
    await runAction(act, opts);
    expect(act.data.log).toContain('render.run');
    expect(opts.io.withCode('state.unreadable')).toHaveLength(1);
    expect(readdirSync(dir.root).filter((name) => name.startsWith('state.json.corrupt-'))).toHaveLength(1);
    expect(readStateFile(dir).phases['render']!.status).toBe('done');
  });
});
