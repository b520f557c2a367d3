import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { lookupBinaries } from '../../scripts/k8s-testenv.d/binaries.js';
import type { TestNodeSpec } from '../../scripts/k8s-testenv.d/nodes.js';
import { killProcessGroupNow } from '../../scripts/k8s-testenv.d/processes.js';
import { down, up } from '../../scripts/k8s-testenv.d/testenv.js';

export type { TestNodeSpec } from '../../scripts/k8s-testenv.d/nodes.js';

export interface K8sTestEnv {
  kubeconfigPath: string;
  /** The admin kubeconfig as YAML text. */
  kubeconfig: string;
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
}

/** Directory with the control-plane binaries, or null when they are missing (see k8sTestEnvUnavailable). */
export function findK8sBinaries(): string | null {
  const lookup = lookupBinaries();
  return lookup.found ? lookup.dir : null;
}

/** Probe for describeWithInfra: null when the binaries are there, else a one-line reason. */
export function k8sTestEnvUnavailable(): string | null {
  const lookup = lookupBinaries();
  return lookup.found ? null : lookup.reason;
}

/**
 * Starts a control plane with kwok nodes. Call stop() in afterAll; if the worker process exits without it,
 * an exit handler still SIGKILLs the process groups (the state directory then stays behind in the temp dir).
 */
export async function startK8sTestEnv(options: K8sTestEnvOptions): Promise<K8sTestEnv> {
  const state = await up({ nodes: options.nodes });
  const killOnExit = (): void => state.processes.forEach((p) => killProcessGroupNow(p.pid));
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  return {
    kubeconfigPath: state.kubeconfigPath,
    kubeconfig: readFileSync(state.kubeconfigPath, 'utf8'),
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
