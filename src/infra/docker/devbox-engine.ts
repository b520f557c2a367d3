import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { InterruptedError, PaiDeployError, systemErrorCode } from '../../errors.js';
import type { ContainerRunOptions, ContainerRunSpec, DevboxEngine } from '../../ports/ports.js';

interface VersionCall {
  // dockerode accepts an abortSignal here although its type declarations do not say so (lib/docker.js, version()).
  version(options: { abortSignal: AbortSignal }): Promise<{ Version: string; ApiVersion: string }>;
}

/** Seconds docker gives the container between SIGTERM and SIGKILL when a run is stopped. */
const STOP_GRACE_SECONDS = 10;

/** The DevboxEngine port over dockerode, talking to the engine DOCKER_HOST (or the local socket) names. */
export async function openDevboxEngine(): Promise<DevboxEngine> {
  const Docker = (await import('dockerode')).default;
  const docker = new Docker();
  return withEngineErrors((error) => engineAddress(docker, error), {
    async version(signal) {
      const version = await (docker as unknown as VersionCall).version({ abortSignal: signal });
      return { version: version.Version, apiVersion: version.ApiVersion };
    },
    async imageExists(image) {
      try {
        await docker.getImage(image).inspect();
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },
    async build(request) {
      const { buildDevboxImage } = await import('./devbox-image.js');
      const result = await buildDevboxImage(docker, {
        tag: request.tag,
        contextDir: request.contextDir,
        buildArgs: request.buildArgs,
        labels: request.labels,
        signal: request.signal,
        onProgress: (event) =>
          request.onProgress(
            event.type === 'step' ? `step ${event.step}/${event.steps}: ${event.instruction}` : event.line,
          ),
      });
      return {
        imageId: result.imageId,
        steps: result.steps,
        cachedSteps: result.cachedSteps,
        durationMs: result.durationMs,
      };
    },
    async inspect(image, signal) {
      const { inspectDevbox } = await import('./devbox-image.js');
      const inspection = await inspectDevbox(docker, image, signal);
      const versions = Object.fromEntries(
        Object.entries(inspection.versions).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      return { ok: inspection.ok, versions, problems: inspection.ok ? [] : inspection.problems };
    },
    async pull(image, onProgress, signal) {
      const { pullImage } = await import('./devbox-image.js');
      await pullImage(docker, image, (progress) => onProgress(progress.percent), signal);
    },
    run: (spec, options) => runContainer(docker, spec, options),
    async containersLabelled(labels) {
      const found = await docker.listContainers({
        all: true,
        filters: { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) },
      });
      return found.map((container) => (container.Names[0] ?? container.Id).replace(/^\//, ''));
    },
    async removeContainer(name) {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
    },
  });
}

/**
 * Where the engine is, as a person would write it: the address the failed connection named (Node's connect errors
 * carry it; dockerode finds the default socket only when it connects), else what DOCKER_HOST configured.
 */
function engineAddress(docker: Dockerode, error: unknown): string {
  const failed = error as { address?: unknown; port?: unknown };
  if (typeof failed.address === 'string') {
    return typeof failed.port === 'number' ? `${failed.address}:${failed.port}` : `unix://${failed.address}`;
  }
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (typeof modem.host === 'string') return `${String(modem.protocol)}://${modem.host}:${String(modem.port)}`;
  return 'the local socket';
}

/** Connection failures: the engine is not there (or not ours to use), whatever call found out first. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'EPERM', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Every call of the engine with one translation of "cannot reach the engine" into what the admin must do (a stopped
 * dockerd otherwise surfaced as a bare "connect ECONNREFUSED" that read like a bug in pai-deploy).
 */
function withEngineErrors(addressOf: (error: unknown) => string, engine: DevboxEngine): DevboxEngine {
  const translate = (error: unknown): never => {
    const unreachable = unreachableError(error);
    if (unreachable === undefined) throw error;
    const code = systemErrorCode(unreachable)!;
    throw new PaiDeployError(`cannot reach the Docker engine at ${addressOf(unreachable)}: ${describeCode(code)}`, {
      hint:
        code === 'EACCES' || code === 'EPERM'
          ? 'Run as a user in the docker group (or root), or point DOCKER_HOST at an engine you may use.'
          : 'Start the Docker engine (systemctl start docker), or point DOCKER_HOST at a running one.',
      cause: error,
    });
  };
  const wrapped: Partial<Record<keyof DevboxEngine, unknown>> = {};
  for (const key of Object.keys(engine) as Array<keyof DevboxEngine>) {
    const method = engine[key] as (...args: never[]) => Promise<unknown>;
    wrapped[key] = (...args: never[]) => method(...args).catch(translate);
  }
  return wrapped as DevboxEngine;
}

/** The connection error, also when dockerode or the run wrapped it (it keeps the original as `cause`). */
function unreachableError(error: unknown): unknown {
  for (let current = error, depth = 0; current !== undefined && depth < 4; depth++) {
    const code = systemErrorCode(current);
    if (code !== undefined && UNREACHABLE.has(code)) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function describeCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is dockerd running?)';
    case 'ENOENT':
      return 'no such socket (is Docker installed and running?)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return code;
  }
}

async function runContainer(
  docker: Dockerode,
  spec: ContainerRunSpec,
  options: ContainerRunOptions,
): Promise<{ exitCode: number }> {
  if (options.signal.aborted) throw abortReason(options.signal);
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Cmd: spec.command,
    WorkingDir: spec.workingDir,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: spec.labels,
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    StopTimeout: STOP_GRACE_SECONDS,
    HostConfig: {
      NetworkMode: spec.network,
      Mounts: spec.mounts.map((mount) => ({
        Type: 'bind' as const,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly,
      })),
      // No restart, no privileges: the container only runs ansible-playbook.
      RestartPolicy: { Name: '' },
      // ansible-playbook as PID 1 would ignore SIGTERM (the kernel drops default-action signals to a namespace's
      // init) and `docker stop` would wait for the SIGKILL; docker's init forwards the signal to it.
      Init: true,
    },
  });
  let stopping: Promise<unknown> | undefined;
  const stop = () => {
    stopping ??= container.stop({ t: STOP_GRACE_SECONDS }).catch(() => undefined);
  };
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    const ended = Promise.all([
      forEachLine(stdout, (line) => options.onLine(line, 'stdout')),
      forEachLine(stderr, (line) => options.onLine(line, 'stderr')),
    ]);
    stream.on('end', () => {
      stdout.end();
      stderr.end();
    });
    options.signal.addEventListener('abort', stop, { once: true });
    await container.start();
    const result = (await container.wait()) as { StatusCode: number };
    // The output may trail the exit by a moment; wait for it, but not for ever.
    // (The timer is unref'd: left pending after the output ended, it must not hold the process for 2 s.)
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    if (options.signal.aborted) throw abortReason(options.signal);
    return { exitCode: result.StatusCode };
  } catch (error) {
    if (options.signal.aborted) throw abortReason(options.signal);
    throw new PaiDeployError(`the dev-box container ${spec.name} failed: ${messageOf(error)}`, {
      hint: 'Check that the Docker engine runs and the dev-box image exists (pai-deploy devbox build).',
      cause: error,
    });
  } finally {
    options.signal.removeEventListener('abort', stop);
    if (stopping) await stopping;
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Calls `onLine` for every line of the stream (a last line without a newline too); resolves at its end. */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const text = rest + chunk;
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    });
    stream.on('end', () => {
      if (rest) onLine(rest);
      resolve();
    });
    stream.on('error', reject);
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError('SIGINT');
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number'
    ? error.statusCode
    : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
