import { machineAddAction, type MachineAddData } from '../../actions/machine-add.js';
import { describeChange, describeMachine } from '../../cluster/machine-diff.js';
import { runAction, type ActionResult } from '../../phase/manager.js';
import { requireCluster } from '../../phase/phases/validate.js';
import type { Validation } from '../../rules/validate-cluster.js';
import { clusterSources } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatFindings } from '../format/findings.js';
import { deployOptions, type QuickStartFlags } from './quick-start.js';

export type MachineAddFlags = Omit<QuickStartFlags, 'from' | 'only'>;

/**
 * `pai-deploy machine add -l layout.yaml -c config.yaml`: the layout with the new machines in it; shows the plan
 * (which machines are added, what changes), asks unless --yes, then pre-flights, joins, labels and pushes.
 */
export async function runMachineAdd(flags: MachineAddFlags, env: CommandEnv): Promise<void> {
  const report = {
    report: async (validation: Validation) => {
      if (!validation.valid || validation.warnings.length > 0)
        await env.io.result(formatFindings(validation, stdoutStyle(env)));
    },
  };
  const action = machineAddAction(clusterSources('machine add', flags, env), report, deployOptions(flags, env));
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
  const real = machineAddAction(action.data.sources, planned ? quiet : report, deployOptions(flags, env));
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
