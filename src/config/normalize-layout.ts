import { quote } from '../findings/finding.js';
import type { FindingSink } from '../findings/sink.js';
import type { ComputingDevice, Layout, Machine, MachineSku } from '../model/cluster.js';

const FLAGS = ['pai-master', 'pai-worker', 'pai-storage'] as const;

/**
 * Builds the layout model from a parsed layout.yaml, leniently: wrong-typed fields become ''/0 (the schema check
 * reports them) so every other rule still runs. Role flags accept true/false and "true"/"false".
 */
export function normalizeLayout(raw: unknown, sink: FindingSink): Layout {
  const root = asRecord(raw);
  const skus = new Map<string, MachineSku>();
  for (const [name, value] of Object.entries(asRecord(root['machine-sku']))) {
    const sku = asRecord(value);
    const device = asRecord(sku['computing-device']);
    skus.set(name, {
      name,
      mem: typeof sku['mem'] === 'string' ? sku['mem'] : '',
      memGiven: typeof sku['mem'] === 'string',
      vcores: asCount(asRecord(sku['cpu'])['vcore']),
      device: sku['computing-device'] === undefined ? undefined : normalizeDevice(device),
    });
  }
  const list = Array.isArray(root['machine-list']) ? (root['machine-list'] as unknown[]) : [];
  const machines: Machine[] = list.map((value, index) => {
    const entry = asRecord(value);
    const flags = Object.fromEntries(FLAGS.map((flag) => [flag, parseFlag(entry[flag], flag, index, sink)])) as Record<
      (typeof FLAGS)[number],
      boolean
    >;
    return {
      index,
      hostname: asString(entry['hostname']),
      ip: asString(entry['hostip']),
      machineType: asString(entry['machine-type']),
      master: flags['pai-master'],
      worker: flags['pai-worker'],
      storage: flags['pai-storage'],
    };
  });
  const kubernetes = asRecord(root['kubernetes']);
  return {
    kubernetes:
      root['kubernetes'] === undefined
        ? undefined
        : {
            apiServersUrl: asString(kubernetes['api-servers-url']),
            dashboardUrl: asString(kubernetes['dashboard-url']),
          },
    skus,
    machines,
  };
}

function normalizeDevice(device: Record<string, unknown>): ComputingDevice {
  const model = device['model'];
  return {
    type: asString(device['type']),
    model: typeof model === 'string' || typeof model === 'number' ? String(model) : undefined,
    count: asCount(device['count']),
  };
}

function parseFlag(value: unknown, flag: string, index: number, sink: FindingSink): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  sink.error(
    'invalid-flag',
    { file: 'layout', path: ['machine-list', index, flag] },
    `${quote(value)} is neither true nor false`,
    `Write ${flag}: "true" (or true), or leave the key out for false.`,
  );
  return false;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function asCount(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}
