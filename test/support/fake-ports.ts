import type { KubesprayTrees } from '../../src/ports/kubespray-source.js';
import type {
  DevboxEngine,
  FileToWrite,
  KubeApi,
  KubeConnectOptions,
  Ports,
  RemoteHosts,
  RemoteHostsOptions,
} from '../../src/ports/ports.js';

export interface FakePorts extends Ports {
  /** Port calls, in order: `writeFiles <dir>`, `replaceDirectory <dir>`, `openHosts`, `devbox`, `kube <kubeconfig>`. */
  readonly calls: string[];
  /** What writeFiles and replaceDirectory were given (kept in memory; nothing touches the disk unless the test passes its own writeFiles). */
  readonly written: Array<{ dir: string; files: readonly FileToWrite[] }>;
}

export interface ProvidedPorts {
  hosts?: RemoteHosts;
  devbox?: DevboxEngine;
  kube?: KubeApi;
  writeFiles?: Ports['writeFiles'];
  replaceDirectory?: Ports['replaceDirectory'];
  kubesprayTrees?: KubesprayTrees;
}

/**
 * Ports for unit tests. writeFiles records in memory (and refuses once the signal is raised, like the real one);
 * the SSH and container ports are what the test passes, and one the test did not give rejects, so a phase that
 * reaches for the network or the container engine unexpectedly fails loudly.
 */
export function fakePorts(provided: ProvidedPorts = {}): FakePorts {
  const calls: string[] = [];
  const written: Array<{ dir: string; files: readonly FileToWrite[] }> = [];
  return {
    calls,
    written,
    writeFiles(dir: string, files: readonly FileToWrite[], signal: AbortSignal): Promise<void> {
      calls.push(`writeFiles ${dir}`);
      if (provided.writeFiles) return provided.writeFiles(dir, files, signal);
      if (signal.aborted) return Promise.reject(new Error('fake ports: writeFiles after the abort'));
      written.push({ dir, files });
      return Promise.resolve();
    },
    replaceDirectory(dir, files, options) {
      calls.push(`replaceDirectory ${dir}`);
      if (provided.replaceDirectory) return provided.replaceDirectory(dir, files, options);
      if (options.signal.aborted) return Promise.reject(new Error('fake ports: replaceDirectory after the abort'));
      written.push({ dir, files });
      return Promise.resolve({ kept: [] });
    },
    kubesprayTrees() {
      calls.push('kubesprayTrees');
      return provided.kubesprayTrees
        ? Promise.resolve(provided.kubesprayTrees)
        : Promise.reject(new Error('fake ports: no KubesprayTrees given to this test'));
    },
    openHosts(_options: RemoteHostsOptions): Promise<RemoteHosts> {
      calls.push('openHosts');
      return provided.hosts
        ? Promise.resolve(provided.hosts)
        : Promise.reject(new Error('fake ports: no RemoteHosts given to this test'));
    },
    devbox(): Promise<DevboxEngine> {
      calls.push('devbox');
      return provided.devbox
        ? Promise.resolve(provided.devbox)
        : Promise.reject(new Error('fake ports: no DevboxEngine given to this test'));
    },
    kube(options: KubeConnectOptions): Promise<KubeApi> {
      calls.push(`kube ${options.kubeconfigPath}`);
      return provided.kube
        ? Promise.resolve(provided.kube)
        : Promise.reject(new Error('fake ports: no KubeApi given to this test'));
    },
  };
}
