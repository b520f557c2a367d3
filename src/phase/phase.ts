import type { WorkDir } from '../model/work-dir.js';
import type { IoHost } from '../ports/io-host.js';
import type { Ports } from '../ports/ports.js';

/**
 * A step of an action (k0sctl's phase): only `id`, `title` and `run` are required; everything else is optional and
 * detected by the manager. Phases of one action share `ctx.data`, typed by the action.
 */
export interface Phase<D = unknown> {
  /** Stable id, used in state.json, --progress json and messages, e.g. `render`. */
  readonly id: string;
  /** Sentence case, e.g. "Render the kubespray inventory". */
  readonly title: string;
  /**
   * Computes what later phases read (the validated cluster, the rendered files, a verified source tree, the API
   * connection) and changes nothing on a machine or in the cluster: it runs even where --from/--only leave the
   * phases around it out, so the selected ones have their data (`--from kubespray` still validates the inputs).
   */
  readonly prerequisite?: boolean;
  /**
   * Phases whose results this one undoes (kubespray reset.yml undoes the cluster, the labels, the services): once it
   * has finished, their records are dropped from state.json, so a later run does them again.
   */
  readonly invalidates?: readonly string[];
  /** Chooses hosts and computes intent; no side effects. */
  prepare?(ctx: PhaseContext<D>): Promise<void>;
  /** False (or a reason string) skips the phase, e.g. nothing to add. Called after prepare. */
  shouldRun?(ctx: PhaseContext<D>): boolean | string;
  /**
   * What the phase's result depends on. Hashed into state.json: when a phase finished before with the same hash, a
   * rerun skips it (unless forced). A phase without inputs, or whose inputs are undefined, always runs.
   */
  inputs?(ctx: PhaseContext<D>): unknown;
  /** Side effects only through ctx.wet(...) and ctx.ports, watching ctx.signal. */
  run(ctx: PhaseContext<D>): Promise<void>;
  /**
   * After a failure or an abort, for every phase that started (its run was called), in reverse order. May be
   * asynchronous. Its ctx.signal is not the run's (aborted) one but a fresh signal, so the clean-up can finish.
   * A finished phase's result counts as undone afterwards (a rerun does it again), unless the clean-up resolves
   * `'result-kept'` (it only wrote a report, say).
   */
  cleanUp?(ctx: PhaseContext<D>, cause: CleanUpCause): Promise<void | 'result-kept'>;
}

export type CleanUpCause = { kind: 'failed'; error: unknown } | { kind: 'aborted'; reason: string };

/** Small values a phase leaves in state.json for later phases and runs, e.g. the check report's path. */
export type PhaseOutputs = Record<string, string | number | boolean>;

export interface PhaseContext<D = unknown> {
  readonly io: IoHost;
  /** The running action's name (the user's verb: `render`, `deploy`), e.g. for locks that name their holder. */
  readonly action: string;
  /** Aborted on the first SIGINT/SIGTERM/SIGHUP; pass it to every await that can take long. */
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  readonly data: D;
  readonly ports: Ports;
  /** The cluster's work dir once claimed (useWorkDir); undefined for actions that keep no state. */
  readonly workDir: WorkDir | undefined;
  /** Claims the work dir: takes its lock (refusing a second run) and loads state.json. Idempotent; nothing in dry-run. */
  useWorkDir(dir: WorkDir): Promise<void>;
  /** What the previous run recorded for this phase (outputs of a finished phase), if any. */
  readonly previous: PhaseRecord | undefined;
  setOutputs(outputs: PhaseOutputs): void;
  /**
   * The one gate for side effects: runs `act`, or in dry-run records "would <description> on <target>" and returns
   * undefined. `target` names the machine, file or object touched ("dev-box" for local work).
   */
  wet<T>(target: string, description: string, act: () => Promise<T>): Promise<T | undefined>;
}

export type PhaseStatus = 'running' | 'done' | 'failed' | 'interrupted' | 'skipped';

export interface PhaseRecord {
  status: PhaseStatus;
  inputHash?: string;
  startedAt?: string;
  finishedAt?: string;
  outputs?: PhaseOutputs;
  /** Why it failed or was skipped, one line. */
  reason?: string;
}

/** A user verb: a named list of phases over shared data. */
export interface Action<D = unknown> {
  readonly name: string;
  readonly phases: ReadonlyArray<Phase<D>>;
  readonly data: D;
}

/** One line of the dry-run log: what would be done, where. */
export interface DryRunEntry {
  phase: string;
  target: string;
  description: string;
}
