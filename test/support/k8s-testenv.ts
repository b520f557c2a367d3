import { KubeConfig } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import {
  DEFAULT_K8S_TESTENV_VERSION,
  K8S_TESTENV_VERSIONS,
  lookupBinaries,
  readPinnedVersions,
  type K8sTestEnvVersion,
} from '../../scripts/k8s-testenv.d/binaries.js';
import type { ClientTls } from '../../scripts/k8s-testenv.d/http-probe.js';
import type { TestNodeSpec } from '../../scripts/k8s-testenv.d/nodes.js';
import { killProcessGroupNow } from '../../scripts/k8s-testenv.d/processes.js';
import {
  down,
  restartApiserver,
  startApiserverAgain,
  stopApiserver,
  up,
  waitUntilNodesReady,
  type TestEnvState,
} from '../../scripts/k8s-testenv.d/testenv.js';
import { describeWithInfra } from './infra.js';

export type { TestNodeSpec } from '../../scripts/k8s-testenv.d/nodes.js';
/** `numberedNodes(1000)`: pai-worker-0001 … pai-worker-1000, shaped like layout hostnames. */
export { numberedNodes } from '../../scripts/k8s-testenv.d/nodes.js';
export type { K8sTestEnvVersion } from '../../scripts/k8s-testenv.d/binaries.js';
export type { ClientTls } from '../../scripts/k8s-testenv.d/http-probe.js';

/**
 * The pod annotation the kwok stages of scripts/k8s-testenv.d/stages/pods-simulated.yaml act on: set on a
 * workload's pod template (`{ [SIMULATE_POD_ANNOTATION]: SIMULATED_POD.crashLoopBackOff }`), its pods go wrong the
 * way a kubelet reports it instead of turning Running and Ready.
 */
export const SIMULATE_POD_ANNOTATION = 'k8s-testenv/simulate';
export const SIMULATED_POD = {
  /** Stays Pending, its containers waiting in ImagePullBackOff for their image (a Warning event `Failed`). */
  imagePullBackOff: 'image-pull-backoff',
  /** Running, its containers in CrashLoopBackOff after 4 restarts, last exit code 1 (a Warning event `BackOff`). */
  crashLoopBackOff: 'crash-loop-back-off',
  /** Running, its containers running but never ready (a Warning event `Unhealthy`). */
  notReady: 'not-ready',
  /** Ends Failed, its containers terminated with exit code 1 (a Job's pod counts as failed). */
  fail: 'fail',
} as const;

/** Every version the environment can run, default first: `current`, then `1.15` (kubespray 2.11's). */
export const K8S_TEST_VERSIONS: readonly K8sTestEnvVersion[] = K8S_TESTENV_VERSIONS;

export interface K8sTestEnv {
  /** Which control plane runs. */
  version: K8sTestEnvVersion;
  /** Its Kubernetes release, e.g. v1.15.12. */
  kubernetesVersion: string;
  kubeconfigPath: string;
  /** The admin kubeconfig as YAML text. */
  kubeconfig: string;
  /** The admin client certificate, its key and the CA, as files: for raw requests (http-probe's send). */
  clientTls: ClientTls;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Names of the kwok nodes, all Ready when startK8sTestEnv resolves. */
  nodes: string[];
  stateDir: string;
  /** The running components, read at each access: after restartApiserver kube-apiserver has its new pid. */
  readonly processes: ReadonlyArray<{ name: string; pid: number }>;
  /** A fresh client configuration for the admin user. */
  kubeConfig(): KubeConfig;
  /**
   * Stops kube-apiserver (SIGTERM, SIGKILL after `graceMs`, default 2 s: current's never ends by itself while
   * watches are open), keeps its port closed for `downMs` (default 0), starts it again with the same flags, port
   * and certificates (so existing kubeconfigs and clients keep working) and resolves once it answers its health
   * path. etcd, the controllers, the scheduler and kwok keep running and reconnect on their own.
   */
  restartApiserver(options?: { downMs?: number; graceMs?: number }): Promise<void>;
  /** The first half of restartApiserver: connections are refused until startApiserver. No-op if stopped. */
  stopApiserver(options?: { graceMs?: number }): Promise<void>;
  /** The second half: the same kube-apiserver again, resolved once healthy. No-op if it runs. */
  startApiserver(): Promise<void>;
  /**
   * Resolves once every node is Ready (default timeout 60 s). Needed after an outage longer than 40 s (the node
   * monitor's grace period): the node controller then marks the nodes Unknown, and kwok takes up to ~30 s to heal.
   */
  waitForNodesReady(options?: { timeoutMs?: number }): Promise<void>;
  /** Stops every process and removes the state directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface K8sTestEnvOptions {
  nodes: TestNodeSpec[];
  /** Default `current`. */
  version?: K8sTestEnvVersion;
  /**
   * Feature gates of the control plane; default none, the version's own defaults. On 1.15 ServerSideApply is then
   * off (PATCH with application/apply-patch+yaml answers 415), as on kubespray 2.11: `{ ServerSideApply: true }`.
   */
  featureGates?: Record<string, boolean>;
  /** More IPs the API server's certificate is valid for: where a test forwards its port from (forwardApiServer). */
  servingAddresses?: string[];
}

