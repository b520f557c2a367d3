import { schemaFileName } from '../../config/json-schema.js';
import { dirname, join } from 'node:path';
import type { WizardAnswers } from './answers.js';
import type { CandidatePaths } from './check-answers.js';

/**
 * What the wizard is about to write, for the confirmation: the cluster, the machines by SKU, the login (a password
 * is only said to be there, never shown), the release and network, and the files.
 */
export function summaryText(answers: WizardAnswers, paths: CandidatePaths): string {
  const { ssh, registry, advanced } = answers;
  const master = answers.machines.find((machine) => machine.role === 'master');
  const workers = answers.machines.filter((machine) => machine.role === 'worker');
  const lines: string[] = [
    `Cluster "${answers.clusterId}": 1 master, ${workers.length} worker${workers.length === 1 ? '' : 's'}`,
  ];
  const width = Math.max(8, ...answers.machines.map((machine) => machine.hostname.length));
  for (const machine of [...(master ? [master] : []), ...workers]) {
    lines.push(
      `  ${machine.role.padEnd(7)} ${machine.hostname.padEnd(width)}  ${machine.ip.padEnd(15)}  ${machine.sku ?? '?'}`,
    );
  }
  for (const sku of answers.skus) {
    const device = sku.device ? `${sku.device.count} x ${sku.device.type} (${sku.device.model}), ` : 'no devices, ';
    lines.push(`  SKU ${sku.name}: ${device}${sku.vcores} CPU cores, ${sku.mem}`);
  }
  const login = [
    ssh.keyFile !== undefined ? `key ${ssh.keyFile}` : undefined,
    ssh.password !== undefined ? (ssh.keyFile !== undefined ? 'a password for sudo' : 'a password') : undefined,
  ].filter((part): part is string => part !== undefined);
  lines.push(`  SSH       ${ssh.user}@<machine>:${ssh.port} with ${login.join(' and ') || 'nothing'}`);
  lines.push(
    `  OpenPAI   ${registry.tag} from ${registry.domain}/${registry.namespace}${registry.username !== undefined ? ` (as ${registry.username}, with a password)` : ''}`,
  );
  lines.push(`  network   ${answers.networkPlugin}`);
  if (answers.ansiblePython !== undefined) {
    lines.push(`  python    ${answers.ansiblePython} on every machine (ansible_python_interpreter for kubespray)`);
  }
  const extra = [
    advanced.dockerDataRoot !== undefined ? `docker data root ${advanced.dockerDataRoot}` : undefined,
    advanced.insecureRegistries !== undefined
      ? `insecure registries ${advanced.insecureRegistries.join(', ')}`
      : undefined,
    advanced.registryMirrors !== undefined ? `mirrors ${advanced.registryMirrors.join(', ')}` : undefined,
  ].filter((part): part is string => part !== undefined);
  if (extra.length > 0) lines.push(`  docker    ${extra.join('; ')}`);
  const dir = dirname(paths.layoutPath);
  lines.push(
    `Files: ${paths.layoutPath}, ${paths.configPath} (mode 0600${ssh.password !== undefined || registry.password !== undefined ? ': it holds the password' : ''}), ` +
      `${join(dir, schemaFileName('layout'))}, ${join(dir, schemaFileName('config'))}`,
  );
  return lines.join('\n');
}
