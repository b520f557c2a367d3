import { normalizeLayout } from '../config/normalize-layout.js';
import { parseYamlSource } from '../config/yaml-source.js';
import { FindingSink } from '../findings/sink.js';
import type { Layout, Machine } from '../model/cluster.js';

/**
 * Day-2 work starts from what the cluster has: the layout stored in pai-configuration (what the last successful push
 * described, i.e. the machines that are nodes), compared by hostname with the layout given now.
 */
export interface MachineDiff {
  /** In the new layout only. */
  added: Machine[];
  /** In the stored layout only. */
  removed: Machine[];
  /** In both, with a different IP, role or SKU. */
  changed: MachineChange[];
  /** In both, the same. */
  kept: Machine[];
}

export type MachineField = 'ip' | 'role' | 'sku';

export interface MachineChange {
  hostname: string;
  fields: MachineField[];
  before: Machine;
  after: Machine;
}

const roles = (machine: Machine) =>
  [machine.master ? 'master' : '', machine.worker ? 'worker' : '', machine.storage ? 'storage' : '']
    .filter(Boolean)
    .join('+');

export function diffMachines(before: readonly Machine[], after: readonly Machine[]): MachineDiff {
  const old = new Map(before.map((machine) => [machine.hostname, machine]));
  const next = new Set(after.map((machine) => machine.hostname));
  const diff: MachineDiff = { added: [], removed: [], changed: [], kept: [] };
  for (const machine of after) {
    const was = old.get(machine.hostname);
    if (!was) {
      diff.added.push(machine);
      continue;
    }
    const fields: MachineField[] = [];
    if (was.ip !== machine.ip) fields.push('ip');
    if (roles(was) !== roles(machine)) fields.push('role');
    if (was.machineType !== machine.machineType) fields.push('sku');
    if (fields.length > 0) diff.changed.push({ hostname: machine.hostname, fields, before: was, after: machine });
    else diff.kept.push(machine);
  }
  diff.removed = before.filter((machine) => !next.has(machine.hostname));
  return diff;
}

/** `gpu-3 (10.0.0.13, worker, sku gpu-machine)`. */
export function describeMachine(machine: Machine): string {
  return `${machine.hostname} (${machine.ip}, ${roles(machine) || 'no role'}, sku ${machine.machineType})`;
}

/** What changed on a kept hostname, e.g. `ip 10.0.0.5 → 10.0.0.9`. */
export function describeChange(change: MachineChange): string {
  const parts = change.fields.map((field) =>
    field === 'ip'
      ? `ip ${change.before.ip} → ${change.after.ip}`
      : field === 'role'
        ? `role ${roles(change.before)} → ${roles(change.after)}`
        : `sku ${change.before.machineType} → ${change.after.machineType}`,
  );
  return `${change.hostname}: ${parts.join(', ')}`;
}

/**
 * The layout stored in the cluster, read leniently (it was valid when pushed; a hand edit since is the admin's): the
 * same model the given layout becomes.
 */
export function parseStoredLayout(text: string): Layout {
  const source = parseYamlSource('pai-configuration/layout.yaml', Buffer.from(text, 'utf8'));
  return normalizeLayout(source.value, new FindingSink({ layoutSource: source, configSource: source }));
}
