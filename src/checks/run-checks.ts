import { statfs } from 'node:fs/promises';
import { hostname as localHostname, networkInterfaces } from 'node:os';
import semver from 'semver';
import type { ClusterSpec } from '../model/cluster.js';
import { describeSystemError } from '../errors.js';
import type { IoHost, SpanOutcome } from '../ports/io-host.js';
import type { DevboxEngine, RemoteHosts } from '../ports/ports.js';
import { appliesTo, checkCatalog, factsNeeded, matchesPattern, type CheckSpec, type MachineRole } from './catalog.js';
import { evaluators, type EvaluationOptions } from './evaluators.js';
import { inspectMachine, runLimited } from './inspect-machine.js';
import type { CheckResult, CheckStatus, MachineFacts, MachineTarget, Outcome } from './types.js';

export interface CheckOptions {
  concurrency: number;
  commandTimeoutMs: number;
  machineTimeoutMs: number;
  only: string[];
  skip: string[];
  ignore: string[];
  maxClockOffsetSeconds: number;
  /** Where the dev-box keeps the work dir (free disk is measured there). */
  workDir: string;
}

/** What the checks reach the world through. */
export interface CheckPorts {
  hosts: RemoteHosts;
  devbox(): Promise<DevboxEngine>;
  io: IoHost;
  signal: AbortSignal;
  /** Each machine's report as soon as it is known (an interrupted run can still say what it had found). */
  onMachineReport?(report: MachineReport): void;
}

export interface MachineReport {
  hostname: string;
  ip: string;
  roles: string[];
  reachable: boolean;
  checks: CheckResult[];
}

export interface CheckReport {
  summary: { machines: number; passed: number; warnings: number; failed: number; unreachable: number };
  machines: MachineReport[];
  cluster: { checks: CheckResult[] };
  devbox: { checks: CheckResult[] };
}

export function machineTargets(input: ClusterSpec): MachineTarget[] {
  return input.layout.machines.map((machine) => {
    const sku = input.layout.skus.get(machine.machineType);
    const roles = new Set<MachineRole>();
    if (machine.master) roles.add('master');
    if (machine.worker) roles.add('worker');
    if (machine.worker && sku?.device?.type === 'nvidia.com/gpu') roles.add('gpu');
    return {
      hostname: machine.hostname,
      ip: machine.ip,
      roles,
      layoutRoles: [
        machine.master && 'pai-master',
        machine.worker && 'pai-worker',
        machine.storage && 'pai-storage',
      ].filter((role): role is string => typeof role === 'string'),
      sku,
    };
  });
}

/** Runs every selected check on the given machines (bounded concurrency), then the cluster-wide and dev-box checks. */
export async function runChecks(
  spec: ClusterSpec,
  targets: readonly MachineTarget[],
  options: CheckOptions,
  ports: CheckPorts,
): Promise<CheckReport> {
  const selected = checkCatalog().filter((check) => isSelected(check.id, options));
  const evaluation: EvaluationOptions = { maxClockOffsetSeconds: options.maxClockOffsetSeconds };
  const reports = new Map<string, MachineReport>();
  const facts = factsNeeded(selected);
  await runLimited(targets, options.concurrency, ports.signal, async (target) => {
    const span = ports.io.span(target.hostname, { phase: 'check', host: target.hostname });
    // One machine that hangs must not hold up the report: its own time limit, on top of the run's signal.
    const machineSignal = AbortSignal.any([ports.signal, AbortSignal.timeout(options.machineTimeoutMs)]);
    let gathered: MachineFacts;
    try {
      gathered = await inspectMachine(target, ports.hosts, {
        commandTimeoutMs: options.commandTimeoutMs,
        facts,
        sudoPassword: spec.config.ssh.password,
        signal: machineSignal,
        onProgress: (text) => span.update(text),
      });
    } catch (error) {
      if (ports.signal.aborted) {
        span.end('skipped', 'interrupted');
        throw error;
      }
      const message = machineSignal.aborted
        ? `no result within the machine timeout of ${options.machineTimeoutMs / 1000} s`
        : describeSystemError(error);
      gathered = {
        connected: false,
        sudo: 'none',
        facts: new Map(),
        connectFailure: { kind: machineSignal.aborted ? 'timeout' : 'error', message },
      };
    }
    const report = evaluateMachine(target, gathered, selected, options, evaluation);
    reports.set(target.hostname, report);
    ports.onMachineReport?.(report);
    span.end(machineOutcome(report), describe(report));
  });
  const machines = targets.map((target) => reports.get(target.hostname)!);
  const cluster = clusterChecks(spec, selected, options);
  const devbox = await devboxChecks(selected, options, ports);
  return { summary: summarize(machines), machines, cluster: { checks: cluster }, devbox: { checks: devbox } };
}

