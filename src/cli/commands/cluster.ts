import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { clusterLabelAction, clusterStatusAction, configPushAction } from '../../actions/cluster.js';
import type { ClusterStatus } from '../../cluster/status.js';
import { pulledFiles, readStoredConfig } from '../../cluster/stored-config.js';
import { describeSystemError, InputFileError, PaiDeployError } from '../../errors.js';
import type { Validation } from '../../rules/validate-cluster.js';
import { runAction } from '../../phase/manager.js';
import { resolveKubeconfig, type KubeTarget } from '../../phase/phases/cluster-api.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatDryRun } from '../format/dry-run.js';
import { formatFindings } from '../format/findings.js';

export interface KubeFlags {
  workDir?: string;
  kubeconfig?: string;
  context?: string;
}

export interface ClusterCommandFlags extends ClusterInputFlags, KubeFlags {
  dryRun?: boolean;
  format?: 'text' | 'json';
}

export function kubeTarget(flags: KubeFlags, env: CommandEnv): KubeTarget {
  return {
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    workDirOverride: flags.workDir,
    env: env.env,
    cwd: env.cwd,
  };
}

export function reportFindings(env: CommandEnv, json: boolean) {
  return {
    report: async (validation: Validation) => {
      if (!json && (!validation.valid || validation.warnings.length > 0))
        await env.io.result(formatFindings(validation, stdoutStyle(env)));
    },
  };
}

/** `pai-deploy cluster label`. */
export async function runClusterLabel(flags: ClusterCommandFlags, env: CommandEnv): Promise<void> {
  const action = clusterLabelAction(
    clusterSources('cluster label', flags, env),
    reportFindings(env, false),
    kubeTarget(flags, env),
  );
  const result = await runAction(action, {
    io: env.io,
    ports: env.ports,
    signal: env.signal,
    dryRun: flags.dryRun === true,
  });
  if (flags.dryRun === true) return env.io.result(formatDryRun(result.dryRun));
  const outcomes = action.data.labels ?? [];
  const written = outcomes.filter((outcome) => outcome.written).length;
  await env.io.result(`cluster label: ${written} node(s) relabelled, ${outcomes.length - written} already right\n`);
}

export interface ConfigPushFlags extends ClusterCommandFlags {
  force?: boolean;
  servicesConfiguration?: string;
}

/** `pai-deploy config push`. */
export async function runConfigPush(flags: ConfigPushFlags, env: CommandEnv): Promise<void> {
  let servicesConfiguration: string | undefined;
  if (flags.servicesConfiguration !== undefined) {
    const path = resolve(env.cwd, flags.servicesConfiguration);
    servicesConfiguration = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new InputFileError(
        path,
        describeSystemError(error),
        'Name an existing services-configuration.yaml.',
        error,
      );
    });
  }
  const action = configPushAction(
    clusterSources('config push', flags, env),
    reportFindings(env, false),
    kubeTarget(flags, env),
    { force: flags.force === true, ...(servicesConfiguration !== undefined ? { servicesConfiguration } : {}) },
  );
  const result = await runAction(action, {
    io: env.io,
    ports: env.ports,
    signal: env.signal,
    dryRun: flags.dryRun === true,
  });
  if (flags.dryRun === true) {
    await env.io.result(formatDryRun(result.dryRun));
    const hived = action.data.hived;
    if (hived?.enabled) {
      // What would go into services-configuration.yaml's hivedscheduler.config, to review before the push.
      const { hivedConfigYaml } = await import('../../openpai/hived-config.js');
      await env.io.result(`\nhivedscheduler.config computed from the live nodes:\n${hivedConfigYaml(hived)}`);
    } else if (hived) await env.io.result(`\nno hived configuration: ${hived.reason}\n`);
    return;
  }
  const push = action.data.push;
  if (!push) throw new PaiDeployError('config push: the push did not run');
  const changed = Object.entries(push.plan.keys).filter(([, change]) => change !== 'unchanged');
  await env.io.result(
    push.wroteConfig
      ? `config push: stored ${changed.map(([key, change]) => `${key} (${change})`).join(', ')}${push.plan.kept.length > 0 ? `; kept ${push.plan.kept.join(', ')}` : ''}\n`
      : 'config push: the stored configuration is already this one\n',
  );
}

