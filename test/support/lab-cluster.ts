import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Lab, LabMachine } from './lab.js';

/**
 * layout.yaml and config.yaml for lab machines, as a cluster admin would write them: the `master` role is the
 * pai-master, the rest are workers; GPU workers get a SKU with their simulated GPU count. SKUs ask for 1 CPU and
 * 1Gi (what every lab machine has), except machines with a memory limit, whose SKU asks for twice the limit.
 */
export function writeLabCluster(
  dir: string,
  lab: Lab,
  hostnames: string[],
  config: { password?: string; extra?: Record<string, unknown> } = {},
): { layoutPath: string; configPath: string } {
  const machines = hostnames.map((hostname) => lab.machine(hostname));
  const skus: Record<string, unknown> = {};
  const list = machines.map((machine) => {
    const sku = skuFor(machine);
    skus[sku.name] = sku.spec;
    return {
      hostname: machine.hostname,
      hostip: machine.ip,
      'machine-type': sku.name,
      ...(machine.role === 'master' ? { 'pai-master': 'true' } : { 'pai-worker': 'true' }),
    };
  });
  const layoutPath = join(dir, `layout-${hostnames.length}-${Date.now()}.yaml`);
  const configPath = join(dir, `config-${hostnames.length}-${Date.now()}.yaml`);
  writeFileSync(layoutPath, stringify({ 'machine-sku': skus, 'machine-list': list }));
  writeFileSync(
    configPath,
    stringify({
      user: machines[0]!.user,
      ssh_key_file_path: machines[0]!.keyPath,
      ...(config.password !== undefined ? { password: config.password } : {}),
      docker_image_tag: 'v1.8.0',
      ...config.extra,
    }),
  );
  return { layoutPath, configPath };
}

function skuFor(machine: LabMachine): { name: string; spec: Record<string, unknown> } {
  const limited = 'memory' in machine && typeof (machine as { memory?: unknown }).memory === 'string';
  const mem = limited || machine.faults.includes('low-memory') ? '2Gi' : '1Gi';
  if (machine.role === 'gpu-worker') {
    const count = machine.gpus?.count ?? 1;
    return {
      name: `gpu${count}-${mem}`,
      spec: {
        mem,
        cpu: { vcore: 1 },
        'computing-device': { type: 'nvidia.com/gpu', model: machine.gpus?.model ?? 'K80', count },
      },
    };
  }
  return { name: `${machine.role}-${mem}`, spec: { mem, cpu: { vcore: 1 } } };
}
