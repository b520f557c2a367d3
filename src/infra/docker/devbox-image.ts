import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { InterruptedError, PaiDeployError } from '../../errors.js';

/**
 * The dev-box image over dockerode: whether it exists, building it from devbox/Dockerfile (or any context), pulling
 * it, and checking the contract kubespray 2.11 needs from it (Ansible 2.7.8+ but not 2.8, Python <= 3.7, ssh, rsync).
 */

/** One thing a build reports as it goes: a new Dockerfile step, or a line of output (docker's or the step's). */
export type DevboxBuildEvent =
  { type: 'step'; step: number; steps: number; instruction: string } | { type: 'output'; line: string };

export interface DevboxBuildOptions {
  /** The tag the built image gets, e.g. `pai-deploy/devbox:kubespray-2.11`. */
  tag: string;
  /** The build context: a directory, sent as a tar (its .dockerignore is honoured). */
  contextDir: string;
  /** The Dockerfile's path inside the context (default `Dockerfile`). */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  onProgress?: (event: DevboxBuildEvent) => void;
  /** Aborting ends the request; the engine then stops the build. */
  signal?: AbortSignal;
}

export interface DevboxBuildResult {
  tag: string;
  /** `sha256:…` */
  imageId: string;
  /** Steps of the Dockerfile, and how many of them docker's build cache answered. */
  steps: number;
  cachedSteps: number;
  /** Steps that ran a container (none when everything came from the cache). */
  ranSteps: number;
  durationMs: number;
}

/** Where a pull stands: `percent` of the layers' bytes downloaded and extracted (0–100, never going back). */
export interface PullProgress {
  percent: number;
  /** Layers seen so far, and how many are complete (downloaded and extracted, or already present). */
  layers: number;
  layersDone: number;
  /** The engine's last status line, e.g. `Downloading`, `Extracting`, `Pull complete`. */
  status: string;
}

/** What the dev-box's tools report. */
export interface DevboxVersions {
  /** `ansible-playbook --version`, e.g. `2.7.12`. */
  ansible: string;
  /** The Python Ansible runs on (`python version =` of ansible-playbook --version). */
  ansiblePython: string;
  /** `python --version` in the image's PATH. */
  python: string;
  /** `ssh -V`, e.g. `OpenSSH_9.2p1`. */
  ssh: string;
  /** `rsync --version`, e.g. `3.2.7`. */
  rsync: string;
}

export type DevboxInspection =
  | { ok: true; image: string; versions: DevboxVersions }
  | { ok: false; image: string; versions: Partial<DevboxVersions>; problems: string[] };

/** A build, pull or inspection of the dev-box image that failed; `step` says where, for a build. */
export class DevboxImageError extends PaiDeployError {
  readonly step: { step: number; steps: number; instruction: string } | undefined;
  /** The last lines of output before the failure (of the failing step, for a build). */
  readonly outputTail: string[];

  constructor(
    message: string,
    options: {
      hint?: string;
      cause?: unknown;
      step?: { step: number; steps: number; instruction: string };
      outputTail?: string[];
    } = {},
  ) {
    super(message, { hint: options.hint, cause: options.cause });
    this.step = options.step;
    this.outputTail = options.outputTail ?? [];
  }
}

/** The oldest Ansible 2.7 kubespray 2.11 supports (README: "v2.7.8 (or newer, but not 2.8.x)"). */
const MIN_ANSIBLE_PATCH = 8;
/** The newest Python Ansible 2.7 works on: its safe_eval breaks on 3.8 (kubespray#5577). */
const MAX_PYTHON: readonly [number, number] = [3, 7];
// eslint-disable-next-line no-control-regex -- ESC is what the builder writes
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;
/** Lines of output kept for an error message. */
const TAIL_LINES = 8;

interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
  message?: string;
}

export async function imageExists(docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw new DevboxImageError(`cannot inspect image ${tag}: ${engineMessage(error)}`, {
      hint: 'Check that the Docker engine runs (docker info).',
      cause: error,
    });
  }
}

