import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
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
import type { ClientTls } from './http-probe.js';
import {
  KUBERNETES_SERVICE_IP,
  assertAllAlive,
  startApiserver,
  startControllerManager,
  startEtcd,
  startKwok,
  startScheduler,
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
}

const STATE_FILE = 'state.json';
const ETCD_START_MS = 30_000;
const APISERVER_START_MS = 120_000;
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
  };
  saveState(state);

  try {
    const pki = createPki(stateDir, KUBERNETES_SERVICE_IP);
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
    log(`Kubernetes ${state.kubernetesVersion} (${version}) from ${binDir}`);
    const etcd = await startEtcd(ctx, ETCD_START_MS);
    log(`etcd ready at ${etcd.url} (${Date.now() - started} ms)`);
    const { server } = await startApiserver(ctx, etcd.url, APISERVER_START_MS);
    state.server = server;
    writeFileSync(state.kubeconfigPath, renderKubeconfig(server, pki), { mode: 0o600 });
    saveState(state);
    log(`kube-apiserver ready at ${server} (${Date.now() - started} ms)`);

    startControllerManager(ctx, state.kubeconfigPath);
    startScheduler(ctx, state.kubeconfigPath);
    startKwok(ctx, state.kubeconfigPath);
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(state.kubeconfigPath);
    await waitForDefaultServiceAccount(kubeconfig, state.processes, CONTROLLERS_START_MS);
    log(`controllers running (${Date.now() - started} ms)`);

    await createNodes(kubeconfig, options.nodes);
    state.nodes = options.nodes.map((node) => node.name);
    saveState(state);
    await waitForNodesReady(kubeconfig, state.nodes, NODE_READY_BASE_MS + 100 * options.nodes.length);
    assertAllAlive(state.processes);
    log(`${state.nodes.length} kwok nodes Ready (${Date.now() - started} ms)`);
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
    await stopProcessGroup(started.pid);
  }
  rmSync(stateDir, { recursive: true, force: true });
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
  kubeconfig: KubeConfig,
  processes: StartedProcess[],
  timeoutMs: number,
): Promise<void> {
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    assertAllAlive(processes);
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return;
    } catch {
      await sleep(250);
    }
  }
  throw new Error(`kube-controller-manager did not create ServiceAccount default/default within ${timeoutMs} ms`);
}
