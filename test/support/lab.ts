import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/**
 * Test helper for the lab (scripts/lab): real SSH machines with their own Docker engines, as
 * containers on a dedicated network. A suite brings up the machines it needs with `useLab` (or
 * `startLab` + `stop`), runs commands on them over real SSH, and the lab is torn down afterwards
 * even when tests fail. Spec format and profiles: scripts/lab.d/README.md.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LAB_SCRIPT = path.join(REPO_ROOT, 'scripts', 'lab');

export type LabRole = 'master' | 'gpu-worker' | 'cpu-worker';
export type LabFault =
  | 'no-docker'
  | 'runtime-runc'
  | 'runtime-flag-only'
  | 'daemon-json-conflict'
  | 'ntp-off'
  | 'dynamic-ip'
  | 'sudo-password'
  | 'password-only'
  | 'down'
  | 'low-memory';
export type LabProfile = LabRole | LabFault;
/** PID 1 of a machine: tini running the lab's init script (default, light), or real systemd. */
export type LabInit = 'tini' | 'systemd';

export interface LabMachineSpec {
  hostname: string;
  /** A role, or a fault (which implies a role: gpu-worker for the runtime faults, else cpu-worker). */
  profile?: LabProfile;
  /** More faults on top of the profile. */
  faults?: LabFault[];
  /** No inner dockerd (for large labs). */
  light?: boolean;
  /** systemd: sshd, chrony and docker run as Debian's systemd units; systemctl/timedatectl work. */
  init?: LabInit;
  /** gpu-worker only: simulated GPU count (default 1) and model (default "Tesla K80"). */
  gpus?: number;
  gpuModel?: string;
  /** Memory limit, e.g. "512m", "2g" (enforced by the kernel and shown in /proc/meminfo). */
  memory?: string;
  /** CPUs the machine may use (a cpuset: nproc shows it). */
  cpus?: number;
  /** Fixed address inside the lab subnet (default: assigned from .10 on). */
  ip?: string;
  /** Expand to `count` machines, `{i}` in the hostname numbered from 1 (or "-<i>" appended). */
  count?: number;
}

export interface LabSpec {
  /** Lab name: lower-case letters, digits and '-'; labels every container and network of the lab. */
  name: string;
  /** Login user on every machine (default "pai"). */
  user?: string;
  /** Subnet of the lab network (default: the first free /24 in 10.210.0.0/16 … 10.249.0.0/16). */
  subnet?: string;
  /** Default `light` for every machine. */
  light?: boolean;
  /** Default `init` for every machine. */
  init?: LabInit;
  machines: LabMachineSpec[];
}

export interface LabMachine {
  hostname: string;
  ip: string;
  user: string;
  keyPath: string;
  profile: LabProfile;
  role: LabRole;
  faults: LabFault[];
  light: boolean;
  init: LabInit;
  sshPort: number;
  container: string;
  /** The container's state as docker reports it: "running", or "exited" for a `down` machine. */
  state: string;
  /** Login / sudo password; only for password-only and sudo-password machines. */
  password?: string;
  gpus?: { count: number; model: string };
  memory?: string;
  cpus?: number;
}

