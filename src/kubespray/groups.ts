import type { Layout, Machine } from '../model/cluster.js';

export interface KubesprayGroups {
  'kube-master': string[];
  'kube-node': string[];
  etcd: string[];
  'calico-rr': string[];
  /**
   * OpenPAI's inventory group of all workers, devices or not: its own playbooks (set-host-daemon-port-range.yml, the
   * GPU driver installs) target `gpu`, so the rendered inventory keeps it for admins who still run them.
   */
  gpu: string[];
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
    const members = devices.get(group);
    if (members) members.push(machine.hostname);
    else devices.set(group, [machine.hostname]);
  }
  return {
    'kube-master': masterNames.slice(0, 1),
    etcd: masterNames.slice(0, 1),
    'kube-node': ordered.filter((machine) => machine.master || machine.worker).map((machine) => machine.hostname),
    'calico-rr': [],
    gpu: ordered.filter((machine) => machine.worker).map((machine) => machine.hostname),
    devices,
  };
}

export function deviceGroupName(type: string): string {
  return type.replace(/[^A-Za-z0-9]+/g, '_');
}
