import { chmod, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeSystemError, InterruptedError, OutputError, UsageError } from '../errors.js';
import type { WorkDir } from '../model/work-dir.js';
import type { IoHost } from '../ports/io-host.js';
import type { Ports } from '../ports/ports.js';
import { hashInputs } from './canonical-hash.js';
import { acquireWorkDirLock, type WorkDirLock } from './lock.js';
import type { Action, CleanUpCause, DryRunEntry, Phase, PhaseContext, PhaseOutputs, PhaseRecord } from './phase.js';
import { readState, writeState, type LastRun, type RunOutcome } from './state.js';

export interface RunActionOptions {
  io: IoHost;
  ports: Ports;
  /** Aborted on the first SIGINT/SIGTERM/SIGHUP: the running phase is told, no further phase starts. */
  signal: AbortSignal;
  dryRun: boolean;
  /** Run phases even when their inputs are unchanged since they last finished. */
  force?: boolean;
  /** Skip the phases before this one. */
  from?: string;
  /** Run this phase only. */
  only?: string;
  now?: () => Date;
}

export interface ActionResult {
  /** What the phases would have done, in order (dry-run only; empty otherwise). */
  dryRun: DryRunEntry[];
  /** This run's record of every phase it reached, by id; skipped phases carry the reason. */
  records: Record<string, PhaseRecord>;
  /** Ids of the phases skipped (not needed, unchanged, or left out by --from/--only), in order. */
  skipped: string[];
}

/**
 * Runs an action's phases in order (k0sctl's phase manager): prepare → shouldRun → inputs (skip if unchanged since
 * the phase last finished) → run. A failure or an abort cleans up every started phase in reverse order, records the
 * phase as failed or interrupted and rethrows (an abort as an InterruptedError). The work dir's lock, once a phase
 * claimed the work dir, is released however the run ends.
 */
export async function runAction<D>(action: Action<D>, options: RunActionOptions): Promise<ActionResult> {
  const plan = selectPhases(action, options);
  const run = new ActionRun(action, options);
  try {
    return await run.execute(plan);
  } finally {
    await run.releaseLock();
  }
}

interface PlannedPhase<D> {
  phase: Phase<D>;
  /** Why --from/--only leaves the phase out. */
  leftOut?: string;
}

