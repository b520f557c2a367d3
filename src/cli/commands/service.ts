import { resolve } from 'node:path';
import { serviceRunAction, servicePlanAction, serviceStatusAction } from '../../actions/services.js';
import type { ServiceOperation, ServicesRunResult } from '../../cluster/services/run-services.js';
import { describeRef } from '../../cluster/services/run-steps.js';
import { PaiDeployError } from '../../errors.js';
import { OPENPAI_PROJECT } from '../../openpai/release.js';
import { runAction } from '../../phase/manager.js';
import type { OpenpaiSourceOptions } from '../../phase/phases/openpai-source.js';
import type { ServiceStatus } from '../../phase/phases/service-status.js';
import { clusterSources } from '../cluster-inputs.js';
import type { CommandEnv } from '../command-env.js';
import { formatDryRun } from '../format/dry-run.js';
import { kubeTarget, reportFindings, type ClusterCommandFlags } from './cluster.js';

export interface ServiceFlags extends ClusterCommandFlags {
  openpaiSrc?: string;
  openpaiClone?: string;
  allowUnknownOpenpai?: boolean;
  /** -n NAME… */
  name?: string[];
  timeout?: number;
  yes?: boolean;
}

function sourceOptions(flags: ServiceFlags, env: CommandEnv): OpenpaiSourceOptions {
  return {
    dir: flags.openpaiSrc !== undefined ? resolve(env.cwd, flags.openpaiSrc) : undefined,
    cloneFrom: flags.openpaiClone ?? OPENPAI_PROJECT.repository,
    allowUnknown: flags.allowUnknownOpenpai === true,
    workDirOverride: flags.workDir,
    env: env.env,
  };
}

const parts = async () => (await import('../../phase/phases/service-parts.js')).serviceParts();

/** `pai-deploy service start|stop|delete`. */
export function runServiceOperation(operation: ServiceOperation) {
  return async (flags: ServiceFlags, env: CommandEnv): Promise<void> => {
    const json = flags.format === 'json';
    const action = serviceRunAction(
      operation,
      clusterSources(`service ${operation}`, flags, env),
      reportFindings(env, json),
      kubeTarget(flags, env),
      {
        source: sourceOptions(flags, env),
        only: flags.name,
        parts,
        timeoutMs: flags.timeout ?? 10 * 60_000,
        confirm: flags.yes !== true,
      },
    );
    const result = await runAction(action, {
      io: env.io,
      ports: env.ports,
      signal: env.signal,
      dryRun: flags.dryRun === true,
    });
    const run = action.data.services;
    if (json) return env.io.result(JSON.stringify(run ?? { dryRun: result.dryRun }, null, 2) + '\n');
    if (flags.dryRun === true) return env.io.result(formatDryRun(result.dryRun));
    if (!run) throw new PaiDeployError(`service ${operation}: the services did not run`);
    await env.io.result(formatRun(operation, run));
  };
}

function formatRun(operation: ServiceOperation, run: ServicesRunResult): string {
  const verb: Record<ServiceOperation, string> = { start: 'started', stop: 'stopped', delete: 'deleted' };
  const lines = run.outcomes.map((outcome) => {
    switch (outcome.outcome) {
      case 'changed':
        return `  ${outcome.service}: ${verb[operation]} (${(outcome.elapsedMs / 1000).toFixed(1)} s)`;
      case 'unchanged':
        return `  ${outcome.service}: ${operation === 'start' ? 'running, nothing to change' : 'nothing to do'}`;
      case 'skipped':
        return `  ${outcome.service}: skipped (${outcome.reason ?? ''})`;
      default:
        return `  ${outcome.service}: ${outcome.outcome}`;
    }
  });
  return `service ${operation}: ${run.outcomes.length} services in ${run.plan.layers.length} layers\n${lines.join('\n')}\n`;
}

/** `pai-deploy service plan`. */
export async function runServicePlan(flags: ServiceFlags, env: CommandEnv): Promise<void> {
  const json = flags.format === 'json';
  const action = servicePlanAction(clusterSources('service plan', flags, env), reportFindings(env, json), {
    source: sourceOptions(flags, env),
    only: flags.name,
    parts,
  });
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: false });
  const plan = action.data.servicePlan;
  if (!plan) throw new PaiDeployError('service plan: no plan was made');
  if (json) return env.io.result(JSON.stringify(plan, null, 2) + '\n');
  const lines = [`OpenPAI services from ${plan.tree}, in start order (stop and delete run it backwards):`];
  plan.layers.forEach((layer, index) => lines.push(`  ${index + 1}. ${layer.join(', ')}`));
  for (const { name, reason } of plan.skipped) lines.push(`  skipped: ${name} (${reason})`);
  await env.io.result(lines.join('\n') + '\n');
}

/** `pai-deploy service status`. */
export async function runServiceStatus(flags: ServiceFlags, env: CommandEnv): Promise<void> {
  const json = flags.format === 'json';
  const action = serviceStatusAction(
    clusterSources('service status', flags, env),
    reportFindings(env, json),
    kubeTarget(flags, env),
    { source: sourceOptions(flags, env), only: flags.name, parts },
  );
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: false });
  const status = action.data.serviceStatus;
  if (!status) throw new PaiDeployError('service status: the status was not read');
  await env.io.result(json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
}

function formatStatus(statuses: readonly ServiceStatus[]): string {
  const lines: string[] = [];
  for (const status of statuses) {
    const head =
      status.state === 'skipped'
        ? `skipped (${status.reason ?? ''})`
        : status.state === 'no-workloads'
          ? 'no workloads'
          : status.state;
    lines.push(`${status.service}: ${head}`);
    for (const workload of status.workloads)
      lines.push(
        `  ${describeRef(workload.ref)}: ${workload.summary}${workload.notes.length > 0 ? ` (${workload.notes.join('; ')})` : ''}`,
      );
  }
  return lines.join('\n') + '\n';
}
