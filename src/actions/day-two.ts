import type { Phase } from '../phase/phase.js';
import { clusterConnectPhase, type ClusterApiData } from '../phase/phases/cluster-api.js';
import type { DeployOptions } from './deploy.js';

/** --kubeconfig and --context. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
}

/**
 * The connection of a day-2 action: the work dir's kubeconfig unless --kubeconfig/--context say otherwise; the
 * layout's machines need not all be Ready nodes (the ones being added are not nodes yet, the ones being removed
 * may be gone): the action's plan phase checks what it needs.
 */
export function dayTwoConnectPhase<D extends ClusterApiData>(options: DeployOptions & { kube?: KubeFlags }): Phase<D> {
  return clusterConnectPhase<D>({
    target: {
      kubeconfig: options.kube?.kubeconfig,
      context: options.kube?.context,
      workDirOverride: options.workDirOverride,
      env: options.env,
      cwd: options.cwd,
    },
    requireReadyNodes: false,
  });
}