function selectPhases<D>(action: Action<D>, options: RunActionOptions): Array<PlannedPhase<D>> {
  const ids = action.phases.map((phase) => phase.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new Error(`action ${action.name} has two phases with the id ${duplicate}`);
  if (options.from !== undefined && options.only !== undefined) {
    throw new UsageError(
      '--from and --only cannot be used together',
      'Pass --from <phase> to resume, or --only <phase> to run one phase.',
    );
  }
  const flag = options.from !== undefined ? '--from' : '--only';
  const wanted = options.from ?? options.only;
  if (wanted !== undefined && !ids.includes(wanted)) {
    throw new UsageError(
      `unknown phase "${wanted}" for ${action.name}; its phases are: ${ids.join(', ')}`,
      `Pass one of ${ids.join(', ')} to ${flag}.`,
    );
  }
  const fromIndex = options.from === undefined ? 0 : ids.indexOf(options.from);
  return action.phases.map((phase, index) => {
    if (phase.prerequisite === true) return { phase };
    if (index < fromIndex) return { phase, leftOut: `before --from ${options.from}` };
    if (options.only !== undefined && phase.id !== options.only)
      return { phase, leftOut: `not selected (--only ${options.only})` };
    return { phase };
  });
}

/** A phase that the manager began: what a failure or abort needs to record it. */
interface CurrentPhase<D> {
  phase: Phase<D>;
  begunAt: string;
  inputHash: string | undefined;
}

/** The claimed work dir: where state is written (only with the lock held, never in dry-run). */
interface Store {
  root: string;
}

class ActionRun<D> {
  private readonly io: IoHost;
  private readonly now: () => Date;
  private readonly runStartedAt: string;
  private readonly dryRunEntries: DryRunEntry[] = [];
  private readonly records: Record<string, PhaseRecord> = {};
  private readonly skipped: string[] = [];
  /** Phases whose run() was called, in order: the ones cleaned up after a failure. */
  private readonly started: Array<Phase<D>> = [];
  private readonly outputs = new Map<string, PhaseOutputs>();
  /** What the previous runs left (state.json as loaded); ctx.previous reads it. */
  private previousRecords: Record<string, PhaseRecord> = {};
  /** What this run writes over previousRecords in state.json (not the unchanged or left-out phases: their records stand). */
  private readonly written: Record<string, PhaseRecord> = {};
  private lastRun: LastRun;
  private workDir: WorkDir | undefined;
  private claiming: Promise<void> | undefined;
  private lock: WorkDirLock | undefined;
  private store: Store | undefined;
  private writing: Promise<void> = Promise.resolve();
  private current: CurrentPhase<D> | undefined;

  constructor(
    private readonly action: Action<D>,
    private readonly options: RunActionOptions,
  ) {
    this.io = options.io;
    this.now = options.now ?? (() => new Date());
    this.runStartedAt = this.now().toISOString();
    this.lastRun = { action: action.name, startedAt: this.runStartedAt, outcome: 'running' };
  }

  async execute(plan: ReadonlyArray<PlannedPhase<D>>): Promise<ActionResult> {
    for (const { phase, leftOut } of plan) {
      if (leftOut !== undefined) {
        this.io.span(phase.title, { phase: phase.id }).end('skipped', leftOut);
        this.records[phase.id] = { status: 'skipped', reason: leftOut };
        this.skipped.push(phase.id);
        continue;
      }
      if (this.options.signal.aborted) await this.stop(undefined, phase.id);
      try {
        await this.runPhase(phase);
      } catch (error) {
        await this.stop(error, phase.id);
      }
    }
    this.lastRun = { ...this.lastRun, outcome: 'done', finishedAt: this.now().toISOString() };
    await this.persist();
    return { dryRun: this.dryRunEntries, records: this.records, skipped: this.skipped };
  }

  private async runPhase(phase: Phase<D>): Promise<void> {
    const span = this.io.span(phase.title, { phase: phase.id });
    const current: CurrentPhase<D> = { phase, begunAt: this.now().toISOString(), inputHash: undefined };
    this.current = current;
    const ctx = this.contextFor(phase, this.options.signal);
    try {
      await phase.prepare?.(ctx);
      const verdict = phase.shouldRun ? phase.shouldRun(ctx) : true;
      if (verdict !== true) {
        const reason = typeof verdict === 'string' && verdict.trim() !== '' ? oneLine(verdict) : 'nothing to do';
        // Earlier outputs stay: a later phase or run may still need what this phase produced before.
        const previousOutputs = this.previousRecords[phase.id]?.outputs;
        await this.record(phase.id, {
          status: 'skipped',
          reason,
          startedAt: current.begunAt,
          finishedAt: this.now().toISOString(),
          ...(previousOutputs ? { outputs: previousOutputs } : {}),
        });
        this.skipped.push(phase.id);
        this.current = undefined;
        span.end('skipped', reason);
        return;
      }
      // A phase whose inputs are undefined (not resumable in this action) always runs.
      const inputs = phase.inputs?.(ctx);
      if (inputs !== undefined) {
        current.inputHash = hashInputs(inputs);
        const previous = this.previousRecords[phase.id];
        // The phase named by --from or --only runs even when unchanged: the admin asked for it by name.
        const named = phase.id === (this.options.from ?? this.options.only);
        const forced = this.options.force || named;
        if (!forced && previous?.status === 'done' && previous.inputHash === current.inputHash) {
          const reason = `unchanged since ${previous.finishedAt ?? 'an earlier run'}`;
          // Not written to state.json: the stored "done" record (with its hash) is what lets the next run skip too.
          this.records[phase.id] = {
            status: 'skipped',
            reason,
            inputHash: current.inputHash,
            ...(previous.outputs ? { outputs: previous.outputs } : {}),
          };
          this.skipped.push(phase.id);
          this.current = undefined;
          span.end('skipped', reason);
          return;
        }
      }
      this.started.push(phase);
      await this.record(phase.id, { status: 'running', startedAt: current.begunAt, ...hashField(current.inputHash) });
      await phase.run(ctx);
      if (!this.options.dryRun) {
        for (const id of phase.invalidates ?? []) {
          delete this.previousRecords[id];
          delete this.written[id];
        }
      }
      await this.record(phase.id, {
        status: 'done',
        startedAt: current.begunAt,
        finishedAt: this.now().toISOString(),
        ...hashField(current.inputHash),
        ...this.outputsField(phase.id),
      });
      this.current = undefined;
      span.end('ok');
    } catch (error) {
      span.end('failed', this.options.signal.aborted ? 'interrupted' : oneLine(errorMessage(error)));
      throw error;
    }
  }

  /**
   * Ends the run after a failure (error given) or an abort: cleans up, records, rethrows. `phaseId` is the phase that
   * failed, was interrupted, or (aborted between phases) would have run next.
   */
  private async stop(error: unknown, phaseId: string): Promise<never> {
    // Whatever the phase rejected with, a raised signal makes it an interruption (a cancelled await rejects with
    // all sorts of errors: AbortError, ECONNRESET, an ssh channel closing).
    const aborted = this.options.signal.aborted;
    const signalName = aborted ? abortName(this.options.signal.reason) : '';
    const cause: CleanUpCause = aborted ? { kind: 'aborted', reason: signalName } : { kind: 'failed', error };
    await this.cleanUp(cause);
    const current = this.current;
    const finishedAt = this.now().toISOString();
    const reason = aborted ? `interrupted by ${signalName}` : recordedReason(errorMessage(error));
    if (current) {
      const record: PhaseRecord = {
        status: aborted ? 'interrupted' : 'failed',
        startedAt: current.begunAt,
        finishedAt,
        ...hashField(current.inputHash),
        ...this.outputsField(current.phase.id),
        reason,
      };
      this.written[current.phase.id] = record;
      this.records[current.phase.id] = record;
    }
    const outcome: RunOutcome = aborted ? 'interrupted' : 'failed';
    this.lastRun = { ...this.lastRun, outcome, finishedAt, phase: phaseId };
    try {
      await this.persist();
    } catch (writeError) {
      // The original error matters more; say the state may be stale and carry on throwing it.
      this.io.notify({
        level: 'error',
        code: 'state.write-failed',
        text: oneLine(errorMessage(writeError)),
        phase: phaseId,
      });
    }
    if (!aborted) throw error;
    throw new InterruptedError(signalName, {
      phase: phaseId,
      ...(current ? {} : { message: `interrupted before phase ${phaseId}` }),
      cause: error,
    });
  }

  /** Every started phase's cleanUp, last first, each awaited; one that throws is reported and the others still run. */
  private async cleanUp(cause: CleanUpCause): Promise<void> {
    // Clean-ups must be able to finish (stop a container, release a remote lock) after the run's signal was raised,
    // so they get a signal of their own; the CLI's second Ctrl-C exits outright.
    const signal = new AbortController().signal;
    for (const phase of [...this.started].reverse()) {
      if (!phase.cleanUp) continue;
      const span = this.io.span(`Clean up: ${phase.title}`, { phase: phase.id });
      let kept = false;
      try {
        kept = (await phase.cleanUp(this.contextFor(phase, signal), cause)) === 'result-kept';
        span.end('ok');
      } catch (error) {
        span.end('failed', oneLine(errorMessage(error)));
        this.io.notify({
          level: 'error',
          code: 'phase.cleanup-failed',
          text: `cleaning up after phase ${phase.id} failed: ${oneLine(errorMessage(error))}`,
          phase: phase.id,
        });
      }
      // A clean-up may have undone what a finished phase did (a container stopped): drop its input hash so the next
      // run does not skip it as unchanged, unless the clean-up says it kept the result.
      const written = this.written[phase.id];
      if (!kept && written?.status === 'done' && written.inputHash !== undefined) {
        const { inputHash: _dropped, ...rest } = written;
        this.written[phase.id] = { ...rest, ...this.outputsField(phase.id) };
      }
    }
  }

  private contextFor(phase: Phase<D>, signal: AbortSignal): PhaseContext<D> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context's getters read the run's live fields
    const run = this;
    return {
      io: this.io,
      action: this.action.name,
      signal,
      dryRun: this.options.dryRun,
      data: this.action.data,
      ports: this.options.ports,
      get workDir() {
        return run.workDir;
      },
      get previous() {
        return run.previousRecords[phase.id];
      },
      useWorkDir: (dir) => this.useWorkDir(dir),
      setOutputs: (outputs) => {
        this.outputs.set(phase.id, { ...this.outputs.get(phase.id), ...outputs });
      },
      wet: async <T>(target: string, description: string, act: () => Promise<T>): Promise<T | undefined> => {
        if (this.options.dryRun) {
          this.dryRunEntries.push({ phase: phase.id, target, description });
          this.io.notify({
            level: 'info',
            code: 'dry-run',
            text: `would ${description} on ${target}`,
            phase: phase.id,
            data: { target, description },
          });
          return undefined;
        }
        // No new side effect once the run is being stopped.
        if (signal.aborted) throw new InterruptedError(abortName(signal.reason), { phase: phase.id });
        return await act();
      },
    };
  }

  private async useWorkDir(dir: WorkDir): Promise<void> {
    if (this.workDir !== undefined) {
      if (resolve(this.workDir.root) !== resolve(dir.root)) {
        throw new Error(
          `action ${this.action.name} claimed the work dir ${this.workDir.root}, then ${dir.root}: one run has one work dir`,
        );
      }
      return this.claiming;
    }
    this.workDir = dir;
    this.claiming = this.claim(dir);
    return this.claiming;
  }

  private async claim(dir: WorkDir): Promise<void> {
    if (this.options.dryRun) {
      // Dry-run takes no lock and writes nothing, but reads what earlier runs left so the plan skips what is done.
      this.previousRecords = (await readState(dir.root, { io: this.io, now: this.now, readOnly: true }))?.phases ?? {};
      return;
    }
    try {
      const created = await mkdir(dir.root, { recursive: true, mode: 0o700 });
      // mkdir's mode is narrowed by the umask (and ignored on some systems): the work dir holds credentials.
      if (created !== undefined) await chmod(dir.root, 0o700);
    } catch (error) {
      throw new OutputError(
        `cannot create the work dir ${dir.root}: ${describeSystemError(error)}`,
        'Check the path and its permissions, or pass another work dir.',
        error,
      );
    }
    this.lock = await acquireWorkDirLock(dir.root, { action: this.action.name, io: this.io, now: this.now });
    this.previousRecords = (await readState(dir.root, { io: this.io, now: this.now }))?.phases ?? {};
    this.store = { root: dir.root };
    await this.persist();
  }

  private async record(id: string, record: PhaseRecord): Promise<void> {
    this.records[id] = record;
    this.written[id] = record;
    await this.persist();
  }

  /** Writes state.json once the work dir is claimed; writes are queued so they land in order. */
  private persist(): Promise<void> {
    const store = this.store;
    if (store === undefined) return Promise.resolve();
    const write = () =>
      writeState(store.root, {
        version: 1,
        action: this.action.name,
        updatedAt: this.now().toISOString(),
        phases: { ...this.previousRecords, ...this.written },
        lastRun: this.lastRun,
      });
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  async releaseLock(): Promise<void> {
    // A claim still in flight (a phase that did not await useWorkDir) must settle first, or its lock would outlive us.
    await this.claiming?.catch(() => undefined);
    await this.lock?.release();
  }

  private outputsField(id: string): { outputs?: PhaseOutputs } {
    const outputs = this.outputs.get(id);
    return outputs ? { outputs } : {};
  }
}

function hashField(inputHash: string | undefined): { inputHash?: string } {
  return inputHash === undefined ? {} : { inputHash };
}

/** The signal's reason as a name: `SIGINT` when the CLI aborted with one, `abort` for a bare abort(). */
function abortName(reason: unknown): string {
  if (reason instanceof InterruptedError) return reason.signal;
  if (typeof reason === 'string' && reason.trim() !== '') return oneLine(reason);
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.message !== '') return oneLine(reason.message);
  return 'abort';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failure's message as state.json keeps it: every line (a failed playbook names each host and its cause on lines
 * of their own, and whoever reads the state later needs them after the terminal is gone), bounded so a runaway message
 * cannot bloat the file every later run reads.
 */
const REASON_MAX_LINES = 30;
const REASON_MAX_CHARS = 8000;
function recordedReason(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) return 'unknown error';
  const kept = lines.slice(0, REASON_MAX_LINES);
  if (lines.length > REASON_MAX_LINES) kept.push(`… ${lines.length - REASON_MAX_LINES} more lines`);
  const joined = kept.join('\n');
  return joined.length > REASON_MAX_CHARS ? `${joined.slice(0, REASON_MAX_CHARS)}…` : joined;
}

function oneLine(text: string): string {
  const line = text.split(/\r?\n/).find((part) => part.trim() !== '') ?? '';
  return line.trim() || 'unknown error';
}
