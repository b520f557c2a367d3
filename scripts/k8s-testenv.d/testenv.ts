import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_K8S_TESTENV_VERSION, lookupBinaries, readPinnedVersions, type K8sTestEnvVersion } from './binaries.js';
import { ApiConnection } from './api-connection.js';
import type { ClientTls } from './http-probe.js';
import {
  KUBERNETES_SERVICE_IP,
  assertAllAlive,
  relaunch,
  startApiserver as launchApiserver,
  startControllerManager,
  startEtcd,
  startKwok,
  startScheduler,
  waitForApiserver,
  type ComponentContext,
} from './control-plane.js';
import { createNodes, waitForNodesReady, type TestNodeSpec } from './nodes.js';
import { createPki, renderKubeconfig } from './pki.js';
import { stopProcessGroup, type StartedProcess } from './processes.js';

export interface UpOptions {
  nodes: TestNodeSpec[];
  /** Which control plane (versions.sh); default current. */
  version?: K8sTestEnvVersion;
  /**
   * --feature-gates of kube-apiserver, kube-controller-manager and kube-scheduler; default none, i.e. the version's
   * own defaults (on 1.15, like kubespray 2.11's, ServerSideApply is off; `{ ServerSideApply: true }` turns it on).
   */
  featureGates?: Record<string, boolean>;
  /** More IPs the API server's certificate is valid for (addresses a test forwards its port from); default none. */
  servingAddresses?: string[];
  /** Directory holding the version's binaries; default: lookupBinaries(version) (explicit variables, then the cache). */
  binDir?: string;
  /** Parent of the per-environment state directories; default: defaultStateRoot(). */
  stateRoot?: string;
  /** Keep processes and files when `up` fails, for debugging. */
  keepOnFailure?: boolean;
  log?: (message: string) => void;
}

/** What `up` leaves behind in `<stateDir>/state.json`; `down` needs only this. */
export interface TestEnvState {
  stateDir: string;
  version: K8sTestEnvVersion;
  /** The pinned Kubernetes release of `version`, e.g. v1.15.12. */
  kubernetesVersion: string;
  featureGates: Record<string, boolean>;
  kubeconfigPath: string;
  /** The admin client certificate and the CA, for raw requests. */
  clientTls: ClientTls;
  server: string;
  nodes: string[];
  processes: StartedProcess[];
  /** Milliseconds from the start of `up` until each step was done. */
  timings: Partial<Record<UpStep, number>>;
}

export type UpStep = 'etcd' | 'apiserver' | 'controllers' | 'nodesCreated' | 'nodesReady';

const STATE_FILE = 'state.json';
const ETCD_START_MS = 30_000;
const APISERVER_START_MS = 120_000;
/**
 * SIGTERM to SIGKILL. 1.15 exits at once; current stops listening at once but then waits up to its request timeout
 * (60 s) for the open watches of the controllers and kwok to end, which only its clients can do.
 */
const APISERVER_STOP_GRACE_MS = 2_000;
const CONTROLLERS_START_MS = 120_000;
const NODE_READY_BASE_MS = 60_000;

export function defaultStateRoot(): string {
  return process.env['PAI_DEPLOY_K8S_TESTENV_ROOT'] || join(tmpdir(), 'pai-deploy-k8s-testenv');
}

/** Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, then creates Ready kwok nodes. */
export async function up(options: UpOptions): Promise<TestEnvState> {
  const log = options.log ?? (() => undefined);
  const version = options.version ?? DEFAULT_K8S_TESTENV_VERSION;
  const featureGates = { ...options.featureGates };
  const binDir = options.binDir ?? resolveBinDir(version);
  assertUniqueNames(options.nodes);
  const stateRoot = options.stateRoot ?? defaultStateRoot();
  mkdirSync(stateRoot, { recursive: true });
  const stateDir = mkdtempSync(join(stateRoot, 'env-'));
  const state: TestEnvState = {
    stateDir,
    version,
    kubernetesVersion: readPinnedVersions(version).kubernetes,
    featureGates,
    kubeconfigPath: join(stateDir, 'kubeconfig'),
    clientTls: { ca: '', cert: '', key: '' },
    server: '',
    nodes: [],
    processes: [],
    timings: {},
  };
  saveState(state);

  try {
    const pki = createPki(stateDir, KUBERNETES_SERVICE_IP, options.servingAddresses);
    state.clientTls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
    const ctx: ComponentContext = {
      version,
      featureGates,
      binDir,
      stateDir,
      pki,
      onStarted: (started) => {
        state.processes.push(started);
        saveState(state);
      },
    };
    const started = Date.now();
    const done = (step: UpStep): number => {
      state.timings[step] = Date.now() - started;
      saveState(state);
      return state.timings[step];
    };
    log(`Kubernetes ${state.kubernetesVersion} (${version}) from ${binDir}`);
    const etcd = await startEtcd(ctx, ETCD_START_MS);
    log(`etcd ready at ${etcd.url} (${done('etcd')} ms)`);
    const { server } = await launchApiserver(ctx, etcd.url, APISERVER_START_MS);
    state.server = server;
    writeFileSync(state.kubeconfigPath, renderKubeconfig(server, pki), { mode: 0o600 });
    saveState(state);
    log(`kube-apiserver ready at ${server} (${done('apiserver')} ms)`);

    startControllerManager(ctx, state.kubeconfigPath);
    startScheduler(ctx, state.kubeconfigPath);
    startKwok(ctx, state.kubeconfigPath);
    const api = new ApiConnection(server, state.clientTls);
    try {
      await waitForDefaultServiceAccount(api, state.processes, CONTROLLERS_START_MS);
      log(`controllers running (${done('controllers')} ms)`);

      await createNodes(api, options.nodes);
      state.nodes = options.nodes.map((node) => node.name);
      log(`${state.nodes.length} kwok nodes created (${done('nodesCreated')} ms)`);
      await waitForNodesReady(api, state.nodes, NODE_READY_BASE_MS + 100 * options.nodes.length);
    } finally {
      api.close();
    }
    assertAllAlive(state.processes);
    log(`${state.nodes.length} kwok nodes Ready (${done('nodesReady')} ms)`);
    return state;
  } catch (error) {
    if (!options.keepOnFailure) await down(stateDir);
    throw error;
  }
}

