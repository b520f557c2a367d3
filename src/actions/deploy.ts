import { kubesprayRelease } from '../kubespray/release-2.11.js';
import { DEVBOX_IMAGE } from '../kubespray/devbox.js';
import { kubesprayGroups } from '../kubespray/groups.js';
import { workDirFor } from '../model/work-dir.js';
import { planServices } from '../openpai/service-catalog.js';
import type { Action } from '../phase/phase.js';
import { checkPhase, type CheckData, type CheckPhaseOptions } from '../phase/phases/check.js';
import { notBuiltPhase } from '../phase/phases/not-built.js';
import { renderPhase, type RenderData } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

export type DeployData = RenderData & CheckData;

export interface DeployOptions {
  workDirOverride: string | undefined;
  env: NodeJS.ProcessEnv;
  check: CheckPhaseOptions;
}

/**
 * The whole deployment: validate → render into the work dir → pre-flight checks → kubespray → OpenPAI services.
 * `pai-deploy plan` is its dry run; the kubespray and services phases are not built yet and say so when run.
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
      notBuiltPhase<DeployData>('kubespray', 'Install Kubernetes with kubespray in a dev-box container', (data) => ({
        target: 'dev-box',
        description: `run kubespray ${kubesprayRelease.branch} @ ${kubesprayRelease.commit.slice(0, 12)} cluster.yml on ${kubesprayGroups(requireCluster(data).spec.layout)['kube-node'].length} machines in ${DEVBOX_IMAGE}`,
      })),
      notBuiltPhase<DeployData>(
        'services',
        'Label nodes, push the configuration and start OpenPAI services',
        (data) => {
          const plan = planServices(requireCluster(data).spec);
          return {
            target: 'cluster',
            description: `start ${plan.layers.flat().length} OpenPAI services in ${plan.layers.length} layers`,
          };
        },
      ),
    ],
  };
}
