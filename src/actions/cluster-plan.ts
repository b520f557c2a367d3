import type { ClusterSpec } from '../model/cluster.js';
import type { EffectiveVars } from '../kubespray/effective-vars.js';
import { kubesprayRelease } from '../kubespray/release-2.11.js';
import { planServices, type ServicePlan } from '../openpai/service-catalog.js';
import { DEVBOX_IMAGE } from '../kubespray/devbox.js';
import type { DryRunEntry, PhaseRecord } from '../phase/phase.js';
import { inventoryOrder, kubesprayGroups } from '../kubespray/groups.js';
import type { RenderedFile } from '../render/render-cluster.js';

export interface PlannedMachine {
  hostname: string;
  ip: string;
  machineType: string;
  roles: string[];
  kubesprayGroups: string[];
  device: string | undefined;
}

export interface ClusterPlan {
  clusterId: string;
  workDir: string;
  machines: PlannedMachine[];
  kubespray: {
    branch: string;
    commit: string;
    describe: string;
    kubeVersion: string;
    networkPlugin: string;
    dockerVersion: string;
    command: string;
  };
  devboxImage: string;
  files: Array<{ path: string; mode: string; description: string }>;
  /** The deploy action's phases in order, each with what its dry run said it would do. */
  phases: Array<{ id: string; title: string; steps: Array<{ target: string; description: string }>; skipped?: string }>;
  services: ServicePlan;
}

/** What the deploy action would do with these inputs. Pure: from the validated input, the rendered files and the dry run. */
export function buildPlan(
  input: ClusterSpec,
  vars: EffectiveVars,
  workDir: string,
  files: readonly RenderedFile[],
  phases: ReadonlyArray<{ id: string; title: string }>,
  dryRun: readonly DryRunEntry[],
  records: Readonly<Record<string, PhaseRecord>> = {},
): ClusterPlan {
  const groups = kubesprayGroups(input.layout);
  // Each machine's groups, gathered once (searching every group's list per machine is quadratic at 100k machines).
  const membership = new Map<string, string[]>();
  const join = (group: string, hosts: readonly string[]) => {
    for (const host of hosts) {
      const list = membership.get(host);
      if (list) list.push(group);
      else membership.set(host, [group]);
    }
  };
  for (const group of ['kube-master', 'etcd', 'kube-node'] as const) join(group, groups[group]);
  for (const [group, hosts] of groups.devices) join(group, hosts);
  const groupsOf = (hostname: string): string[] => membership.get(hostname) ?? [];
  const machines = inventoryOrder(input.layout).map((machine) => {
    const device = input.layout.skus.get(machine.machineType)?.device;
    return {
      hostname: machine.hostname,
      ip: machine.ip,
      machineType: machine.machineType,
      roles: [machine.master && 'pai-master', machine.worker && 'pai-worker', machine.storage && 'pai-storage'].filter(
        (role): role is string => typeof role === 'string',
      ),
      kubesprayGroups: groupsOf(machine.hostname),
      device: device ? `${device.count} x ${device.type}${device.model ? ` (${device.model})` : ''}` : undefined,
    };
  });
  return {
    clusterId: input.config.clusterId,
    workDir,
    machines,
    kubespray: {
      branch: kubesprayRelease.branch,
      commit: kubesprayRelease.commit,
      describe: kubesprayRelease.describe,
      kubeVersion: String(vars.value('kube_version')),
      networkPlugin: String(vars.value('kube_network_plugin')),
      dockerVersion: String(vars.value('docker_version')),
      command:
        'ansible-playbook -i inventory/hosts.yml cluster.yml --become --become-user=root -e @inventory/openpai.yml',
    },
    devboxImage: input.config.devboxImage ?? DEVBOX_IMAGE,
    files: files.map((file) => ({
      path: file.path,
      mode: file.mode.toString(8).padStart(4, '0'),
      description: file.description,
    })),
    phases: phases.map(({ id, title }) => ({
      id,
      title,
      steps: dryRun.filter((entry) => entry.phase === id).map(({ target, description }) => ({ target, description })),
      ...(records[id]?.status === 'skipped' ? { skipped: records[id].reason ?? 'skipped' } : {}),
    })),
    services: planServices(input),
  };
}