/** Stops every process of the environment (newest first) and removes its directory. */
export async function down(stateDir: string): Promise<void> {
  const state = loadState(stateDir);
  for (const started of [...state.processes].reverse()) {
    if (!started.stopped) await stopProcessGroup(started.pid);
  }
  rmSync(stateDir, { recursive: true, force: true });
}

export interface StopApiserverOptions {
  /** How long SIGTERM may take before SIGKILL; default 2 s. */
  graceMs?: number;
}

export interface StartApiserverOptions {
  /** How long it may take to answer its health path again; default 120 s. */
  timeoutMs?: number;
}

/**
 * Stops kube-apiserver (SIGTERM, SIGKILL after the grace) and marks it stopped in `state` (saved), so teardown
 * skips it until startApiserverAgain. The other components keep running and retry. No-op when already stopped.
 */
export async function stopApiserver(state: TestEnvState, options: StopApiserverOptions = {}): Promise<void> {
  const apiserver = apiserverOf(state);
  if (apiserver.stopped) return;
  await stopProcessGroup(apiserver.pid, options.graceMs ?? APISERVER_STOP_GRACE_MS);
  apiserver.stopped = true;
  saveState(state);
}

/**
 * Starts a stopped kube-apiserver again with exactly its previous flags (same port, certificates and etcd, so
 * existing kubeconfigs and clients keep working) and resolves once it answers its health path. `state.processes`
 * (saved) then holds the new pid in the old one's place. No-op when it is running.
 */
export async function startApiserverAgain(state: TestEnvState, options: StartApiserverOptions = {}): Promise<void> {
  const previous = apiserverOf(state);
  if (!previous.stopped) return;
  const index = state.processes.indexOf(previous);
  const timeoutMs = options.timeoutMs ?? APISERVER_START_MS;
  await relaunch(
    previous,
    (started) => waitForApiserver(started, state.version, state.server, state.clientTls, timeoutMs),
    (started) => {
      state.processes[index] = started;
      saveState(state);
    },
  );
}

/** stopApiserver, `downMs` (default 0) of nothing listening on its port, startApiserverAgain. */
export async function restartApiserver(
  state: TestEnvState,
  options: StopApiserverOptions & StartApiserverOptions & { downMs?: number } = {},
): Promise<void> {
  await stopApiserver(state, options);
  if ((options.downMs ?? 0) > 0) await sleep(options.downMs);
  await startApiserverAgain(state, options);
}

/**
 * Waits until every node of the environment is Ready. After an API server outage longer than the node monitor's
 * grace period (40 s) the node controller marks them Unknown at once, and kwok makes them Ready again within about
 * half a minute (its watches and lease renewals back off while the server is away).
 */
export async function waitUntilNodesReady(state: TestEnvState, timeoutMs = NODE_READY_BASE_MS): Promise<void> {
  const api = new ApiConnection(state.server, state.clientTls);
  try {
    await waitForNodesReady(api, state.nodes, timeoutMs);
  } finally {
    api.close();
  }
}

function apiserverOf(state: TestEnvState): StartedProcess {
  const apiserver = state.processes.find((p) => p.name === 'kube-apiserver');
  if (!apiserver) throw new Error(`${state.stateDir}: no kube-apiserver in this environment`);
  return apiserver;
}

export function loadState(stateDir: string): TestEnvState {
  const file = join(stateDir, STATE_FILE);
  if (!existsSync(file)) throw new Error(`${stateDir} is not a k8s-testenv state directory (no ${STATE_FILE})`);
  return JSON.parse(readFileSync(file, 'utf8')) as TestEnvState;
}

/** State directories under a root, oldest first. */
export function listStateDirs(stateRoot = defaultStateRoot()): string[] {
  if (!existsSync(stateRoot)) return [];
  return readdirSync(stateRoot)
    .map((entry) => join(stateRoot, entry))
    .filter((dir) => existsSync(join(dir, STATE_FILE)));
}

function saveState(state: TestEnvState): void {
  const file = join(state.stateDir, STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

function resolveBinDir(version: K8sTestEnvVersion): string {
  const lookup = lookupBinaries(version);
  if (!lookup.found) throw new Error(lookup.reason);
  return lookup.dir;
}

function assertUniqueNames(nodes: TestNodeSpec[]): void {
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.name)) throw new Error(`duplicate node name ${node.name}`);
    seen.add(node.name);
  }
}

/**
 * The ServiceAccount admission plugin rejects pods until the controller manager has created the namespace's
 * `default` ServiceAccount, so its existence is the signal that pods can be created.
 */
async function waitForDefaultServiceAccount(
  api: ApiConnection,
  processes: StartedProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    assertAllAlive(processes);
    const response = await api.request('GET', '/api/v1/namespaces/default/serviceaccounts/default').catch(() => null);
    if (response?.status === 200) return;
    await sleep(250);
  }
  throw new Error(`kube-controller-manager did not create ServiceAccount default/default within ${timeoutMs} ms`);
}
