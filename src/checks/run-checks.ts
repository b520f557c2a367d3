import { readFile, statfs } from 'node:fs/promises';
import { hostname as localHostname, networkInterfaces } from 'node:os';
import semver from 'semver';
import type { ClusterSpec } from '../model/cluster.js';
import { KnownHosts, type HostKey } from '../infra/ssh/known-hosts.js';
import type { SshCredentials } from '../infra/ssh/ssh-session.js';
import { appliesTo, checkCatalog, factsNeeded, matchesPattern, type CheckSpec, type MachineRole } from './catalog.js';
import { evaluators, type EvaluationOptions } from './evaluators.js';
import { inspectMachine, runLimited } from './inspect-machine.js';
import type { CheckResult, CheckStatus, MachineFacts, MachineTarget, Outcome } from './types.js';

export interface CheckOptions {
  concurrency: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  machineTimeoutMs: number;
  connectAttempts: number;
  retryDelayMs: number;
  knownHostsPath: string;
  acceptNewHostKeys: boolean;
  only: string[];
  skip: string[];
  ignore: string[];
  maxClockOffsetSeconds: number;
  /** Where the dev-box keeps the work dir (free disk is measured there). */
  workDir: string;
  sshAgent: string | undefined;
  passphrase: string | undefined;
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

export interface CheckProgress {
  machineUpdate(hostname: string, text: string): void;
  machineDone(report: MachineReport): void;
  hostKeyRecorded(hostname: string, name: string, key: HostKey): void;
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
      layoutRoles: [machine.master && 'pai-master', machine.worker && 'pai-worker', machine.storage && 'pai-storage'].filter((role): role is string => typeof role === 'string'),
      sku,
    };
  });
}

export async function sshCredentials(input: ClusterSpec, options: Pick<CheckOptions, 'sshAgent' | 'passphrase'>): Promise<SshCredentials> {
  const ssh = input.config.ssh;
  const credentials: SshCredentials = { username: ssh.user };
  if (ssh.keyFile) credentials.privateKey = await readFile(ssh.keyFile.path);
  if (options.passphrase !== undefined) credentials.passphrase = options.passphrase;
  if (options.sshAgent) credentials.agent = options.sshAgent;
  if (ssh.password !== undefined) credentials.password = ssh.password;
  return credentials;
}

/** Runs every selected check on every machine (bounded concurrency), then the cluster-wide and dev-box checks. */
export async function runChecks(input: ClusterSpec, options: CheckOptions, progress: CheckProgress): Promise<CheckReport> {
  const selected = checkCatalog().filter((spec) => isSelected(spec.id, options));
  const targets = machineTargets(input);
  const knownHosts = await KnownHosts.open(options.knownHostsPath);
  const credentials = await sshCredentials(input, options);
  const port = input.config.ssh.port;
  const evaluation: EvaluationOptions = { maxClockOffsetSeconds: options.maxClockOffsetSeconds };
  const reports = new Map<string, MachineReport>();
  const facts = factsNeeded(selected);
  await runLimited(targets, options.concurrency, async (target) => {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), options.machineTimeoutMs);
    const inspection = inspectMachine(target, {
      port,
      credentials,
      knownHosts,
      acceptNewHostKeys: options.acceptNewHostKeys,
      connectTimeoutMs: options.connectTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs,
      facts,
      connectAttempts: options.connectAttempts,
      retryDelayMs: options.retryDelayMs,
      signal: controller.signal,
      onProgress: (text) => progress.machineUpdate(target.hostname, text),
      onHostKeyRecorded: (name, key) => progress.hostKeyRecorded(target.hostname, name, key),
    });
    const timedOut = new Promise<MachineFacts>((resolve) =>
      controller.signal.addEventListener('abort', () => resolve({ connected: false, sudo: 'none', facts: new Map(), connectFailure: { kind: 'timeout', message: `no result within the machine timeout of ${options.machineTimeoutMs / 1000} s` } })),
    );
    const gathered = await Promise.race([inspection, timedOut]);
    clearTimeout(timeout);
    const report = evaluateMachine(target, gathered, selected, options, evaluation);
    reports.set(target.hostname, report);
    progress.machineDone(report);
  });
  const machines = targets.map((target) => reports.get(target.hostname)!);
  const cluster = clusterChecks(targets, selected, options);
  const devbox = await devboxChecks(selected, options);
  return { summary: summarize(machines), machines, cluster: { checks: cluster }, devbox: { checks: devbox } };
}

export function isSelected(id: string, options: Pick<CheckOptions, 'only' | 'skip'>): boolean {
  if (options.only.length > 0 && !options.only.some((pattern) => matchesPattern(id, pattern))) return false;
  return !options.skip.some((pattern) => matchesPattern(id, pattern));
}

export function evaluateMachine(target: MachineTarget, facts: MachineFacts, selected: CheckSpec[], options: Pick<CheckOptions, 'ignore'>, evaluation: EvaluationOptions): MachineReport {
  const checks: CheckResult[] = [];
  for (const spec of selected) {
    if (spec.scope !== 'machine' || !appliesTo(spec.roles, target.roles)) continue;
    checks.push(toResult(spec, outcomeFor(spec, target, facts, evaluation), options));
  }
  return { hostname: target.hostname, ip: target.ip, roles: target.layoutRoles, reachable: facts.connected, checks };
}

