import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inspectMachine, runLimited } from '../../checks/inspect-machine.js';
import { parseNvidiaSmiList } from '../../checks/parsers/nvidia-smi.js';
import { parsePythonInterpreters, type PythonInterpreter } from '../../checks/parsers/python.js';
import { parseMemTotal } from '../../checks/parsers/system.js';
import type { MachineFacts, MachineTarget } from '../../checks/types.js';
import { describeSystemError } from '../../errors.js';
import type { IoHost } from '../../ports/io-host.js';
import type { ConnectFailureKind, Ports, SshLogin } from '../../ports/ports.js';
import { CHECK_DEFAULTS } from '../../phase/phases/check-defaults.js';

/** A machine to probe. */
export interface ProbeTarget {
  hostname: string;
  ip: string;
}

/** How to log in: the answers given so far. The password is only ever passed to the SSH client. */
export interface ProbeLogin {
  user: string;
  port: number;
  /** The private key's absolute path. */
  keyFile: string | undefined;
  password: string | undefined;
}

/** What the wizard prefills the SKU questions with. */
export interface Hardware {
  /** Devices `nvidia-smi -L` lists (0 when it fails or is missing). */
  gpus: number;
  /** The model most of them have, as nvidia-smi names it (`Tesla K80`), control characters removed. */
  gpuModel: string | undefined;
  /** `nproc`. */
  cpus: number | undefined;
  /** MemTotal of /proc/meminfo, in bytes. */
  memoryBytes: number | undefined;
}

export type ProbeResult =
  | {
      hostname: string;
      ip: string;
      ok: true;
      authMethod: 'publickey' | 'agent' | 'password';
      hardware: Hardware;
      /** The interpreters found (python-interpreters), usable by Ansible 2.7 or not. */
      pythons: PythonInterpreter[];
    }
  | { hostname: string; ip: string; ok: false; failure: { kind: ConnectFailureKind; message: string } };

export interface ProbeRequest {
  targets: readonly ProbeTarget[];
  login: ProbeLogin;
  /** The cluster's known_hosts (the work dir's): first contact records the key `pai-deploy check` then expects. */
  knownHostsPath: string;
  io: IoHost;
  signal: AbortSignal;
}

/** Reads the hardware of machines over SSH; tests pass a fake. Resolves with one result per target, in order. */
export type MachineProbe = (request: ProbeRequest) => Promise<ProbeResult[]>;

/**
 * The facts of the pre-flight engine (requirement-checks/facts.yaml) the SKU questions are prefilled from, and the
 * interpreters ansible_python_interpreter is chosen from.
 */
export const PROBE_FACTS: ReadonlySet<string> = new Set(['nvidia-smi-list', 'meminfo', 'nproc', 'python-interpreters']);

