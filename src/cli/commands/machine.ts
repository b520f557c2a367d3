import { resolve } from 'node:path';
import { machineAddAction, type MachineAddData } from '../../actions/machine-add.js';
import { machineRemoveAction, type MachineRemoveActionData } from '../../actions/machine-remove.js';
import { UsageError } from '../../errors.js';
import { describeChange, describeMachine } from '../../cluster/machine-diff.js';
import { runAction, type ActionResult } from '../../phase/manager.js';
import { requireCluster } from '../../phase/phases/validate.js';
import type { Validation } from '../../rules/validate-cluster.js';
import { clusterSources } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatFindings } from '../format/findings.js';
import { deployOptions, type QuickStartFlags } from './quick-start.js';

export type MachineAddFlags = Omit<QuickStartFlags, 'from' | 'only'> & { kubeconfig?: string; context?: string };

/** Shows the findings of the validation (errors, or warnings of a valid input) as every command does. */
function findingsReport(env: CommandEnv) {
  return {
    report: async (validation: Validation) => {
      if (!validation.valid || validation.warnings.length > 0)
        await env.io.result(formatFindings(validation, stdoutStyle(env)));
    },
  };
}

/** --kubeconfig (resolved against the working directory) and --context. */
function kubeFlags(flags: MachineAddFlags, env: CommandEnv) {
  return {
    kube: {
      ...(flags.kubeconfig !== undefined ? { kubeconfig: resolve(env.cwd, flags.kubeconfig) } : {}),
      ...(flags.context !== undefined ? { context: flags.context } : {}),
    },
  };
}

/**
 * `pai-deploy machine add -l layout.yaml -c config.yaml`: the layout with the new machines in it; shows the plan
 * (which machines are added, what changes), asks unless --yes, then pre-flights, joins, labels and pushes.
 */
export async function runMachineAdd(flags: MachineAddFlags, env: CommandEnv): Promise<void> {
  const report = findingsReport(env);
  const action = machineAddAction(clusterSources('machine add', flags, env), report, {
    ...deployOptions(flags, env),
    ...kubeFlags(flags, env),
  });
  let planned = false;
  const runOptions = { io: env.io, ports: env.ports, signal: env.signal, force: flags.force === true };
  if (flags.dryRun === true || flags.yes !== true) {
    // The plan first: a dry run reads the stored layout and the nodes and describes every step.
    const dry = await runAction(action, { ...runOptions, dryRun: true });
    planned = true;
    if (flags.dryRun === true) {
      await env.io.result(flags.format === 'json' ? planJson(action.data, dry) : planText(action.data, dry));
      return;
    }
    await env.io.result(planText(action.data, dry));
    const diff = action.data.machineDiff;
    if (!diff || diff.added.length + diff.changed.length === 0) return;
    const ok = await env.io.request<boolean>({
      kind: 'confirm',
      code: 'machine-add.confirm',
      text: `Add ${diff.added.length} machine(s) to the cluster now?`,
      flag: '--yes',
    });
    if (!ok) {
      await env.io.result('machine add: nothing was done\n');
      return;
    }
  }
  // With --yes the machine-plan phase still says what it found before anything is done.
  const quiet = { report: async () => undefined };
  const real = machineAddAction(action.data.sources, planned ? quiet : report, {
    ...deployOptions(flags, env),
    ...kubeFlags(flags, env),
  });
  const result = await runAction(real, { ...runOptions, dryRun: false });
  await env.io.result(doneText(real.data, result));
}

function planText(data: MachineAddData, result: ActionResult): string {
  const diff = data.machineDiff;
  const { spec } = requireCluster(data);
  const lines = [`machine add: cluster "${spec.config.clusterId}"`];
  if (!diff || diff.added.length + diff.changed.length === 0) {
    lines.push(`  nothing to add: the layout's ${spec.layout.machines.length} machine(s) are the cluster's`);
    return lines.join('\n') + '\n';
  }
  for (const machine of diff.added) lines.push(`  + ${describeMachine(machine)}`);
  for (const change of diff.changed) lines.push(`  ~ ${describeChange(change)}`);
  lines.push(`  = ${diff.kept.length} machine(s) unchanged`, '', 'Steps:');
  for (const entry of result.dryRun) lines.push(`  [${entry.phase}] ${entry.target}: ${entry.description}`);
  return lines.join('\n') + '\n';
}

