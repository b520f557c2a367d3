/**
 * The outside world as phases see it. Adapters live in src/infra/ (ssh2, dockerode, the file system); phase and
 * manager unit tests pass fakes. A connect is a value, never fields written into a report.
 */
import type { IoHost } from './io-host.js';
import type { KubeApi } from './kube-api.js';
import type { KubesprayTrees } from './kubespray-source.js';

export type { KubeApi } from './kube-api.js';

/** One command's outcome on a machine. exitCode is null when the command never finished. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
}

/** A command's result, with when it was sent and when its first output byte arrived (for clock offsets). */
export interface ExecResult extends CommandResult {
  sentAt: number;
  firstOutputAt: number | undefined;
}

export interface ExecOptions {
  /** Fed to the command's stdin (a sudo password): never on a command line. */
  stdin?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface RemoteSession {
  readonly authMethod: 'publickey' | 'agent' | 'password';
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  close(): void;
}

export type ConnectFailureKind =
  'host-key-mismatch' | 'host-key-unknown' | 'auth' | 'unreachable' | 'timeout' | 'error';

export interface HostKeyVerdict {
  keyType: string;
  fingerprint: string;
  /** known: matched known_hosts; recorded: first contact, now trusted; mismatch / unknown: refused. */
  status: 'known' | 'recorded' | 'mismatch' | 'unknown';
  expected?: string;
}

export interface RemoteTarget {
  hostname: string;
  ip: string;
}

export type ConnectResult =
  | { ok: true; session: RemoteSession; hostKey: HostKeyVerdict | undefined; attempts: number; millis: number }
  | {
      ok: false;
      failure: { kind: ConnectFailureKind; message: string };
      hostKey: HostKeyVerdict | undefined;
      attempts: number;
    };

/** SSH to the cluster's machines; credentials, port and host-key policy are fixed when the adapter is opened. */
export interface RemoteHosts {
  connect(
    target: RemoteTarget,
    options: { signal: AbortSignal; onProgress?: (text: string) => void },
  ): Promise<ConnectResult>;
}

/** The dev-box's container engine (dockerode). */
export interface ContainerMount {
  /** A path on the admin's machine. */
  source: string;
  /** Where it appears in the container. */
  target: string;
  readOnly: boolean;
}

/** One run of a command in a fresh dev-box container; the container is removed afterwards, whatever happens. */
export interface ContainerRunSpec {
  image: string;
  name: string;
  labels: Record<string, string>;
  mounts: ContainerMount[];
  /** Never a secret: the environment is visible in `docker inspect`. */
  env: Record<string, string>;
  workingDir: string;
  command: string[];
  /** The docker network: `host` for real clusters (the machines are reached as from the admin's machine). */
  network: string;
}

export interface ContainerRunOptions {
  /** Each line of the container's output, as it comes. */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
  /** Aborting stops the container (SIGTERM, then SIGKILL after a grace period) and removes it. */
  signal: AbortSignal;
}

export interface DevboxBuildRequest {
  tag: string;
  /** The build context directory (the Dockerfile is `Dockerfile` in it). */
  contextDir: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Each Dockerfile step as it starts (`step 3/7: RUN …`) and each output line. */
  onProgress(line: string): void;
  signal: AbortSignal;
}

/** What the dev-box's tools report, and what breaks the contract (Ansible 2.7.8+ not 2.8, Python <= 3.7, ssh, rsync). */
export interface DevboxContract {
  ok: boolean;
  versions: Record<string, string>;
  problems: string[];
}

export interface DevboxEngine {
  version(signal: AbortSignal): Promise<{ version: string; apiVersion: string }>;
  build(
    request: DevboxBuildRequest,
  ): Promise<{ imageId: string; steps: number; cachedSteps: number; durationMs: number }>;
  /** Runs the tools' --version in a throwaway container without network. */
  inspect(image: string, signal: AbortSignal): Promise<DevboxContract>;
  /** Pulls from a registry, reporting one percentage over all layers. */
  pull(image: string, onProgress: (percent: number) => void, signal: AbortSignal): Promise<void>;
  imageExists(image: string, signal: AbortSignal): Promise<boolean>;
  /** Runs the command to its end; resolves with its exit code, rejects when aborted (after the clean-up). */
  run(spec: ContainerRunSpec, options: ContainerRunOptions): Promise<{ exitCode: number }>;
  /** Names of the containers (running or not) that carry all of these labels: a run that was killed leaves one. */
  containersLabelled(labels: Record<string, string>, signal: AbortSignal): Promise<string[]>;
  removeContainer(name: string): Promise<void>;
}

export interface SshLogin {
  username: string;
  port: number;
  privateKey?: Buffer;
  passphrase?: string;
  /** ssh-agent's socket (SSH_AUTH_SOCK). */
  agent?: string;
  password?: string;
}

export interface RemoteHostsOptions {
  login: SshLogin;
  knownHostsPath: string;
  /** Record unknown host keys (trust on first use); otherwise an unknown key refuses the connection. */
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  /** Attempts for machines that are still booting; never retried after a host-key or authentication failure. */
  connectAttempts: number;
  retryDelayMs: number;
  onHostKeyRecorded?(host: RemoteTarget, verdict: HostKeyVerdict): void;
}

/** A file to write, relative to its directory, with its mode (0600 for anything holding a secret). */
export interface FileToWrite {
  path: string;
  content: string;
  mode: number;
  description: string;
}

export interface KubeConnectOptions {
  kubeconfigPath: string;
  /** A context of the kubeconfig other than its current one. */
  context?: string;
  /**
   * How long a request keeps being retried while the server cannot be reached or answers 429/5xx "try again" (an
   * API server restarting takes seconds); default 60 s. Requests are only retried where repeating is harmless.
   */
  retryForMs?: number;
}

export interface ReplaceDirectoryOptions {
  signal: AbortSignal;
  /** The user's verb, written into the output's lock for whoever finds it held. */
  action: string;
  /** Where warnings go (a stale lock taken over, a directory restored after a killed run). */
  io: IoHost;
}

export interface ReplacedDirectory {
  /** Entries of the old directory that are not the written files and were carried over unchanged. */
  kept: string[];
}

export interface Ports {
  /** Writes all files into `dir` or none (see src/infra/fs/atomic-write.ts); an abort leaves `dir` as it was. */
  writeFiles(dir: string, files: readonly FileToWrite[], signal: AbortSignal): Promise<void>;
  /**
   * Replaces the directory `dir` with `files` plus what else it held, in one step under a lock: any failure or
   * interrupt leaves the old directory byte-identical or the new one complete (src/infra/fs/replace-directory.ts).
   */
  replaceDirectory(
    dir: string,
    files: readonly FileToWrite[],
    options: ReplaceDirectoryOptions,
  ): Promise<ReplacedDirectory>;
  /** SSH to machines, opened by the phases that touch them. */
  openHosts(options: RemoteHostsOptions): Promise<RemoteHosts>;
  devbox(): Promise<DevboxEngine>;
  /** Inspects and clones kubespray trees (git, and git's tree ids for plain directories). */
  kubesprayTrees(): Promise<KubesprayTrees>;
  kube(options: KubeConnectOptions): Promise<KubeApi>;
}
