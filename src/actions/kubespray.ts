import type { PlaybookRequest } from '../kubespray/playbook-run.js';
import { workDirFor } from '../model/work-dir.js';
import type { Action } from '../phase/phase.js';
import { kubesprayPhase, type KubesprayData } from '../phase/phases/kubespray.js';
import { kubespraySourcePhase } from '../phase/phases/kubespray-source.js';
import { renderPhase, type RenderData } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

export type KubesprayActionData = RenderData & KubesprayData;

export interface KubesprayActionOptions {
  request: PlaybookRequest;
  workDirOverride: string | undefined;
  env: NodeJS.ProcessEnv;
  /** --kubespray-dir, or undefined to clone the pinned commit into the work dir. */
  kubesprayDir: string | undefined;
  /** Where that clone comes from. */
  kubesprayCloneFrom: string;
  allowUnpinned: boolean;
  image: string | undefined;
  network: string;
  forks: number;
  /** reset asks for the cluster id first (unless --yes). */
  confirmReset: boolean;
}

/**
 * `pai-deploy kubespray run|scale|remove-node|reset`: validate, render into the work dir (so the inventory matches
 * the files given), then the playbook in a dev-box container.
 */
export function kubesprayAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: KubesprayActionOptions,
): Action<KubesprayActionData> {
  return {
    name: `kubespray ${options.request.playbook}`,
    data: { sources },
    phases: [
      validatePhase(validate),
      renderPhase((ctx) => ({
        workDir: workDirFor(requireCluster(ctx.data).spec.config.clusterId, options.workDirOverride, options.env),
      })),
      kubespraySourcePhase({
        dir: options.kubesprayDir,
        cloneFrom: options.kubesprayCloneFrom,
        allowUnpinned: options.allowUnpinned,
      }),
      kubesprayPhase({
        request: options.request,
        image: options.image,
        network: options.network,
        forks: options.forks,
        confirmReset: options.confirmReset,
      }),
    ],
  };
}
