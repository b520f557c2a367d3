import type { PlaybookRequest } from '../kubespray/playbook-run.js';
import { workDirFor } from '../model/work-dir.js';
import { existsSync, renameSync } from 'node:fs';
import type { Action, Phase } from '../phase/phase.js';
import { kubesprayPhase, type KubesprayData } from '../phase/phases/kubespray.js';
import { kubespraySourcePhase } from '../phase/phases/kubespray-source.js';
import { renderPhase, type RenderData } from '../phase/phases/render.js';
import { requireCluster, validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

export type KubesprayActionData = RenderData & KubesprayData;

/** The deploy's phases a reset undoes (kubespray's own record is replaced by the reset's). */
export const RESET_UNDOES = ['check', 'node-labels'] as const;

/**
 * After reset.yml the work dir's kubeconfig names a cluster that is gone: it is moved aside (kube/config.reset-<time>)
 * so nothing connects to it by mistake; the next cluster.yml writes a new one. The rest of the work dir stays.
 */
function kubeconfigRetirePhase<D extends KubesprayActionData>(): Phase<D> {
  return {
    id: 'kubeconfig-retire',
    title: "Move the removed cluster's kubeconfig aside",
    async run(ctx) {
      const workDir = ctx.workDir;
      if (workDir === undefined || !existsSync(workDir.kubeconfig)) return;
      const aside = `${workDir.kubeconfig}.reset-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await ctx.wet(workDir.kubeconfig, `move it to ${aside}`, async () => renameSync(workDir.kubeconfig, aside));
    },
  };
}

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
        // After reset.yml a quick-start rebuilds: the checks (Kubernetes leftovers) and the new nodes' labels again.
        ...(options.request.playbook === 'reset' ? { invalidates: RESET_UNDOES } : {}),
      }),
      ...(options.request.playbook === 'reset' ? [kubeconfigRetirePhase<KubesprayActionData>()] : []),
    ],
  };
}