/** Builds the image with docker's classic builder, following its progress; rejects with the failing step. */
export async function buildDevboxImage(docker: Dockerode, options: DevboxBuildOptions): Promise<DevboxBuildResult> {
  const started = Date.now();
  const dockerfile = options.dockerfile ?? 'Dockerfile';
  const entries = await contextEntries(options.contextDir, dockerfile);
  throwIfAborted(options.signal);

  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(
      { context: options.contextDir, src: entries },
      {
        t: options.tag,
        dockerfile,
        buildargs: options.buildArgs ?? {},
        labels: options.labels ?? {},
        rm: true,
        forcerm: true,
        ...(options.signal ? { abortSignal: options.signal } : {}),
      },
    );
  } catch (error) {
    throwIfAborted(options.signal);
    throw new DevboxImageError(`building image ${options.tag} failed: ${engineMessage(error)}`, {
      hint: `Check ${path.join(options.contextDir, dockerfile)} and that the Docker engine runs.`,
      cause: error,
    });
  }

  let current: { step: number; steps: number; instruction: string } | undefined;
  let steps = 0;
  let cachedSteps = 0;
  let ranSteps = 0;
  let imageId: string | undefined;
  let failure: string | undefined;
  let tail: string[] = [];
  const lines = new LineSplitter((raw) => {
    // The classic builder colours a step's stderr (ESC[91m … ESC[0m).
    const line = raw.replace(ANSI_COLOUR, '');
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (step) {
      current = { step: Number(step[1]), steps: Number(step[2]), instruction: step[3]! };
      steps = current.steps;
      tail = [];
      options.onProgress?.({ type: 'step', ...current });
      return;
    }
    if (/^ ---> Using cache$/.test(line)) cachedSteps += 1;
    else if (/^ ---> Running in [0-9a-f]+$/.test(line)) ranSteps += 1;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    options.onProgress?.({ type: 'output', line });
  });
  try {
    await follow(docker, stream, (event) => {
      if (event.stream !== undefined) lines.push(event.stream);
      if (event.aux?.ID) imageId = event.aux.ID;
      const error = event.errorDetail?.message ?? event.error;
      if (error !== undefined) failure ??= error;
    });
  } catch (error) {
    throwIfAborted(options.signal);
    throw new DevboxImageError(`building image ${options.tag} failed: ${engineMessage(error)}`, { cause: error });
  }
  lines.end();
  throwIfAborted(options.signal);

  if (failure !== undefined) {
    const where = current ? ` at step ${current.step}/${current.steps} (${shorten(current.instruction, 120)})` : '';
    const shown = tail.filter((line) => line.trim() !== '' && !line.startsWith(' ---> ')).slice(-5);
    throw new DevboxImageError(
      `building image ${options.tag} failed${where}: ${failure.trim()}` +
        (shown.length > 0 ? `\n  last output:\n${shown.map((line) => `    ${line}`).join('\n')}` : ''),
      {
        hint: `The build output above shows the step; the Dockerfile is ${path.join(options.contextDir, dockerfile)}.`,
        ...(current ? { step: current } : {}),
        outputTail: tail,
      },
    );
  }
  if (imageId === undefined) {
    try {
      imageId = (await docker.getImage(options.tag).inspect()).Id;
    } catch (error) {
      throw new DevboxImageError(`building image ${options.tag} ended without an image: ${engineMessage(error)}`, {
        cause: error,
        outputTail: tail,
      });
    }
  }
  return { tag: options.tag, imageId, steps, cachedSteps, ranSteps, durationMs: Date.now() - started };
}

/** Pulls the image; `onProgress` gets the layers' download progress as one percentage. */
export async function pullImage(
  docker: Dockerode,
  tag: string,
  onProgress?: (progress: PullProgress) => void,
  signal?: AbortSignal,
): Promise<void> {
  throwIfAborted(signal);
  const hint =
    'Check the image name and that its registry answers the Docker engine, or build the dev-box image locally.';
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(tag, signal ? { abortSignal: signal } : {});
  } catch (error) {
    throwIfAborted(signal);
    throw new DevboxImageError(`cannot pull ${tag}: ${engineMessage(error)}`, { hint, cause: error });
  }
  const progress = new PullProgressTracker(onProgress);
  let failure: string | undefined;
  try {
    await follow(docker, stream, (event) => {
      const error = event.errorDetail?.message ?? event.error;
      if (error !== undefined) failure ??= error;
      else progress.add(event);
    });
  } catch (error) {
    throwIfAborted(signal);
    throw new DevboxImageError(`cannot pull ${tag}: ${engineMessage(error)}`, { hint, cause: error });
  }
  throwIfAborted(signal);
  if (failure !== undefined) throw new DevboxImageError(`cannot pull ${tag}: ${failure.trim()}`, { hint });
  progress.finish();
}

/**
 * Aggregates the engine's per-layer pull events into one percentage: the bytes downloaded and extracted over twice
 * the bytes of every layer whose size is known (a layer counts as much to download as to extract). It never goes
 * back, and stays below 100 until every layer is complete. Exported for tests.
 */
export class PullProgressTracker {
  private readonly layers = new Map<string, { total: number; downloaded: number; extracted: number; done: boolean }>();
  private percent = 0;
  private status = '';