function machineOutcome(report: MachineReport): SpanOutcome {
  if (!report.reachable || report.checks.some((check) => check.status === 'fail')) return 'failed';
  return report.checks.some((check) => check.status === 'warn') ? 'warn' : 'ok';
}

/** One line for a machine: "12 passed, 1 warnings, 0 failed" or "unreachable: <why>". */
export function describe(report: MachineReport): string {
  if (!report.reachable) {
    const reason = report.checks.find((check) => check.status === 'fail')?.message ?? 'unreachable';
    return `unreachable: ${reason}`;
  }
  const count = (status: string) => report.checks.filter((check) => check.status === status).length;
  return `${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`;
}

export function isSelected(id: string, options: Pick<CheckOptions, 'only' | 'skip'>): boolean {
  if (options.only.length > 0 && !options.only.some((pattern) => matchesPattern(id, pattern))) return false;
  return !options.skip.some((pattern) => matchesPattern(id, pattern));
}

export function evaluateMachine(
  target: MachineTarget,
  facts: MachineFacts,
  selected: CheckSpec[],
  options: Pick<CheckOptions, 'ignore'>,
  evaluation: EvaluationOptions,
): MachineReport {
  const checks: CheckResult[] = [];
  for (const spec of selected) {
    if (spec.scope !== 'machine' || !appliesTo(spec.roles, target.roles)) continue;
    checks.push(toResult(spec, outcomeFor(spec, target, facts, evaluation), options));
  }
  return { hostname: target.hostname, ip: target.ip, roles: target.layoutRoles, reachable: facts.connected, checks };
}

function outcomeFor(
  spec: CheckSpec,
  target: MachineTarget,
  facts: MachineFacts,
  evaluation: EvaluationOptions,
): Outcome {
  const failure = facts.connectFailure;
  if (spec.id === 'ssh.connect') {
    if (facts.connected)
      return {
        ok: true,
        observed: `connected in ${facts.connectMillis ?? 0} ms${(facts.attempts ?? 1) > 1 ? ` (attempt ${facts.attempts})` : ''}`,
      };
    if (failure?.kind === 'host-key-mismatch' || failure?.kind === 'host-key-unknown')
      return { skip: 'refused at the host key (see ssh.host-key)' };
    return {
      ok: false,
      observed: failure?.message ?? 'not connected',
      message:
        failure?.kind === 'auth'
          ? `${target.ip} refused every configured login (user, key, password)`
          : `cannot reach ${target.ip} over SSH: ${failure?.message ?? 'unknown error'}`,
    };
  }
  if (spec.id === 'ssh.host-key') {
    const key = facts.hostKey;
    if (!key) return { skip: 'no host key was received' };
    if (key.status === 'mismatch')
      return {
        ok: false,
        observed: `${key.keyType} ${key.fingerprint}, expected ${key.expected ?? '?'}`,
        message: `the host key of ${target.ip} changed: ${key.fingerprint} instead of ${key.expected ?? 'the recorded one'}`,
      };
    if (key.status === 'unknown')
      return {
        ok: false,
        observed: `${key.keyType} ${key.fingerprint}`,
        message: `the host key of ${target.ip} is not in known_hosts and new keys are not accepted (--accept-new-host-keys)`,
      };
    return {
      ok: true,
      observed: `${key.keyType} ${key.fingerprint}${key.status === 'recorded' ? ' (recorded now: first contact)' : ''}`,
    };
  }
  if (!facts.connected) return { skip: failure?.kind === 'auth' ? 'not logged in' : 'machine unreachable' };
  const evaluator = evaluators[spec.id];
  if (!evaluator) return { skip: 'no evaluator (pai-deploy bug)' };
  return evaluator(target, facts, evaluation);
}

export function toResult(spec: CheckSpec, outcome: Outcome, options: Pick<CheckOptions, 'ignore'>): CheckResult {
  if ('skip' in outcome) return { id: spec.id, status: 'skip', observed: '', message: outcome.skip, hint: '' };
  if (outcome.ok === true)
    return { id: spec.id, status: 'pass', observed: outcome.observed, message: spec.title, hint: '' };
  const ignored = options.ignore.some((pattern) => matchesPattern(spec.id, pattern));
  const status: CheckStatus = outcome.ok === 'warn' || spec.severity === 'warning' || ignored ? 'warn' : 'fail';
  return {
    id: spec.id,
    status,
    observed: outcome.observed,
    message: ignored && outcome.ok === false ? `${outcome.message} (ignored: --ignore)` : outcome.message,
    hint: spec.hint,
  };
}