/** Directory with a version's control-plane binaries, or null when they are missing (see k8sTestEnvUnavailable). */
export function findK8sBinaries(version: K8sTestEnvVersion = DEFAULT_K8S_TESTENV_VERSION): string | null {
  const lookup = lookupBinaries(version);
  return lookup.found ? lookup.dir : null;
}

/** Probe for describeWithInfra: null when a version's binaries (default current) are there, else a one-line reason. */
export function k8sTestEnvUnavailable(version: K8sTestEnvVersion = DEFAULT_K8S_TESTENV_VERSION): string | null {
  const lookup = lookupBinaries(version);
  return lookup.found ? null : lookup.reason;
}

/** The versions whose binaries are present here. */
export function availableK8sTestVersions(): K8sTestEnvVersion[] {
  return K8S_TEST_VERSIONS.filter((version) => k8sTestEnvUnavailable(version) === null);
}

/** "current (v1.36.3)", "1.15 (v1.15.12)": how a version is named in suite titles. */
export function k8sVersionLabel(version: K8sTestEnvVersion): string {
  return `${version} (${readPinnedVersions(version).kubernetes})`;
}

/**
 * describe.each over versions, through describeWithInfra: one suite per version, titled `<name> [1.15 (v1.15.12)]`,
 * whose body gets the version. A version whose binaries are missing is skipped with the reason, or fails under
 * CI=true. Top-level `await` it, like describeWithInfra.
 */
export async function describeEachK8sVersion(
  name: string,
  body: (version: K8sTestEnvVersion) => void,
  versions: readonly K8sTestEnvVersion[] = K8S_TEST_VERSIONS,
): Promise<void> {
  for (const version of versions) {
    await describeWithInfra(
      `${name} [${k8sVersionLabel(version)}]`,
      () => k8sTestEnvUnavailable(version),
      () => body(version),
    );
  }
}

/**
 * Starts a control plane with kwok nodes. Call stop() in afterAll; if the worker process exits without it,
 * an exit handler still SIGKILLs the process groups (the state directory then stays behind in the temp dir).
 */
export async function startK8sTestEnv(options: K8sTestEnvOptions): Promise<K8sTestEnv> {
  const state = await up({
    nodes: options.nodes,
    version: options.version,
    featureGates: options.featureGates,
    ...(options.servingAddresses ? { servingAddresses: options.servingAddresses } : {}),
  });
  // state.processes changes in place when the API server restarts, so this always kills the current pids.
  const killOnExit = (): void => running(state).forEach((p) => killProcessGroupNow(p.pid));
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  // Stops, starts and teardown one after the other, so a restart never races stop().
  let queue: Promise<unknown> = Promise.resolve();
  const serially = (step: () => Promise<void>): Promise<void> => {
    if (stopped) return Promise.reject(new Error(`k8s test environment ${state.stateDir} is stopped`));
    const next = queue.then(step);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    version: state.version,
    kubernetesVersion: state.kubernetesVersion,
    kubeconfigPath: state.kubeconfigPath,
    kubeconfig: readFileSync(state.kubeconfigPath, 'utf8'),
    clientTls: state.clientTls,
    server: state.server,
    nodes: state.nodes,
    stateDir: state.stateDir,
    get processes() {
      return running(state).map(({ name, pid }) => ({ name, pid }));
    },
    kubeConfig() {
      const config = new KubeConfig();
      config.loadFromFile(state.kubeconfigPath);
      return config;
    },
    restartApiserver(restart = {}) {
      return serially(() => restartApiserver(state, { downMs: restart.downMs, graceMs: restart.graceMs }));
    },
    stopApiserver(options = {}) {
      return serially(() => stopApiserver(state, { graceMs: options.graceMs }));
    },
    startApiserver() {
      return serially(() => startApiserverAgain(state));
    },
    waitForNodesReady(options = {}) {
      return waitUntilNodesReady(state, options.timeoutMs);
    },
    stop() {
      stopped ??= queue.then(() => down(state.stateDir)).finally(() => process.removeListener('exit', killOnExit));
      return stopped;
    },
  };
}

function running(state: TestEnvState): TestEnvState['processes'] {
  return state.processes.filter((p) => !p.stopped);
}

/** Pids whose command line mentions `text` (every component gets paths inside its state directory). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