  constructor(private readonly onProgress?: (progress: PullProgress) => void) {}

  add(event: { id?: string; status?: string; progressDetail?: { current?: number; total?: number } }): void {
    const status = event.status ?? '';
    this.status = status;
    // Events without a layer id ("Pulling from …" carries the tag, "Digest: …" none) are about the image.
    if (event.id !== undefined && /^[0-9a-f]{12,}$/.test(event.id)) {
      const layer = this.layers.get(event.id) ?? { total: 0, downloaded: 0, extracted: 0, done: false };
      const { current, total } = event.progressDetail ?? {};
      if (typeof total === 'number' && total > 0) layer.total = total;
      const at = Math.min(typeof current === 'number' ? current : 0, layer.total);
      if (status === 'Downloading') layer.downloaded = at;
      else if (status === 'Verifying Checksum' || status === 'Download complete') layer.downloaded = layer.total;
      else if (status === 'Extracting') {
        layer.downloaded = layer.total;
        layer.extracted = at;
      } else if (status === 'Pull complete' || status === 'Already exists') {
        layer.downloaded = layer.extracted = layer.total;
        layer.done = true;
      }
      this.layers.set(event.id, layer);
    }
    this.report();
  }

  finish(): void {
    for (const layer of this.layers.values()) {
      layer.downloaded = layer.extracted = layer.total;
      layer.done = true;
    }
    this.percent = 100;
    this.emit();
  }

  private report(): void {
    let done = 0;
    let total = 0;
    let complete = true;
    for (const layer of this.layers.values()) {
      done += layer.downloaded + layer.extracted;
      total += 2 * layer.total;
      if (!layer.done) complete = false;
    }
    const percent =
      complete && this.layers.size > 0 ? 100 : total > 0 ? Math.min(99, Math.floor((100 * done) / total)) : 0;
    if (percent > this.percent) this.percent = percent;
    this.emit();
  }

  private emit(): void {
    const layersDone = [...this.layers.values()].filter((layer) => layer.done).length;
    this.onProgress?.({ percent: this.percent, layers: this.layers.size, layersDone, status: this.status });
  }
}

const INSPECT_SCRIPT = [
  'echo @@ansible-playbook; ansible-playbook --version 2>&1',
  'echo @@python; python --version 2>&1',
  'echo @@ssh; ssh -V 2>&1',
  'echo @@rsync; rsync --version 2>&1 | head -n 1',
  'echo @@end',
].join('\n');

/**
 * Runs the image's tools in a throwaway container (no network) and checks them against what kubespray 2.11 needs:
 * Ansible 2.7.x with x >= 8, Ansible's and PATH's Python <= 3.7, ssh and rsync present.
 */
export async function inspectDevbox(docker: Dockerode, tag: string, signal?: AbortSignal): Promise<DevboxInspection> {
  throwIfAborted(signal);
  if (!(await imageExists(docker, tag))) {
    return { ok: false, image: tag, versions: {}, problems: [`no image ${tag} in the Docker engine`] };
  }
  const output = await runThrowaway(docker, tag, ['/bin/sh', '-c', INSPECT_SCRIPT], signal);
  const sections = splitSections(output);
  const versions: Partial<DevboxVersions> = {};
  const problems: string[] = [];

  const playbook = sections.get('ansible-playbook') ?? '';
  const ansible = /^ansible-playbook (\S+)/m.exec(playbook)?.[1];
  if (ansible === undefined) problems.push(`ansible-playbook --version failed: ${firstLine(playbook)}`);
  else {
    versions.ansible = ansible;
    const [major, minor, patch] = numbers(ansible);
    if (major !== 2 || minor !== 7 || (patch ?? 0) < MIN_ANSIBLE_PATCH)
      problems.push(`Ansible ${ansible}: kubespray 2.11 needs 2.7.${MIN_ANSIBLE_PATCH} or newer, but not 2.8`);
  }
  const ansiblePython = /^\s*python version = (\S+)/m.exec(playbook)?.[1];
  if (ansiblePython !== undefined) {
    versions.ansiblePython = ansiblePython;
    if (pythonTooNew(ansiblePython))
      problems.push(
        `Ansible runs on Python ${ansiblePython}: Ansible 2.7 needs Python ${MAX_PYTHON.join('.')} or older`,
      );
  } else if (ansible !== undefined) {
    problems.push('ansible-playbook --version names no Python version');
  }

  const pythonOut = sections.get('python') ?? '';
  const python = /^Python (\S+)/m.exec(pythonOut)?.[1];
  if (python === undefined) problems.push(`python --version failed: ${firstLine(pythonOut)}`);
  else {
    versions.python = python;
    if (pythonTooNew(python))
      problems.push(`python is ${python}: Ansible 2.7 needs Python ${MAX_PYTHON.join('.')} or older`);
  }

  const sshOut = sections.get('ssh') ?? '';
  const ssh = /^(OpenSSH_\S+?),?(\s|$)/m.exec(sshOut)?.[1];
  if (ssh === undefined) problems.push(`no ssh client (ssh -V: ${firstLine(sshOut)})`);
  else versions.ssh = ssh;

  const rsyncOut = sections.get('rsync') ?? '';
  const rsync = /^rsync\s+version\s+(\S+)/m.exec(rsyncOut)?.[1];
  if (rsync === undefined) problems.push(`no rsync (rsync --version: ${firstLine(rsyncOut)})`);
  else versions.rsync = rsync;

  if (!sections.has('end')) problems.push(`the inspection did not run to its end: ${shorten(output.trim(), 200)}`);

  if (problems.length === 0 && isComplete(versions)) return { ok: true, image: tag, versions };
  return { ok: false, image: tag, versions, problems };
}