function planJson(data: MachineAddData, result: ActionResult): string {
  const diff = data.machineDiff;
  return (
    JSON.stringify(
      {
        added: diff?.added.map((machine) => ({ hostname: machine.hostname, ip: machine.ip, sku: machine.machineType })),
        changed: diff?.changed.map((change) => ({ hostname: change.hostname, fields: change.fields })),
        kept: diff?.kept.map((machine) => machine.hostname),
        steps: result.dryRun,
        skipped: result.skipped,
      },
      null,
      2,
    ) + '\n'
  );
}

function doneText(data: MachineAddData, result: ActionResult): string {
  const diff = data.machineDiff;
  const added = diff?.added.map((machine) => machine.hostname) ?? [];
  const restarted = (data.services?.outcomes ?? []).filter((outcome) => outcome.outcome === 'changed');
  return (
    [
      `machine add: ${added.length > 0 ? `${added.join(', ')} joined, labelled and in the stored layout` : 'the layout is stored'}.`,
      `  services changed: ${restarted.map((outcome) => outcome.service).join(', ') || 'none'}`,
      ...(result.skipped.length > 0 ? [`  phases skipped: ${result.skipped.join(', ')}`] : []),
    ].join('\n') + '\n'
  );
}

export interface MachineRemoveFlags extends MachineAddFlags {
  hosts: string[];
  drainTimeout?: number;
}

/**
 * `pai-deploy machine remove --hosts a,b -l layout.yaml -c config.yaml`: the layout the cluster has; shows the plan,
 * asks unless --yes, then drains, resets, deletes the nodes, rewrites layout.yaml without them and pushes.
 */
export async function runMachineRemove(flags: MachineRemoveFlags, env: CommandEnv): Promise<void> {
  const report = findingsReport(env);
  const options = () => ({
    ...deployOptions(flags, env),
    ...kubeFlags(flags, env),
    hosts: flags.hosts,
    ...(flags.drainTimeout !== undefined ? { drainTimeoutMs: flags.drainTimeout } : {}),
  });
  const sources = clusterSources('machine remove', flags, env);
  if (sources.layout.kind !== 'yaml')
    throw new UsageError(
      'machine remove rewrites layout.yaml: give it with -l, not as CSV lists',
      'Convert the lists once: pai-deploy config import-csv --master-csv … --worker-csv … --output layout.yaml',
    );
  const runOptions = { io: env.io, ports: env.ports, signal: env.signal, force: flags.force === true };
  let planned = false;
  if (flags.dryRun === true || flags.yes !== true) {
    const action = machineRemoveAction(sources, report, options());
    const dry = await runAction(action, { ...runOptions, dryRun: true });
    planned = true;
    const text = removePlanText(action.data, dry);
    if (flags.dryRun === true) {
      await env.io.result(
        flags.format === 'json' ? JSON.stringify({ remove: flags.hosts, steps: dry.dryRun }, null, 2) + '\n' : text,
      );
      return;
    }
    await env.io.result(text);
    const ok = await env.io.request<boolean>({
      kind: 'confirm',
      code: 'machine-remove.confirm',
      text: `Remove ${flags.hosts.join(', ')} from the cluster now? Their pods are evicted and Kubernetes is reset on them`,
      flag: '--yes',
    });
    if (!ok) {
      await env.io.result('machine remove: nothing was done\n');
      return;
    }
  }
  const real = machineRemoveAction(sources, planned ? { report: async () => undefined } : report, options());
  const result = await runAction(real, { ...runOptions, dryRun: false });
  const restarted = (real.data.services?.outcomes ?? []).filter((outcome) => outcome.outcome === 'changed');
  await env.io.result(
    [
      `machine remove: ${flags.hosts.join(', ')} drained, reset and out of the cluster, the layout and the stored configuration.`,
      `  services changed: ${restarted.map((outcome) => outcome.service).join(', ') || 'none'}`,
      ...(result.skipped.length > 0 ? [`  phases skipped: ${result.skipped.join(', ')}`] : []),
    ].join('\n') + '\n',
  );
}

function removePlanText(data: MachineRemoveActionData, result: ActionResult): string {
  const { spec } = requireCluster(data);
  const lines = [`machine remove: cluster "${spec.config.clusterId}"`];
  for (const machine of data.removal?.machines ?? []) lines.push(`  - ${describeMachine(machine)}`);
  lines.push('', 'Steps:');
  for (const entry of result.dryRun) lines.push(`  [${entry.phase}] ${entry.target}: ${entry.description}`);
  return lines.join('\n') + '\n';
}
