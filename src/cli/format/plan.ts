import type { ClusterPlan } from '../../actions/cluster-plan.js';
import { escapeControl } from '../io/escape.js';
import type { Palette } from '../io/style.js';
import { plural } from './findings.js';

/** The plan as a person reads it: machines, Kubernetes, the work dir's files, the steps and the services. */
export function formatPlan(plan: ClusterPlan, style: Palette): string {
  const lines: string[] = [];
  lines.push(style.bold(`Plan for OpenPAI cluster "${plan.clusterId}"`) + ' (offline: no machine was contacted)', '');
  lines.push(style.bold(`Machines (${plan.machines.length})`));
  const width = Math.max(...plan.machines.map((machine) => machine.hostname.length), 8);
  for (const machine of plan.machines) {
    const roles = machine.roles.join(',') || 'none';
    lines.push(
      `  ${escapeControl(machine.hostname).padEnd(width)}  ${machine.ip.padEnd(15)}  ${roles.padEnd(22)} ${machine.machineType}${machine.device ? `, ${machine.device}` : ''}  [${machine.kubesprayGroups.join(' ')}]`,
    );
  }
  const count = (role: string) => plan.machines.filter((machine) => machine.roles.includes(role)).length;
  lines.push(
    `  ${plural(count('pai-master'), 'master')}, ${plural(count('pai-worker'), 'worker')}, ${plural(count('pai-storage'), 'storage machine')}`,
    '',
  );
  lines.push(style.bold('Kubernetes'));
  lines.push(
    `  kubespray ${plan.kubespray.branch} @ ${plan.kubespray.commit.slice(0, 12)} (${plan.kubespray.describe})`,
  );
  lines.push(
    `  Kubernetes ${plan.kubespray.kubeVersion}, network plugin ${plan.kubespray.networkPlugin}, docker ${plan.kubespray.dockerVersion}`,
  );
  lines.push(`  dev-box image ${plan.devboxImage}`);
  lines.push(`  runs: ${plan.kubespray.command}`, '');
  lines.push(style.bold(`Work dir ${plan.workDir}`));
  for (const file of plan.files) lines.push(`  ${file.path.padEnd(42)} ${file.mode}  ${file.description}`);
  lines.push('', style.bold('Steps (the deploy action, dry run: nothing was changed)'));
  plan.phases.forEach((phase, index) => {
    lines.push(
      `  ${index + 1}. ${phase.title}  [${phase.id}]${phase.skipped ? style.dim(`  skipped: ${phase.skipped}`) : ''}`,
    );
    for (const step of phase.steps) {
      lines.push(`     ${step.target}: ${step.description}`);
    }
  });
  lines.push('', style.bold('OpenPAI services, in start order'));
  plan.services.layers.forEach((layer, index) => lines.push(`  ${String(index + 1).padStart(2)}. ${layer.join(', ')}`));
  for (const skipped of plan.services.skipped)
    lines.push(style.dim(`      skipped ${skipped.name}: ${skipped.reason}`));
  return lines.join('\n') + '\n';
}
