import type { Action } from '../phase/phase.js';
import { clusterConnectPhase, type KubeTarget } from '../phase/phases/cluster-api.js';
import {
  clusterStatusPhase,
  configPushPhase,
  nodeLabelsPhase,
  type ClusterStatusData,
  type ConfigPushOptions,
  type ClusterWriteData,
} from '../phase/phases/cluster-write.js';
import { validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

/** `pai-deploy cluster label`: validate, connect (every machine a Ready node), set the role labels. */
export function clusterLabelAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  target: KubeTarget,
): Action<ClusterWriteData> {
  return {
    name: 'cluster label',
    data: { sources },
    phases: [validatePhase(validate), clusterConnectPhase({ target, requireReadyNodes: true }), nodeLabelsPhase()],
  };
}

/**
 * `pai-deploy config push`: validate, connect, store the configuration. Nodes that are not Ready are reported, not
 * refused: the configuration does not depend on them (the hived configuration computed from them does, and says so).
 */
export function configPushAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  target: KubeTarget,
  options: ConfigPushOptions,
): Action<ClusterWriteData> {
  return {
    name: 'config push',
    data: { sources },
    phases: [
      validatePhase(validate),
      clusterConnectPhase({ target, requireReadyNodes: false }),
      configPushPhase(options),
    ],
  };
}

/** `pai-deploy cluster status`: validate, connect and report; writes nothing. */
export function clusterStatusAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  target: KubeTarget,
): Action<ClusterStatusData> {
  return {
    name: 'cluster status',
    data: { sources },
    phases: [validatePhase(validate), clusterConnectPhase({ target, requireReadyNodes: false }), clusterStatusPhase()],
  };
}