/** Strips what must not reach a terminal or a YAML file from text a machine printed. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, '').trim();
}

/** The hardware a machine's gathered facts show (the same facts and parsers `pai-deploy check` uses). */
export function hardwareFromFacts(facts: MachineFacts): Hardware {
  const list = facts.facts.get('nvidia-smi-list');
  const gpus = list && list.exitCode === 0 ? parseNvidiaSmiList(list.stdout) : [];
  const counts = new Map<string, number>();
  for (const gpu of gpus) {
    const name = clean(gpu.name);
    if (name !== '') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const gpuModel = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  const nproc = facts.facts.get('nproc');
  const cpus = nproc && nproc.exitCode === 0 ? Number(nproc.stdout.trim()) : NaN;
  const meminfo = facts.facts.get('meminfo');
  return {
    gpus: gpus.length,
    gpuModel,
    cpus: Number.isSafeInteger(cpus) && cpus > 0 ? cpus : undefined,
    memoryBytes: meminfo && meminfo.exitCode === 0 ? parseMemTotal(meminfo.stdout) : undefined,
  };
}

/** One machine's probe result from its facts. */
export function probeResult(target: ProbeTarget, facts: MachineFacts): ProbeResult {
  if (!facts.connected) {
    return {
      ...target,
      ok: false,
      failure: facts.connectFailure ?? { kind: 'error', message: 'could not connect' },
    };
  }
  const pythons = facts.facts.get('python-interpreters');
  return {
    ...target,
    ok: true,
    authMethod: facts.authMethod ?? 'publickey',
    hardware: hardwareFromFacts(facts),
    pythons: pythons ? parsePythonInterpreters(pythons.stdout) : [],
  };
}

export interface SshProbeOptions {
  env: NodeJS.ProcessEnv;
  concurrency?: number;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/**
 * The real probe: one SSH connection per machine through Ports.openHosts (ssh2; ssh-agent and a key passphrase from
 * the environment, like `check`), the three facts gathered by the pre-flight engine's one-shell batch, read-only. Host
 * keys are trusted on first use into the cluster's known_hosts, so the later pre-flight checks verify the same keys.
 */
export function sshProbe(ports: Ports, options: SshProbeOptions): MachineProbe {
  return async (request) => {
    const { login, io, signal } = request;
    const ssh: SshLogin = { username: login.user, port: login.port };
    if (login.keyFile !== undefined) {
      try {
        ssh.privateKey = await readFile(login.keyFile);
      } catch (error) {
        const message = `cannot read the key ${login.keyFile}: ${describeSystemError(error)}`;
        return request.targets.map((target) => ({ ...target, ok: false, failure: { kind: 'error', message } }));
      }
    }
    const passphrase = options.env['PAI_DEPLOY_SSH_PASSPHRASE'];
    if (passphrase) ssh.passphrase = passphrase;
    const agent = options.env['SSH_AUTH_SOCK'];
    if (agent) ssh.agent = agent;
    if (login.password !== undefined) ssh.password = login.password;
    await ensurePrivateDir(dirname(request.knownHostsPath));
    const hosts = await ports.openHosts({
      login: ssh,
      knownHostsPath: request.knownHostsPath,
      acceptNewHostKeys: true,
      connectTimeoutMs: options.connectTimeoutMs ?? CHECK_DEFAULTS.connectTimeoutMs,
      connectAttempts: 1,
      retryDelayMs: CHECK_DEFAULTS.retryDelayMs,
      onHostKeyRecorded: (host, key) =>
        io.notify({
          level: 'info',
          code: 'ssh.host-key-recorded',
          host: host.hostname,
          text: `first contact, recorded host key of ${host.ip}: ${key.keyType} ${key.fingerprint}`,
          data: { ip: host.ip, keyType: key.keyType, fingerprint: key.fingerprint },
        }),
    });
    const results = new Map<string, ProbeResult>();
    await runLimited(request.targets, options.concurrency ?? CHECK_DEFAULTS.concurrency, signal, async (target) => {
      const span = io.span('probe', { host: target.hostname });
      const machine: MachineTarget = {
        hostname: target.hostname,
        ip: target.ip,
        // Every machine is asked for its GPUs, the master too: the answer prefills its SKU.
        roles: new Set(['worker', 'gpu']),
        layoutRoles: [],
        sku: undefined,
      };
      const facts = await inspectMachine(machine, hosts, {
        commandTimeoutMs: options.commandTimeoutMs ?? CHECK_DEFAULTS.commandTimeoutMs,
        facts: PROBE_FACTS,
        sudoPassword: undefined,
        signal,
        onProgress: (text) => span.update(text),
      });
      const result = probeResult(target, facts);
      results.set(target.hostname, result);
      span.end(result.ok ? 'ok' : 'failed', result.ok ? describeHardware(result.hardware) : result.failure.message);
    });
    signal.throwIfAborted();
    return request.targets.map(
      (target) =>
        results.get(target.hostname) ?? {
          ...target,
          ok: false,
          failure: { kind: 'error', message: 'not probed' },
        },
    );
  };
}

/** The work dir holds credentials: created 0700 like the phase manager creates it, whoever comes first. */
async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(dir, 0o700);
}

/** `4 GPUs (Tesla K80), 24 CPUs, 220.4 GiB`. */
export function describeHardware(hardware: Hardware): string {
  const parts = [
    hardware.gpus > 0
      ? `${hardware.gpus} GPU${hardware.gpus === 1 ? '' : 's'}${hardware.gpuModel ? ` (${hardware.gpuModel})` : ''}`
      : 'no GPU',
    hardware.cpus !== undefined ? `${hardware.cpus} CPUs` : 'CPUs unknown',
    hardware.memoryBytes !== undefined ? `${(hardware.memoryBytes / 2 ** 30).toFixed(1)} GiB` : 'memory unknown',
  ];
  return parts.join(', ');
}