/** What `scripts/lab up` prints. */
export interface LabInfo {
  machines: LabMachine[];
  network: string;
  devboxImage: string;
  machineImage: string;
  labName: string;
  subnet: string;
  gateway: string;
  timeServer: { hostname: string; ip: string };
  stateDir: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Lab extends LabInfo {
  machine(hostname: string): LabMachine;
  /** Runs `command` (a shell command line) on the machine over real SSH with the lab key. */
  exec(hostname: string, command: string, options?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** `scripts/lab down`: removes every container, network and temp file of the lab. Idempotent. */
  stop(): Promise<void>;
}

export const SSH_OPTIONS: readonly string[] = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'BatchMode=yes',
  '-o',
  'ConnectTimeout=10',
];

/** Runs a program without a shell; never rejects on a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n(killed after ${options.timeoutMs ?? 120_000} ms)`;
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function which(program: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `command -v ${program}`], (error) => resolve(error === null));
  });
}

/**
 * null when labs can be started here (a Docker engine answers, python3 and an SSH client exist,
 * and the lab can build its images), else a one-line reason.
 */
export async function labAvailable(): Promise<string | null> {
  try {
    await access(LAB_SCRIPT, fsConstants.X_OK);
  } catch {
    return `${LAB_SCRIPT} is missing or not executable`;
  }
  for (const program of ['python3', 'docker', 'ssh', 'ssh-keygen']) {
    if (!(await which(program))) return `${program} is not installed (scripts/ci/provision-lab.sh installs it)`;
  }
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  if (info.code !== 0) {
    return 'no Docker engine answers (start one with `scripts/lab engine` as root, or run scripts/ci/provision-lab.sh)';
  }
  const images = await run('docker', ['image', 'ls', '--filter', 'label=pai-lab.image', '--format', '{{.Repository}}']);
  const built = new Set(images.stdout.split('\n').filter((line) => line !== ''));
  if (!(built.has('pai-lab-machine') && built.has('pai-lab-devbox')) && !(await which('debootstrap'))) {
    if (process.getuid?.() !== 0) return 'lab images are not built and debootstrap is missing (not root to install it)';
  }
  return null;
}

function parseLabInfo(text: string): LabInfo {
  const parsed: unknown = JSON.parse(text);
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !Array.isArray((parsed as { machines?: unknown }).machines) ||
    typeof (parsed as { network?: unknown }).network !== 'string'
  ) {
    throw new Error(`scripts/lab printed no lab: ${text.slice(0, 200)}`);
  }
  return parsed as LabInfo;
}

/** `scripts/lab up` for the spec; on failure the half-made lab is taken down again. */
export async function startLab(spec: LabSpec): Promise<Lab> {
  const { name, ...rest } = spec;
  const up = await run(LAB_SCRIPT, ['up', '--name', name, '--spec', '-'], {
    input: JSON.stringify({ name, ...rest }),
    timeoutMs: 900_000,
  });
  if (up.code !== 0) {
    await run(LAB_SCRIPT, ['down', '--name', name]);
    throw new Error(`scripts/lab up --name ${name} failed (exit ${up.code}): ${up.stderr.trim()}`);
  }
  const info = parseLabInfo(up.stdout);
  let stopped = false;
  const lab: Lab = {
    ...info,
    machine(hostname: string): LabMachine {
      const found = info.machines.find((m) => m.hostname === hostname);
      if (!found) throw new Error(`lab ${name} has no machine ${hostname}`);
      return found;
    },
    exec(hostname, command, options = {}) {
      const m = lab.machine(hostname);
      return run(
        'ssh',
        [...SSH_OPTIONS, '-i', m.keyPath, '-p', String(m.sshPort), `${m.user}@${m.ip}`, '--', command],
        options,
      );
    },
    async stop() {
      if (stopped) return;
      const down = await run(LAB_SCRIPT, ['down', '--name', name], { timeoutMs: 300_000 });
      if (down.code !== 0) throw new Error(`scripts/lab down --name ${name} failed: ${down.stderr.trim()}`);
      stopped = true;
    },
  };
  return lab;
}

/**
 * Brings the lab up in beforeAll and takes it down in afterAll (which vitest runs even when tests
 * or beforeAll fail). Returns a getter for the running lab.
 */
export function useLab(spec: LabSpec): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await startLab(spec);
  });
  afterAll(async () => {
    if (lab) await lab.stop();
    else await run(LAB_SCRIPT, ['down', '--name', spec.name], { timeoutMs: 300_000 });
  });
  return () => {
    if (!lab) throw new Error(`lab ${spec.name} is not up (its beforeAll failed)`);
    return lab;
  };
}