function outcomeFor(spec: CheckSpec, target: MachineTarget, facts: MachineFacts, evaluation: EvaluationOptions): Outcome {
  const failure = facts.connectFailure;
  if (spec.id === 'ssh.connect') {
    if (facts.connected) return { ok: true, observed: `connected in ${facts.connectMillis ?? 0} ms${(facts.attempts ?? 1) > 1 ? ` (attempt ${facts.attempts})` : ''}` };
    if (failure?.kind === 'host-key-mismatch' || failure?.kind === 'host-key-unknown') return { skip: 'refused at the host key (see ssh.host-key)' };
    return { ok: false, observed: failure?.message ?? 'not connected', message: failure?.kind === 'auth' ? `${target.ip} refused every configured login (user, key, password)` : `cannot reach ${target.ip} over SSH: ${failure?.message ?? 'unknown error'}` };
  }
  if (spec.id === 'ssh.host-key') {
    const key = facts.hostKey;
    if (!key) return { skip: 'no host key was received' };
    if (key.status === 'mismatch') return { ok: false, observed: `${key.keyType} ${key.fingerprint}, expected ${key.expected ?? '?'}`, message: `the host key of ${target.ip} changed: ${key.fingerprint} instead of ${key.expected ?? 'the recorded one'}` };
    if (key.status === 'unknown') return { ok: false, observed: `${key.keyType} ${key.fingerprint}`, message: `the host key of ${target.ip} is not in known_hosts and new keys are not accepted (--accept-new-host-keys)` };
    return { ok: true, observed: `${key.keyType} ${key.fingerprint}${key.status === 'recorded' ? ' (recorded now: first contact)' : ''}` };
  }
  if (!facts.connected) return { skip: failure?.kind === 'auth' ? 'not logged in' : 'machine unreachable' };
  const evaluator = evaluators[spec.id];
  if (!evaluator) return { skip: 'no evaluator (pai-deploy bug)' };
  return evaluator(target, facts, evaluation);
}

export function toResult(spec: CheckSpec, outcome: Outcome, options: Pick<CheckOptions, 'ignore'>): CheckResult {
  if ('skip' in outcome) return { id: spec.id, status: 'skip', observed: '', message: outcome.skip, hint: '' };
  if (outcome.ok === true) return { id: spec.id, status: 'pass', observed: outcome.observed, message: spec.title, hint: '' };
  const ignored = options.ignore.some((pattern) => matchesPattern(spec.id, pattern));
  const status: CheckStatus = outcome.ok === 'warn' || spec.severity === 'warning' || ignored ? 'warn' : 'fail';
  return { id: spec.id, status, observed: outcome.observed, message: ignored && outcome.ok === false ? `${outcome.message} (ignored: --ignore)` : outcome.message, hint: spec.hint };
}

function clusterChecks(targets: MachineTarget[], selected: CheckSpec[], options: Pick<CheckOptions, 'ignore'>): CheckResult[] {
  const spec = selected.find((check) => check.id === 'devbox.separate');
  if (!spec) return [];
  const own = new Set(Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address)));
  const self = localHostname();
  const clash = targets.find((target) => own.has(target.ip) || target.hostname === self);
  const outcome: Outcome = clash
    ? { ok: false, observed: `${clash.hostname} (${clash.ip}) is this machine`, message: `the dev-box is ${clash.hostname}, a machine of the cluster` }
    : { ok: true, observed: `dev-box ${self} is none of the ${targets.length} machines` };
  return [toResult(spec, outcome, options)];
}

async function devboxChecks(selected: CheckSpec[], options: Pick<CheckOptions, 'ignore' | 'workDir'>): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const docker = selected.find((check) => check.id === 'devbox.docker');
  if (docker) {
    let outcome: Outcome;
    try {
      const Docker = (await import('dockerode')).default;
      outcome = judgeDevboxDocker(await new Docker().version());
    } catch (error) {
      outcome = { ok: false, observed: error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error), message: 'no Docker engine answers on the dev-box' };
    }
    results.push(toResult(docker, outcome, options));
  }
  const disk = selected.find((check) => check.id === 'devbox.disk');
  if (disk) {
    const free = await freeBytes(options.workDir);
    const gib = free === undefined ? undefined : free / 2 ** 30;
    const outcome: Outcome = gib === undefined
      ? { skip: 'cannot measure free disk' }
      : gib >= 10 ? { ok: true, observed: `${gib.toFixed(1)} GiB free` } : { ok: false, observed: `${gib.toFixed(1)} GiB free`, message: `only ${gib.toFixed(1)} GiB free where the work dir lives` };
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
    return { ok: false, observed, message: `the dev-box Docker engine speaks API ${version.ApiVersion ?? '?'}; pai-deploy needs ${DEVBOX_MIN_DOCKER_API} (Docker 1.13) or newer` };
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
