import { kubesprayRelease } from '../kubespray/release-2.11.js';
import { workDirFor } from '../model/work-dir.js';
import { planServices } from '../openpai/service-catalog.js';
import type { Action } from '../phase/phase.js';
import { checkPhase, type CheckData, type CheckPhaseOptions } from '../phase/phases/check.js';
import { kubesprayPhase, type KubesprayData } from '../phase/phases/kubespray.js';
import { kubespraySourcePhase } from '../phase/phases/kubespray-source.js';
import { clusterConnectPhase } from '../phase/phases/cluster-api.js';
import { configPushPhase, nodeLabelsPhase, type ClusterWriteData } from '../phase/phases/cluster-write.js';
import { notBuiltPhase } from '../phase/phases/not-built.js';
import { renderPhase, type RenderData } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

export type DeployData = RenderData & CheckData & KubesprayData & ClusterWriteData;

export interface DeployOptions {
  workDirOverride: string | undefined;
  env: NodeJS.ProcessEnv;
  check: CheckPhaseOptions;
}

/**
 * The whole deployment: validate → render into the work dir → pre-flight checks → kubespray → node labels and the
 * stored configuration through the Kubernetes API → OpenPAI services.
 * `pai-deploy plan` is its dry run; the services phase is not built yet and says so when run.
 */
export function deployAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: DeployOptions,
): Action<DeployData> {
  return {
    name: 'deploy',
    data: { sources },
    phases: [
      validatePhase(validate),
      renderPhase((ctx) => ({
        workDir: workDirFor(requireCluster(ctx.data).spec.config.clusterId, options.workDirOverride, options.env),
      })),
      checkPhase(options.check),
      kubespraySourcePhase({ dir: undefined, cloneFrom: kubesprayRelease.repository, allowUnpinned: false }),
      kubesprayPhase({
        request: { playbook: 'cluster', passThrough: [] },
        image: undefined,
        network: 'host',
        forks: 20,
        confirmReset: true,
      }),
      clusterConnectPhase({
        target: {
          kubeconfig: undefined,
          context: undefined,
          workDirOverride: options.workDirOverride,
          env: options.env,
          cwd: process.cwd(),
        },
        requireReadyNodes: true,
        describeInDryRun: true,
      }),
      nodeLabelsPhase(),
      configPushPhase({ force: false }),
      notBuiltPhase<DeployData>('services', 'Start OpenPAI services', (data) => {
        const plan = planServices(requireCluster(data).spec);
        return {
          target: 'cluster',
          description: `start ${plan.layers.flat().length} OpenPAI services in ${plan.layers.length} layers`,
        };
      }),
    ],
  };
}
