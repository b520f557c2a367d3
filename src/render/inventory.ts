import type { ClusterInput, Layout, Machine } from '../config/cluster-input.js';
import { resolveUserPath } from '../rules/ssh-rules.js';
import { emitYaml, type PlainValue } from './yaml-emit.js';

export interface KubesprayGroups {
  'kube-master': string[];
  'kube-node': string[];
  etcd: string[];
  'calico-rr': string[];
  /** One group per computing-device type, named from the type (nvidia.com/gpu → nvidia_com_gpu). */
  devices: Map<string, string[]>;
}

/** Machines in inventory order: the pai-master first, then the others as the layout lists them. */
export function inventoryOrder(layout: Layout): Machine[] {
  return [...layout.machines].sort((a, b) => Number(b.master) - Number(a.master) || a.index - b.index);
}

/**
 * OpenPAI's kubespray groups: the pai-master is kube-master and the single etcd member; masters and workers are all
 * kube-node (OpenPAI's own services run on the master); no calico route reflectors.
 */
export function kubesprayGroups(layout: Layout): KubesprayGroups {
  const ordered = inventoryOrder(layout);
  const masterNames = ordered.filter((machine) => machine.master).map((machine) => machine.hostname);
  const devices = new Map<string, string[]>();
  for (const machine of ordered) {
    const type = layout.skus.get(machine.machineType)?.device?.type;
    if (!type) continue;
    const group = deviceGroupName(type);
    devices.set(group, [...(devices.get(group) ?? []), machine.hostname]);
  }
  return {
    'kube-master': masterNames.slice(0, 1),
    etcd: masterNames.slice(0, 1),
    'kube-node': ordered.filter((machine) => machine.master || machine.worker).map((machine) => machine.hostname),
    'calico-rr': [],
    devices,
  };
}

export function deviceGroupName(type: string): string {
  return type.replace(/[^A-Za-z0-9]+/g, '_');
}

/** hosts.yml for kubespray release-2.11. Login settings but never a password: those reach Ansible at run time only. */
export function renderHostsYml(input: ClusterInput): string {
  const groups = kubesprayGroups(input.layout);
  const hosts: Record<string, Record<string, string>> = {};
  for (const machine of inventoryOrder(input.layout)) {
    hosts[machine.hostname] = { ansible_host: machine.ip, ip: machine.ip, access_ip: machine.ip };
  }
  const vars: Record<string, PlainValue> = { ansible_user: String(input.config['user']) };
  if (typeof input.config['ssh_port'] === 'number') vars['ansible_port'] = input.config['ssh_port'];
  const key = input.config['ssh_key_file_path'];
  if (typeof key === 'string' && key !== '') vars['ansible_ssh_private_key_file'] = resolveUserPath(key, input.configDir);
  const members = (names: string[]) => Object.fromEntries(names.map((name) => [name, null]));
  const children: Record<string, PlainValue> = {
    'kube-master': { hosts: members(groups['kube-master']) },
    'kube-node': { hosts: members(groups['kube-node']) },
    etcd: { hosts: members(groups.etcd) },
    'k8s-cluster': { children: { 'kube-master': null, 'kube-node': null } },
    'calico-rr': { hosts: members(groups['calico-rr']) },
  };
  for (const [group, names] of [...groups.devices.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    children[group] = { hosts: members(names) };
  }
  const header =
    '# kubespray release-2.11 inventory, rendered by pai-deploy from layout.yaml and config.yaml; do not edit.\n' +
    '# Passwords are never written here: pai-deploy hands them to Ansible at run time.\n';
  return header + emitYaml({ all: { vars, hosts, children } });
}
