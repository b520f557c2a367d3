import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The text of a valid layout.yaml with `count` machines: one master and `count - 1` GPU workers, each with its own
 * hostname and a distinct private IP (10.x.y.z, z in 1..250, so no network or broadcast-looking address). Written as
 * text, not through a YAML library, so a 100,000-machine layout takes milliseconds to produce.
 * (scripts/bench.mjs has its own generator for its 4,096 machines; its addressing stops at 65,536 machines.)
 */
export function bigLayoutText(count: number): string {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`bigLayoutText: count must be a whole number of at least 1, got ${count}`);
  const lines = [
    'machine-sku:',
    '  master-sku:',
    '    mem: "60Gi"',
    '    cpu:',
    '      vcore: 24',
    '  gpu-sku:',
    '    mem: "220Gi"',
    '    cpu:',
    '      vcore: 24',
    '    computing-device:',
    '      type: nvidia.com/gpu',
    '      model: V100',
    '      count: 8',
    'machine-list:',
    '  - hostname: pai-master-000000',
    `    hostip: ${machineIp(0)}`,
    '    machine-type: master-sku',
    '    pai-master: "true"',
  ];
  for (let i = 1; i < count; i++) {
    lines.push(
      `  - hostname: pai-worker-${String(i).padStart(6, '0')}`,
      `    hostip: ${machineIp(i)}`,
      '    machine-type: gpu-sku',
      '    pai-worker: "true"',
    );
  }
  return lines.join('\n') + '\n';
}

/** The IP of machine `index` in bigLayoutText. */
export function machineIp(index: number): string {
  const z = (index % 250) + 1;
  const rest = Math.floor(index / 250);
  return `10.${Math.floor(rest / 256) % 256}.${rest % 256}.${z}`;
}

/** A config.yaml that validates with any bigLayoutText layout. */
export const BIG_CONFIG_TEXT = 'user: pai\npassword: "big-layout"\ndocker_image_tag: v1.8.0\n';

/** Writes `big-layout.yaml` and `big-config.yaml` with `count` machines into `dir`; returns their paths. */
export function writeBigCluster(dir: string, count: number): { layoutPath: string; configPath: string } {
  const layoutPath = join(dir, `big-layout-${count}.yaml`);
  const configPath = join(dir, `big-config-${count}.yaml`);
  writeFileSync(layoutPath, bigLayoutText(count));
  writeFileSync(configPath, BIG_CONFIG_TEXT);
  return { layoutPath, configPath };
}
