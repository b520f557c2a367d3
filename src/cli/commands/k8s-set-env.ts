import { copyFile, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { describeSystemError, PaiDeployError, UsageError } from '../../errors.js';
import { KubeconfigError, mergeKubeconfig } from '../../kubespray/kubeconfig.js';
import { workDirFor } from '../../model/work-dir.js';
import type { CommandEnv } from '../command-env.js';

export interface K8sSetEnvFlags {
  workDir?: string;
  clusterId: string;
  kubeconfig?: string;
  context?: string;
  use?: boolean;
  dryRun?: boolean;
}

/** kubectl's own rule: the first file of $KUBECONFIG, else ~/.kube/config. */
function targetKubeconfig(flags: K8sSetEnvFlags, env: CommandEnv): string {
  if (flags.kubeconfig) return resolve(env.cwd, flags.kubeconfig);
  const fromEnv = env.env['KUBECONFIG']?.split(':').find(Boolean);
  return fromEnv ? resolve(env.cwd, fromEnv) : join(env.env['HOME'] ?? homedir(), '.kube', 'config');
}

/** `pai-deploy k8s set-env`: the cluster's admin kubeconfig merged into the user's, after a backup. */
export async function runK8sSetEnv(flags: K8sSetEnvFlags, env: CommandEnv): Promise<void> {
  const workDir = workDirFor(flags.clusterId, flags.workDir, env.env);
  const name = flags.context ?? flags.clusterId;
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(name))
    throw new UsageError(`k8s set-env: "${name}" cannot name a kubeconfig context (letters, digits, . _ @ -)`);
  const admin = await readFile(workDir.kubeconfig, 'utf8').catch((error: unknown) => {
    throw new PaiDeployError(`cannot read ${workDir.kubeconfig}: ${describeSystemError(error)}`, {
      hint: 'It is written by `pai-deploy kubespray run` when cluster.yml succeeds; pass --work-dir for another cluster.',
    });
  });
  const target = targetKubeconfig(flags, env);
  const existing = await readFile(target, 'utf8').catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new PaiDeployError(`cannot read ${target}: ${describeSystemError(error)}`);
  });
  let merged: { text: string; replaced: boolean };
  try {
    merged = mergeKubeconfig(existing, admin, name, flags.use === true);
  } catch (error) {
    if (error instanceof KubeconfigError)
      throw new PaiDeployError(`k8s set-env: ${error.message}`, { hint: `Nothing was changed in ${target}.` });
    throw error;
  }
  const verb = merged.replaced ? 'update' : 'add';
  if (flags.dryRun === true) {
    await env.io.result(`would ${verb} context "${name}" in ${target}${existing ? ' (after a backup)' : ''}\n`);
    return;
  }
  let backup: string | undefined;
  if (existing !== undefined) {
    backup = `${target}.pai-deploy-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(target, backup);
  }
  await env.ports.writeFiles(
    dirname(target),
    [{ path: basename(target), content: merged.text, mode: 0o600, description: 'kubeconfig' }],
    env.signal,
  );
  await env.io.result(
    `${verb === 'add' ? 'added' : 'updated'} context "${name}" in ${target}${backup ? ` (previous file: ${backup})` : ''}\n` +
      `try: kubectl --context ${name} get nodes\n`,
  );
}