function clusterChecks(
  cluster: ClusterSpec,
  selected: CheckSpec[],
  options: Pick<CheckOptions, 'ignore'>,
): CheckResult[] {
  const spec = selected.find((check) => check.id === 'devbox.separate');
  if (!spec) return [];
  // Every machine of the layout, not only the --limit selection: the dev-box must be none of them.
  const targets = machineTargets(cluster);
  const own = new Set(
    Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address)),
  );
  const self = localHostname();
  const clash = targets.find((target) => own.has(target.ip) || target.hostname === self);
  const outcome: Outcome = clash
    ? {
        ok: false,
        observed: `${clash.hostname} (${clash.ip}) is this machine`,
        message: `the dev-box is ${clash.hostname}, a machine of the cluster`,
      }
    : { ok: true, observed: `dev-box ${self} is none of the ${targets.length} machines` };
  return [toResult(spec, outcome, options)];
}

async function devboxChecks(
  selected: CheckSpec[],
  options: Pick<CheckOptions, 'ignore' | 'workDir'>,
  ports: CheckPorts,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const docker = selected.find((check) => check.id === 'devbox.docker');
  if (docker) {
    let outcome: Outcome;
    try {
      const engine = await ports.devbox();
      const version = await engine.version(ports.signal);
      outcome = judgeDevboxDocker({ Version: version.version, ApiVersion: version.apiVersion });
    } catch (error) {
      if (ports.signal.aborted) throw error;
      outcome = {
        ok: false,
        observed: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
        message: 'no Docker engine answers on the dev-box',
      };
    }
    results.push(toResult(docker, outcome, options));
  }
  const disk = selected.find((check) => check.id === 'devbox.disk');
  if (disk) {
    const free = await freeBytes(options.workDir);
    const gib = free === undefined ? undefined : free / 2 ** 30;
    const outcome: Outcome =
      gib === undefined
        ? { skip: 'cannot measure free disk' }
        : gib >= 10
          ? { ok: true, observed: `${gib.toFixed(1)} GiB free` }
          : {
              ok: false,
              observed: `${gib.toFixed(1)} GiB free`,
              message: `only ${gib.toFixed(1)} GiB free where the work dir lives`,
            };
    results.push(toResult(disk, outcome, options));
  }
  return results;
}

/** The dev-box container needs exec, wait conditions and bind mounts as dockerode drives them: Docker 1.13 (API 1.25). */
export const DEVBOX_MIN_DOCKER_API = '1.25';

export function judgeDevboxDocker(version: { Version?: string; ApiVersion?: string }): Outcome {
  const observed = `docker ${version.Version ?? '?'} (API ${version.ApiVersion ?? '?'})`;
  const api = semver.coerce(version.ApiVersion ?? '');
  if (!api) return { ok: false, observed, message: 'the Docker engine did not report its API version' };
  if (semver.lt(api, semver.coerce(DEVBOX_MIN_DOCKER_API) ?? api)) {
    return {
      ok: false,
      observed,
      message: `the dev-box Docker engine speaks API ${version.ApiVersion ?? '?'}; pai-deploy needs ${DEVBOX_MIN_DOCKER_API} (Docker 1.13) or newer`,
    };
  }
  return { ok: true, observed };
}

async function freeBytes(path: string): Promise<number | undefined> {
  for (let dir = path; ; dir = dir.slice(0, Math.max(dir.lastIndexOf('/'), 1))) {
    try {
      const stats = await statfs(dir);
      return stats.bavail * stats.bsize;
    } catch {
      if (dir === '/') return undefined;
    }
  }
}

export function summarize(machines: MachineReport[]): CheckReport['summary'] {
  const summary = { machines: machines.length, passed: 0, warnings: 0, failed: 0, unreachable: 0 };
  for (const machine of machines) {
    if (!machine.reachable) summary.unreachable++;
    else if (machine.checks.some((check) => check.status === 'fail')) summary.failed++;
    else if (machine.checks.some((check) => check.status === 'warn')) summary.warnings++;
    else summary.passed++;
  }
  return summary;
}
