import { buildPlan, type ClusterPlan } from '../../actions/cluster-plan.js';
import { renderCluster } from '../../render/render-cluster.js';
import { writeFilesAtomically } from '../../infra/fs/atomic-write.js';
import { validateCluster } from '../../rules/validate-cluster.js';
import { workDirFor } from '../../model/work-dir.js';
import { formatOption, optionalString, parseCommandArgs } from '../args.js';
import { clusterInputOptions, configPathFrom, layoutInputFrom } from '../cluster-options.js';
import type { CommandContext } from '../context.js';
import { formatFindings, plural, type Style } from '../output.js';

export async function runPlan(argv: readonly string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs('plan', argv, { ...clusterInputOptions, 'work-dir': { type: 'string' } });
  const format = formatOption(parsed, 'plan', ['text', 'json']);
  const result = await validateCluster(layoutInputFrom(parsed, 'plan'), configPathFrom(parsed, 'plan'));
  if (!result.valid || !result.input || !result.vars) {
    if (format === 'json') context.stdout.write(JSON.stringify({ valid: false, errors: result.errors, warnings: result.warnings }, null, 2) + '\n');
    else context.stdout.write(formatFindings(result, context.style));
    return 1;
  }
  const clusterId = result.input.config.clusterId;
  const workDir = workDirFor(clusterId, optionalString(parsed, 'work-dir'), context.env);
  const files = renderCluster(result.input);
  await writeFilesAtomically(workDir.root, files);
  const plan = buildPlan(result.input, result.vars, workDir.root, files);
  if (format === 'json') {
    context.stdout.write(JSON.stringify({ valid: true, warnings: result.warnings, plan }, null, 2) + '\n');
  } else {
    if (result.warnings.length > 0) context.stdout.write(formatFindings(result, context.style));
    context.stdout.write(formatPlan(plan, context.style));
  }
  return 0;
}

export function formatPlan(plan: ClusterPlan, style: Style): string {
  const lines: string[] = [];
  lines.push(style.bold(`Plan for OpenPAI cluster "${plan.clusterId}"`) + ' (offline: no machine was contacted)', '');
  lines.push(style.bold(`Machines (${plan.machines.length})`));
  const width = Math.max(...plan.machines.map((machine) => machine.hostname.length), 8);
  for (const machine of plan.machines) {
    const roles = machine.roles.join(',') || 'none';
    lines.push(`  ${machine.hostname.padEnd(width)}  ${machine.ip.padEnd(15)}  ${roles.padEnd(22)} ${machine.machineType}${machine.device ? `, ${machine.device}` : ''}  [${machine.kubesprayGroups.join(' ')}]`);
  }
  const count = (role: string) => plan.machines.filter((machine) => machine.roles.includes(role)).length;
  lines.push(`  ${plural(count('pai-master'), 'master')}, ${plural(count('pai-worker'), 'worker')}, ${plural(count('pai-storage'), 'storage machine')}`, '');
  lines.push(style.bold('Kubernetes'));
  lines.push(`  kubespray ${plan.kubespray.branch} @ ${plan.kubespray.commit.slice(0, 12)} (${plan.kubespray.describe})`);
  lines.push(`  Kubernetes ${plan.kubespray.kubeVersion}, network plugin ${plan.kubespray.networkPlugin}, docker ${plan.kubespray.dockerVersion}`);
  lines.push(`  dev-box image ${plan.devboxImage}`);
  lines.push(`  runs: ${plan.kubespray.command}`, '');
  lines.push(style.bold(`Work dir ${plan.workDir}`));
  for (const file of plan.files) lines.push(`  ${file.path.padEnd(42)} ${file.mode}  ${file.description}`);
  lines.push('', style.bold('Steps'));
  plan.phases.forEach((phase, index) => {
    lines.push(`  ${index + 1}. ${phase.title}  (${phase.command})${phase.built ? '' : style.yellow('  [not built yet]')}`);
  });
  lines.push('', style.bold('OpenPAI services, in start order'));
  plan.services.layers.forEach((layer, index) => lines.push(`  ${String(index + 1).padStart(2)}. ${layer.join(', ')}`));
  for (const skipped of plan.services.skipped) lines.push(style.dim(`      skipped ${skipped.name}: ${skipped.reason}`));
  return lines.join('\n') + '\n';
}
