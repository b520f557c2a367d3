import { describeSystemError, InputFileError, PaiDeployError } from '../../errors.js';
import type { KubeApi, KubeConnectOptions } from '../../ports/ports.js';

/** The KubeApi port over @kubernetes/client-node (loaded only when a phase needs the cluster). */
export async function openKubeApi(options: KubeConnectOptions): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    config.loadFromFile(options.kubeconfigPath);
  } catch (error) {
    throw new InputFileError(
      options.kubeconfigPath,
      describeSystemError(error),
      'Give the admin kubeconfig kubespray wrote (the work dir keeps it), with --kubeconfig.',
      error,
    );
  }
  if (options.context !== undefined) {
    if (!config.getContexts().some((context) => context.name === options.context)) {
      const known = config.getContexts().map((context) => context.name);
      throw new PaiDeployError(`the kubeconfig ${options.kubeconfigPath} has no context "${options.context}"`, {
        exitCode: 2,
        hint: known.length > 0 ? `Its contexts are: ${known.join(', ')}.` : 'It defines no context at all.',
      });
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new PaiDeployError(`the kubeconfig ${options.kubeconfigPath} names no cluster for its current context`, {
      exitCode: 2,
      hint: 'Check current-context and the clusters list of the kubeconfig.',
    });
  }
  const versions = config.makeApiClient(k8s.VersionApi);
  return {
    server: cluster.server,
    async version(signal) {
      signal.throwIfAborted();
      try {
        const info = await versions.getCode();
        return { gitVersion: info.gitVersion, major: info.major, minor: info.minor };
      } catch (error) {
        signal.throwIfAborted();
        throw new PaiDeployError(
          `the Kubernetes API at ${cluster.server} did not answer: ${describeSystemError(error)}`,
          {
            hint: 'Check that the API server is up and that the dev-box can reach it (the master, port 6443).',
            cause: error,
          },
        );
      }
    },
  };
}
