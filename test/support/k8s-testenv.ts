import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
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
import { down, up } from '../../scripts/k8s-testenv.d/testenv.js';
import { describeWithInfra } from './infra.js';

export type { TestNodeSpec } from '../../scripts/k8s-testenv.d/nodes.js';
export type { K8sTestEnvVersion } from '../../scripts/k8s-testenv.d/binaries.js';
export type { ClientTls } from '../../scripts/k8s-testenv.d/http-probe.js';

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
  processes: ReadonlyArray<{ name: string; pid: number }>;
  /** A fresh client configuration for the admin user. */
  kubeConfig(): KubeConfig;
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
  const state = await up({ nodes: options.nodes, version: options.version, featureGates: options.featureGates });
  const killOnExit = (): void => state.processes.forEach((p) => killProcessGroupNow(p.pid));
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  return {
    version: state.version,
    kubernetesVersion: state.kubernetesVersion,
    kubeconfigPath: state.kubeconfigPath,
    kubeconfig: readFileSync(state.kubeconfigPath, 'utf8'),
    clientTls: state.clientTls,
    server: state.server,
    nodes: state.nodes,
    stateDir: state.stateDir,
    processes: state.processes.map(({ name, pid }) => ({ name, pid })),
    kubeConfig() {
      const config = new KubeConfig();
      config.loadFromFile(state.kubeconfigPath);
      return config;
    },
    stop() {
      stopped ??= down(state.stateDir).finally(() => process.removeListener('exit', killOnExit));
      return stopped;
    },
  };
}
