import { kubesprayRelease } from '../kubespray/release-2.11.js';
import { workDirFor } from '../model/work-dir.js';
import type { Action, Phase } from '../phase/phase.js';
import { checkPhase, type CheckData, type CheckPhaseOptions } from '../phase/phases/check.js';
import { kubesprayPhase, type KubesprayData } from '../phase/phases/kubespray.js';
import { kubespraySourcePhase } from '../phase/phases/kubespray-source.js';
import { clusterConnectPhase } from '../phase/phases/cluster-api.js';
import { configPushPhase, nodeLabelsPhase, type ClusterWriteData } from '../phase/phases/cluster-write.js';
import { openpaiSourcePhase } from '../phase/phases/openpai-source.js';
import { servicesPhase, type ServicesData } from '../phase/phases/services.js';
import { OPENPAI_PROJECT } from '../openpai/release.js';
import { renderPhase, type RenderData } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

export type DeployData = RenderData & CheckData & KubesprayData & ClusterWriteData & ServicesData;

/** How long one OpenPAI service may take to get ready in a deploy (images are pulled then, on every node). */
const SERVICE_TIMEOUT_MS = 20 * 60_000;

export interface DeployOptions {
  workDirOverride: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Where relative paths are resolved (the command's working directory). */
  cwd: string;
  check: CheckPhaseOptions;
  /** --kubespray-dir / --kubespray-clone / --allow-unpinned-kubespray; the pinned commit cloned by default. */
  kubespray?: { dir?: string; cloneFrom?: string; allowUnpinned?: boolean };
  /** --devbox-image, --devbox-network, --forks of the kubespray run. */
  devbox?: { image?: string; network?: string; forks?: number };
  /** --openpai-src / --openpai-clone / --allow-unknown-openpai; the release cloned by default. */
  openpai?: { dir?: string; cloneFrom?: string; allowUnknown?: boolean };
  /** How long one OpenPAI service may take to get ready. */
  serviceTimeoutMs?: number;
}

/**
 * The whole deployment: validate → render into the work dir → pre-flight checks → kubespray → node labels and the
 * stored configuration through the Kubernetes API → OpenPAI services.
 * `pai-deploy plan` is its dry run.
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
      // Phases that change machines or the cluster are resumable: a rerun skips those finished with the same inputs.
      checkPhase({ ...options.check, resumable: true }),
      kubespraySourcePhase({
        dir: options.kubespray?.dir,
        cloneFrom: options.kubespray?.cloneFrom ?? kubesprayRelease.repository,
        allowUnpinned: options.kubespray?.allowUnpinned ?? false,
      }),
      kubesprayPhase({
        request: { playbook: 'cluster', passThrough: [] },
        image: options.devbox?.image,
        network: options.devbox?.network ?? 'host',
        forks: options.devbox?.forks ?? 20,
        confirmReset: true,
        resumable: true,
      }),
      clusterConnectPhase({
        target: {
          kubeconfig: undefined,
          context: undefined,
          workDirOverride: options.workDirOverride,
          env: options.env,
          cwd: options.cwd,
        },
        requireReadyNodes: true,
        describeInDryRun: true,
      }),
      nodeLabelsPhase({ resumable: true }),
      configPushPhase({ force: false }),
      ...servicePhases<DeployData>(options),
    ],
  };
}

/** OpenPAI's release tree, then its services started: the end of the deploy and of every day-2 action. */
export function servicePhases<D extends DeployData>(options: DeployOptions): Array<Phase<D>> {
  return [
    openpaiSourcePhase({
      dir: options.openpai?.dir,
      cloneFrom: options.openpai?.cloneFrom ?? OPENPAI_PROJECT.repository,
      allowUnknown: options.openpai?.allowUnknown ?? false,
      workDirOverride: options.workDirOverride,
      env: options.env,
    }),
    servicesPhase({
      operation: 'start',
      only: undefined,
      timeoutMs: options.serviceTimeoutMs ?? SERVICE_TIMEOUT_MS,
      confirm: false,
      parts: async () => (await import('../phase/phases/service-parts.js')).serviceParts(),
    }),
  ];
}
