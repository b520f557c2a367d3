import { resolve } from 'node:path';
import { kubesprayAction } from '../../actions/kubespray.js';
import { PaiDeployError, UsageError } from '../../errors.js';
import { kubesprayRelease } from '../../kubespray/release-2.11.js';
import type { PlaybookName } from '../../kubespray/playbook-run.js';
import { workDirFor } from '../../model/work-dir.js';
import { runAction } from '../../phase/manager.js';
import { requireCluster } from '../../phase/phases/validate.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatDryRun } from '../format/dry-run.js';
import { formatFindings } from '../format/findings.js';

export interface KubesprayFlags extends ClusterInputFlags {
  workDir?: string;
  kubesprayDir?: string;
  kubesprayClone?: string;
  allowUnpinnedKubespray?: boolean;
  devboxImage?: string;
  devboxNetwork: string;
  forks: number;
  hosts?: string[];
  limit?: string[];
  yes?: boolean;
  dryRun?: boolean;
}

/** The four playbook commands share everything but the playbook and its host list. */
export function kubesprayCommand(playbook: PlaybookName, name?: string) {
  return async (flags: KubesprayFlags, env: CommandEnv, passThrough: string[]): Promise<void> => {
    const verb = name ?? `kubespray ${playbook === 'cluster' ? 'run' : playbook}`;
    const hosts = playbook === 'remove-node' ? flags.hosts : playbook === 'scale' ? flags.limit : undefined;
    if (playbook === 'remove-node' && (hosts ?? []).length === 0)
      throw new UsageError(`${verb}: --hosts is required (the machines to remove, e.g. --hosts pai-worker-03)`);
    // Absolute: it becomes a bind mount's source.
    const kubesprayDir = flags.kubesprayDir === undefined ? undefined : resolve(env.cwd, flags.kubesprayDir);
    const action = kubesprayAction(
      clusterSources(verb, flags, env),
      {
        report: async (validation) => {
          if (!validation.valid || validation.warnings.length > 0)
            await env.io.result(formatFindings(validation, stdoutStyle(env)));
        },
      },
      {
        request: { playbook, ...(hosts ? { hosts } : {}), passThrough },
        workDirOverride: flags.workDir,
        env: env.env,
        kubesprayDir,
        kubesprayCloneFrom: flags.kubesprayClone ?? kubesprayRelease.repository,
        allowUnpinned: flags.allowUnpinnedKubespray === true,
        image: flags.devboxImage,
        network: flags.devboxNetwork,
        forks: flags.forks,
        confirmReset: flags.yes !== true,
      },
    );
    const result = await runAction(action, {
      io: env.io,
      ports: env.ports,
      signal: env.signal,
      dryRun: flags.dryRun === true,
    });
    if (flags.dryRun === true) {
      await env.io.result(formatDryRun(result.dryRun));
      return;
    }
    const done = action.data.kubespray;
    if (!done) throw new PaiDeployError(`${verb}: the playbook did not run`);
    const rebuild =
      playbook === 'reset'
        ? `\nKubernetes is gone from the machines; the work dir ${workDirFor(requireCluster(action.data).spec.config.clusterId, flags.workDir, env.env).root} keeps the rendered configuration, known_hosts and kubespray's state (its kubeconfig moved aside). To rebuild: pai-deploy quick-start -l … -c … --yes (the checks, kubespray and the labels run again).`
        : '';
    await env.io.result(
      `${verb}: done; log ${done.log}${done.kubeconfig ? `\nkubeconfig: ${done.kubeconfig}` : ''}${rebuild}\n`,
    );
  };
}

export const runKubesprayRun = kubesprayCommand('cluster');
export const runKubesprayScale = kubesprayCommand('scale');
export const runKubesprayRemoveNode = kubesprayCommand('remove-node');
export const runKubesprayReset = kubesprayCommand('reset');
/** `pai-deploy cluster reset`: the day-2 name of the same, with how to rebuild. */
export const runClusterReset = kubesprayCommand('reset', 'cluster reset');
