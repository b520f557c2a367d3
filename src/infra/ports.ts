import type { Ports } from '../ports/ports.js';

/** The real adapters, each loaded only when a phase first needs it (so `--help` and `validate` load no ssh2). */
export function realPorts(): Ports {
  return {
    writeFiles: async (dir, files, signal) =>
      (await import('./fs/atomic-write.js')).writeFilesAtomically(dir, files, signal),
    replaceDirectory: async (dir, files, options) =>
      (await import('./fs/replace-directory.js')).replaceDirectory(dir, files, options),
    openHosts: async (options) => (await import('./ssh/remote-hosts.js')).openRemoteHosts(options),
    devbox: async () => (await import('./docker/devbox-engine.js')).openDevboxEngine(),
    kubesprayTrees: async () => (await import('./git/kubespray-trees.js')).openKubesprayTrees(),
    kube: async (options) => (await import('./kube/kube-api.js')).openKubeApi(options),
  };
}
