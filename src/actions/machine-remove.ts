import { workDirFor } from '../model/work-dir.js';
import type { Action } from '../phase/phase.js';
import { configPushPhase, nodeLabelsPhase } from '../phase/phases/cluster-write.js';
import { kubesprayPhase } from '../phase/phases/kubespray.js';
import { kubespraySourcePhase } from '../phase/phases/kubespray-source.js';
import {
  drainPhase,
  layoutUpdatePhase,
  machineRemovePlanPhase,
  nodesDeletePhase,
  removedInLayout,
  type MachineRemoveData,
} from '../phase/phases/machine-remove.js';
import { renderPhase } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';
import { kubesprayRelease } from '../kubespray/release-2.11.js';
import { servicePhases, type DeployData, type DeployOptions } from './deploy.js';
import { dayTwoConnectPhase, type KubeFlags } from './day-two.js';

export type MachineRemoveActionData = DeployData & MachineRemoveData;

/** How long a node's pods may take to leave it (kubectl drain waits forever by default; a deploy tool should not). */
export const DRAIN_TIMEOUT_MS = 5 * 60_000;

/**
 * `pai-deploy machine remove --hosts`: the plan (never the master or the last worker), then cordon and drain, kubespray
 * remove-node.yml on them, their Node objects deleted, layout.yaml rewritten without them, and the labels, the hived
 * configuration and the push for the machines that stay, then the services whose configuration changed. Until the
 * layout is rewritten a rerun does the same again (each step is idempotent); after it, only the push is left.
 */
export function machineRemoveAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: DeployOptions & { hosts: string[]; drainTimeoutMs?: number; kube?: KubeFlags },
): Action<MachineRemoveActionData> {
  return {
    name: 'machine remove',
    data: { sources },
    phases: [
      validatePhase(validate),
      dayTwoConnectPhase<MachineRemoveActionData>(options),
      machineRemovePlanPhase(options.hosts),
      // The inventory still has the machines: remove-node.yml reaches them through it.
      renderPhase((ctx) => ({
        workDir: workDirFor(requireCluster(ctx.data).spec.config.clusterId, options.workDirOverride, options.env),
      })),
      drainPhase({ timeoutMs: options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS }),
      kubespraySourcePhase({
        dir: options.kubespray?.dir,
        cloneFrom: options.kubespray?.cloneFrom ?? kubesprayRelease.repository,
        allowUnpinned: options.kubespray?.allowUnpinned ?? false,
      }),
      kubesprayPhase({
        request: { playbook: 'remove-node', passThrough: [] },
        hostsFrom: removedInLayout,
        image: options.devbox?.image,
        network: options.devbox?.network ?? 'host',
        forks: options.devbox?.forks ?? 20,
        confirmReset: false,
        resumable: true,
      }),
      nodesDeletePhase(),
      layoutUpdatePhase(),
      nodeLabelsPhase(),
      configPushPhase({ force: false }),
      ...servicePhases<MachineRemoveActionData>(options),
    ],
  };
}