function isComplete(versions: Partial<DevboxVersions>): versions is DevboxVersions {
  return (
    versions.ansible !== undefined &&
    versions.ansiblePython !== undefined &&
    versions.python !== undefined &&
    versions.ssh !== undefined &&
    versions.rsync !== undefined
  );
}

async function runThrowaway(
  docker: Dockerode,
  image: string,
  command: string[],
  signal?: AbortSignal,
): Promise<string> {
  let container: Dockerode.Container | undefined;
  const stop = () => void container?.remove({ force: true }).catch(() => undefined);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    container = await docker.createContainer({
      Image: image,
      Entrypoint: [command[0]!],
      Cmd: command.slice(1),
      Labels: { 'pai-deploy.role': 'devbox-inspect' },
      Tty: false,
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: '' } },
    });
    await container.start();
    await container.wait();
    throwIfAborted(signal);
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return demux(logs);
  } catch (error) {
    throwIfAborted(signal);
    throw new DevboxImageError(`cannot run a container of ${image}: ${engineMessage(error)}`, {
      hint: 'Check that the Docker engine runs and the image has /bin/sh.',
      cause: error,
    });
  } finally {
    signal?.removeEventListener('abort', stop);
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

/** The text of docker's multiplexed log stream (8-byte frame headers) with stdout and stderr interleaved. */
function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

function splitSections(output: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const marker = /^@@(\S+)$/.exec(line);
    if (marker) {
      if (name !== undefined) sections.set(name, body.join('\n'));
      name = marker[1]!;
      body = [];
    } else body.push(line);
  }
  if (name !== undefined) sections.set(name, body.join('\n'));
  return sections;
}

function numbers(version: string): number[] {
  return version.split('.').map((part) => Number.parseInt(part, 10));
}

function pythonTooNew(version: string): boolean {
  const [major = 0, minor = 0] = numbers(version);
  return major > MAX_PYTHON[0] || (major === MAX_PYTHON[0] && minor > MAX_PYTHON[1]);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] || '(no output)';
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The context's top-level entries (tar-fs packs directories recursively); checks the Dockerfile is inside. */
async function contextEntries(contextDir: string, dockerfile: string): Promise<string[]> {
  const hint = 'The build context must be a directory that holds the Dockerfile.';
  let entries: string[];
  try {
    entries = await readdir(contextDir);
  } catch (error) {
    throw new DevboxImageError(`cannot read the build context ${contextDir}: ${engineMessage(error)}`, {
      hint,
      cause: error,
    });
  }
  const resolved = path.resolve(contextDir, dockerfile);
  if (path.relative(path.resolve(contextDir), resolved).startsWith('..')) {
    throw new DevboxImageError(`the Dockerfile ${dockerfile} is outside the build context ${contextDir}`, { hint });
  }
  const found = await stat(resolved).catch(() => undefined);
  if (!found?.isFile()) throw new DevboxImageError(`no Dockerfile at ${resolved}`, { hint });
  return entries.sort();
}

function follow(docker: Dockerode, stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void) {
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: unknown) => {
        if (typeof event === 'object' && event !== null) onEvent(event as ProgressEvent);
      },
    );
  });
}

/** Splits docker's `stream` chunks (partial lines, several lines) into lines. */
class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }
  end(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new InterruptedError('SIGINT');
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number'
    ? error.statusCode
    : undefined;
}

/** The engine's own message: dockerode wraps it as `(HTTP code 500) server error - …`, with or without its JSON body. */
function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'json' in error) {
    const json = (error as { json: unknown }).json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string')
      return json.message.trim();
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