export interface ConfigPullFlags extends KubeFlags {
  out: string;
  clusterId: string;
  dryRun?: boolean;
}

/** `pai-deploy config pull --out DIR`: the stored files, written in one step. */
export async function runConfigPull(flags: ConfigPullFlags, env: CommandEnv): Promise<void> {
  const kubeconfig = resolveKubeconfig(kubeTarget(flags, env), flags.clusterId);
  const api = await env.ports.kube({
    kubeconfigPath: kubeconfig.path,
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  });
  const stored = await readStoredConfig(api, env.signal);
  if (stored.resourceVersion === undefined) {
    throw new PaiDeployError(`the cluster at ${api.server} stores no configuration (no ConfigMap pai-configuration)`, {
      hint: 'Push one first: pai-deploy config push -l layout.yaml -c config.yaml',
    });
  }
  if (stored.clusterId !== undefined && stored.clusterId !== flags.clusterId) {
    throw new PaiDeployError(`the cluster at ${api.server} is "${stored.clusterId}", not "${flags.clusterId}"`, {
      hint: `Pass --cluster-id ${stored.clusterId} if that is the cluster you mean.`,
    });
  }
  const files = pulledFiles(stored);
  const out = resolve(env.cwd, flags.out);
  if (flags.dryRun === true) {
    await env.io.result(`would write ${files.map((file) => file.path).join(', ')} into ${out}\n`);
    return;
  }
  await env.ports.replaceDirectory(out, files, { signal: env.signal, action: 'config pull', io: env.io });
  if (!stored.files['config.yaml']) {
    env.io.notify({
      level: 'warn',
      code: 'cluster.pull-no-config',
      text: 'the stored configuration has no config.yaml (pushed before OpenPAI v1.7?)',
    });
  }
  await env.io.result(`config pull: ${files.map((file) => file.path).join(', ')} in ${out} (0600)\n`);
}

/** `pai-deploy cluster status`. */
export async function runClusterStatus(flags: ClusterCommandFlags, env: CommandEnv): Promise<void> {
  const json = flags.format === 'json';
  const action = clusterStatusAction(
    clusterSources('cluster status', flags, env),
    reportFindings(env, json),
    kubeTarget(flags, env),
  );
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: false });
  const status = action.data.status;
  if (!status) throw new PaiDeployError('cluster status: the status was not read');
  await env.io.result(json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
}

function formatStatus(status: ClusterStatus): string {
  const lines = [`Kubernetes ${status.version} at ${status.server}`, ''];
  const rows = status.nodes.map((node) => [
    node.name,
    node.ready ? 'Ready' : 'NotReady',
    node.roles.map((role) => role.replace('pai-', '')).join(',') || '-',
    Object.entries(node.devices)
      .map(([resource, count]) => `${count} ${resource}`)
      .join(', ') || '-',
    !node.inLayout
      ? 'not in the layout'
      : node.labelDrift
        ? `labels differ: ${Object.entries(node.labelDrift)
            .map(([key, value]) => (value === null ? `-${key}` : `${key}=${value}`))
            .join(' ')}`
        : '',
  ]);
  rows.unshift(['NODE', 'STATUS', 'ROLES', 'DEVICES', 'VS LAYOUT']);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
  for (const name of status.missing) lines.push(`${name}  (in the layout, no node)`);
  lines.push('');
  const stored = status.stored;
  lines.push(
    stored.keys.length === 0
      ? 'stored configuration: none (run `pai-deploy config push`)'
      : `stored configuration: cluster "${stored.clusterId ?? '?'}", OpenPAI ${stored.release ?? 'not started yet'}; ${Object.entries(
          stored.differs,
        )
          .map(([key, differs]) => `${key} ${differs === 'absent' ? 'not stored' : differs ? 'differs' : 'same'}`)
          .join(', ')}`,
  );
  return lines.join('\n') + '\n';
}
