import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import {
  LAB_SCRIPT,
  REPO_ROOT,
  labAvailable,
  run,
  type Lab,
  type LabMachine,
  type LabMachineSpec,
  type LabSpec,
} from './lab.js';

/**
 * The lab's kubespray pieces (scripts/lab.d/README.md, "Python 3.7 machines and the Ansible 2.7 dev box"): machines
 * with pyenv's CPython 3.7.16 at /opt/python3.7 (spec `python: "3.7"`, systemd init by default), and the devbox27
 * image, built by the product's devbox/Dockerfile and buildDevboxImage on an offline Debian 12 + CPython 3.7 base.
 */

export const PYENV_PYTHON37 = '3.7.16';

/** A lab machine spec with the lab's `python` option. */
export interface KubesprayLabMachineSpec extends LabMachineSpec {
  /** "3.7": the machine image variant with /opt/python3.7 (Ansible 2.7's modules need Python <= 3.7). */
  python?: '3.7';
}

export interface KubesprayLabSpec extends Omit<LabSpec, 'machines'> {
  machines: KubesprayLabMachineSpec[];
}

/** What `scripts/lab images` prints. */
export interface LabImages {
  machineImage: string;
  devboxImage: string;
  machinePy37Image: string;
  devbox27Image: string;
  /** How scripts/lab built devbox27 (buildDevboxImage's arguments): the same again is a docker cache hit. */
  devbox27Build: {
    tag: string;
    contextDir: string;
    dockerfile: string;
    buildArgs: Record<string, string>;
    labels: Record<string, string>;
  };
}

function pyenvRoot(): string {
  return process.env['PYENV_ROOT'] || path.join(homedir(), '.pyenv');
}

/** For describeWithInfra: null when the lab can build its Python 3.7 images here, else why not. */
export async function devbox27Available(): Promise<string | null> {
  const lab = await labAvailable();
  if (lab !== null) return lab;
  const python = path.join(pyenvRoot(), 'versions', PYENV_PYTHON37, 'bin', 'python3.7');
  try {
    await access(python, fsConstants.X_OK);
  } catch {
    return `no pyenv CPython ${PYENV_PYTHON37} at ${python} (the lab copies it into its Python 3.7 images)`;
  }
  try {
    await access(path.join(REPO_ROOT, 'node_modules', 'tsx'), fsConstants.R_OK);
  } catch {
    return 'node_modules/tsx is missing (npm ci): the lab builds devbox27 with the product code through tsx';
  }
  return null;
}

let images: Promise<LabImages> | undefined;

/** `scripts/lab images` (builds what is missing: minutes the first time, well under a second when cached). */
export function labImages(): Promise<LabImages> {
  images ??= run(LAB_SCRIPT, ['images'], { timeoutMs: 1_500_000 }).then((result) => {
    if (result.code !== 0) throw new Error(`scripts/lab images failed (exit ${result.code}): ${result.stderr.trim()}`);
    return JSON.parse(result.stdout) as LabImages;
  });
  return images;
}

/** The interpreter the lab reports for a machine (`python` in its JSON): for ansible_python_interpreter. */
export function machinePython(machine: LabMachine): string {
  const python = (machine as LabMachine & { python?: unknown }).python;
  if (typeof python !== 'string') throw new Error(`the lab JSON names no python for ${machine.hostname}`);
  return python;
}

/** The lab JSON's devbox27Image (set for labs with python 3.7 machines). */
export function labDevbox27Image(lab: Lab): string {
  const image = (lab as Lab & { devbox27Image?: unknown }).devbox27Image;
  if (typeof image !== 'string') throw new Error(`lab ${lab.labName} reports no devbox27Image`);
  return image;
}

/** The spec as startLab/useLab take it (LabSpec does not know `python`; scripts/lab does). */
export function asLabSpec(spec: KubesprayLabSpec): LabSpec {
  return spec;
}

export interface DevboxRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a fresh container of `image` (dockerode) on `network`, with read-only bind mounts; the container
 * is removed afterwards whatever happens. For tests: driving Ansible 2.7 in the dev box against lab machines.
 */
export async function runInContainer(
  docker: Dockerode,
  options: {
    image: string;
    network: string;
    command: string[];
    mounts: { source: string; target: string }[];
    env?: Record<string, string>;
    name?: string;
    timeoutMs?: number;
  },
): Promise<DevboxRun> {
  const container = await docker.createContainer({
    Image: options.image,
    ...(options.name ? { name: options.name } : {}),
    Cmd: options.command,
    Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
    Labels: { 'pai-deploy.test': 'devbox27' },
    Tty: false,
    HostConfig: {
      NetworkMode: options.network,
      Mounts: options.mounts.map((mount) => ({
        Type: 'bind' as const,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: true,
      })),
    },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    err.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    docker.modem.demuxStream(stream, out, err);
    const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
    await container.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${options.command.join(' ')} did not end within ${options.timeoutMs ?? 300_000} ms`)),
        options.timeoutMs ?? 300_000,
      );
    });
    try {
      const result = (await Promise.race([container.wait(), timeout])) as { StatusCode: number };
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      return { exitCode: result.StatusCode, stdout, stderr };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
