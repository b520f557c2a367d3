import { workDirFor } from '../model/work-dir.js';
import type { Action } from '../phase/phase.js';
import { dayTwoConnectPhase, type KubeFlags } from './day-two.js';
import { checkPhase } from '../phase/phases/check.js';
import { configPushPhase, nodeLabelsPhase } from '../phase/phases/cluster-write.js';
import { kubesprayPhase } from '../phase/phases/kubespray.js';
import { kubespraySourcePhase } from '../phase/phases/kubespray-source.js';
import {
  addedHostnames,
  machineAddPlanPhase,
  nodesJoinPhase,
  type MachinePlanData,
} from '../phase/phases/machine-plan.js';
import { renderPhase } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';
import { kubesprayRelease } from '../kubespray/release-2.11.js';
import { servicePhases, type DeployData, type DeployOptions } from './deploy.js';

export type MachineAddData = DeployData & MachinePlanData;

/** How long the new machines' kubelets may take to register and report Ready after scale.yml. */
const JOIN_TIMEOUT_MS = 5 * 60_000;

/**
 * `pai-deploy machine add`: the layout given against the one stored in the cluster; only the new machines are
 * pre-flighted and joined (kubespray scale.yml --limit); then every node's labels, the hived configuration from the
 * live nodes and the configuration merged into the cluster; then OpenPAI's services, where only those whose objects
 * changed are touched. Built on the deploy's phases: a failure leaves the stored layout as it was (it is pushed only
 * after the nodes joined), and a rerun resumes like quick-start.
 */
export function machineAddAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: DeployOptions & { joinTimeoutMs?: number; kube?: KubeFlags },
): Action<MachineAddData> {
  return {
    name: 'machine add',
    data: { sources },
    phases: [
      validatePhase(validate),
      dayTwoConnectPhase<MachineAddData>(options),
      machineAddPlanPhase(),
      renderPhase((ctx) => ({
        workDir: workDirFor(requireCluster(ctx.data).spec.config.clusterId, options.workDirOverride, options.env),
      })),
      checkPhase({ ...options.check, resumable: true, limitTo: addedHostnames }),
      kubespraySourcePhase({
        dir: options.kubespray?.dir,
        cloneFrom: options.kubespray?.cloneFrom ?? kubesprayRelease.repository,
        allowUnpinned: options.kubespray?.allowUnpinned ?? false,
      }),
      kubesprayPhase({
        request: { playbook: 'scale', passThrough: [] },
        hostsFrom: addedHostnames,
        image: options.devbox?.image,
        network: options.devbox?.network ?? 'host',
        forks: options.devbox?.forks ?? 20,
        confirmReset: false,
        resumable: true,
      }),
      nodesJoinPhase({ hostnames: addedHostnames, timeoutMs: options.joinTimeoutMs ?? JOIN_TIMEOUT_MS }),
      nodeLabelsPhase(),
      configPushPhase({ force: false }),
      ...servicePhases<MachineAddData>(options),
    ],
  };
}
