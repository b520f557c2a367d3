import type { ClusterSpec, Machine } from '../model/cluster.js';
import { didYouMean } from '../findings/did-you-mean.js';
import { HOSTNAME_PATTERN } from '../config/layout-schema.js';
import { parseQuantity } from '../config/quantity.js';
import { quote } from '../findings/finding.js';
import { parseIpv4, parseIpv6, unusableHostAddress } from '../net/ip.js';
import type { FindingSink } from '../findings/sink.js';

/** An extended resource name as the device plugin registers it: <vendor domain>/<resource>. */
const DEVICE_TYPE_PATTERN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Beyond any single machine (the largest servers hold a few TiB): a typo or an exponent gone wrong. */
const MAX_MACHINE_MEMORY = 64 * 2 ** 40;

/** The groups of the rendered inventory (kubespray 2.11's, OpenPAI's `gpu`, and Ansible's implicit ones). */
const INVENTORY_GROUPS: ReadonlySet<string> = new Set([
  'all',
  'ungrouped',
  'kube-master',
  'kube-node',
  'etcd',
  'k8s-cluster',
  'calico-rr',
  'gpu',
]);

/** OpenPAI's layout rules (validate_layout_schema.py) and the host-naming rules kubespray and Kubernetes enforce. */
export function checkLayout(input: ClusterSpec, sink: FindingSink): void {
  checkMachineNames(input, sink);
  checkAddresses(input, sink);
  checkMachineTypes(input, sink);
  checkRoles(input, sink);
  checkSkus(input, sink);
  checkKubernetesUrls(input, sink);
  checkDeviceTypesPerScheduler(input, sink);
}

function checkMachineNames({ layout }: ClusterSpec, sink: FindingSink): void {
  const seen = new Map<string, Machine>();
  for (const machine of layout.machines) {
    const name = machine.hostname;
    if (name === '') continue;
    const target = { file: 'layout' as const, path: ['machine-list', machine.index, 'hostname'] };
    const first = seen.get(name);
    if (first) {
      sink.error(
        'duplicate-hostname',
        target,
        `hostname ${quote(name)} is already used by machine-list[${first.index}]`,
        'Every machine needs its own hostname; it becomes its Kubernetes node name.',
      );
    } else {
      seen.set(name, machine);
    }
    const tooLong = name.split('.').find((label) => label.length > 63);
    if (tooLong !== undefined) {
      sink.error(
        'label-too-long',
        target,
        `the label ${quote(tooLong)} of ${quote(name)} has ${tooLong.length} characters; DNS labels hold at most 63`,
        'Shorten the hostname: each dot-separated part may have at most 63 characters.',
      );
    } else if (name.length > 253) {
      sink.error(
        'label-too-long',
        target,
        `hostname ${quote(name.slice(0, 40) + '...')} has ${name.length} characters; at most 253 are allowed`,
        'Shorten the hostname to at most 253 characters.',
      );
    }
    if (!HOSTNAME_PATTERN.test(name)) {
      const fixed = name
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-')
        .replace(/^[-.]+|[-.]+$/g, '');
      sink.error(
        'invalid-hostname',
        target,
        `${quote(name)} is not a lowercase RFC 1123 name (kubespray 2.11 rejects it)`,
        `Use lowercase letters, digits, "-" and "." only, starting and ending with a letter or digit${HOSTNAME_PATTERN.test(fixed) && fixed !== '' ? `, e.g. ${quote(fixed)}` : ''}.`,
      );
    }
    if (INVENTORY_GROUPS.has(name)) {
      // Ansible resolves a pattern to a group before a host: `--limit etcd` (and kubespray's `hosts: etcd`) would
      // pick that group, never the machine; and the machine's hostvars would shadow the group's.
      sink.error(
        'hostname-is-group',
        target,
        `${quote(name)} is the name of an Ansible inventory group kubespray uses`,
        `Rename the machine: ${[...INVENTORY_GROUPS].join(', ')} name groups in hosts.yml.`,
      );
    }
    if (name === 'bastion') {
      sink.error(
        'reserved-hostname',
        target,
        '"bastion" is reserved: kubespray 2.11 turns a host of that name into an SSH jump host for every other host',
        'Rename the machine.',
      );
    }
  }
}

function checkAddresses({ layout }: ClusterSpec, sink: FindingSink): void {
  const seen = new Map<string, Machine>();
  for (const machine of layout.machines) {
    if (machine.ip === '') continue;
    const target = { file: 'layout' as const, path: ['machine-list', machine.index, 'hostip'] };
    const ip = parseIpv4(machine.ip);
    if (!ip) {
      const v6 = parseIpv6(machine.ip);
      sink.error(
        'invalid-ip',
        target,
        v6
          ? `${quote(machine.ip)} is an IPv6 address; OpenPAI and kubespray 2.11 need the machine's IPv4 address`
          : `${quote(machine.ip)} is not an IPv4 address`,
        'Write the address as four numbers 0-255 without leading zeros, e.g. 10.0.0.11.',
      );
      continue;
    }
    const unusable = unusableHostAddress(ip);
    if (unusable) {
      sink.error(
        'unusable-ip',
        target,
        `${quote(machine.ip)} is ${unusable}; other machines cannot reach it`,
        'Use the address of the machine on the network the cluster machines share.',
      );
    }
    const first = seen.get(machine.ip);
    if (first) {
      sink.error(
        'duplicate-ip',
        target,
        `hostip ${quote(machine.ip)} is already used by machine-list[${first.index}] (${first.hostname || 'unnamed'})`,
        'Every machine needs its own address; fix the copy-paste or remove the duplicate machine.',
      );
    } else {
      seen.set(machine.ip, machine);
    }
  }
}

function checkMachineTypes({ layout }: ClusterSpec, sink: FindingSink): void {
  for (const machine of layout.machines) {
    if (machine.machineType === '' || layout.skus.has(machine.machineType)) continue;
    const suggestion = didYouMean(machine.machineType, layout.skus.keys());
    const defined = [...layout.skus.keys()];
    sink.error(
      'undefined-machine-type',
      { file: 'layout', path: ['machine-list', machine.index, 'machine-type'] },
      `machine-type ${quote(machine.machineType)} is not defined under machine-sku${suggestion ? `; did you mean ${quote(suggestion)}?` : ''}`,
      defined.length > 0
        ? `Use one of: ${defined.join(', ')}; or add a machine-sku entry named ${quote(machine.machineType)}.`
        : `Add a machine-sku entry named ${quote(machine.machineType)}.`,
    );
  }
  const used = new Set(layout.machines.map((machine) => machine.machineType));
  for (const name of layout.skus.keys()) {
    if (!used.has(name)) {
      sink.warning(
        'unused-sku',
        { file: 'layout', path: ['machine-sku', name], part: 'key' },
        `machine-sku ${quote(name)} is used by no machine`,
        'Remove it, or set machine-type on the machines it describes.',
      );
    }
  }
}

function checkRoles({ layout }: ClusterSpec, sink: FindingSink): void {
  const masterMachines = layout.machines.filter((machine) => machine.master);
  if (layout.machines.length > 0 && masterMachines.length === 0) {
    sink.error(
      'no-master',
      { file: 'layout', path: ['machine-list'], part: 'key' },
      'no machine has pai-master: "true"',
      'Mark exactly one machine with pai-master: "true"; it runs Kubernetes\' control plane and OpenPAI\'s services.',
    );
  }
  for (const extra of masterMachines.slice(1)) {
    sink.error(
      'multiple-masters',
      { file: 'layout', path: ['machine-list', extra.index, 'pai-master'] },
      `${quote(extra.hostname)} is a second pai-master (the first is ${quote(masterMachines[0]?.hostname ?? '')}); OpenPAI runs exactly one`,
      'Remove pai-master from all machines but one; make the others workers.',
    );
  }
  if (layout.machines.length > 0 && !layout.machines.some((machine) => machine.worker)) {
    sink.error(
      'no-worker',
      { file: 'layout', path: ['machine-list'], part: 'key' },
      'no machine has pai-worker: "true"',
      'Mark at least one machine other than the master with pai-worker: "true".',
    );
  }
  for (const machine of layout.machines) {
    if (!machine.master && !machine.worker && !machine.storage) {
      // OpenPAI's hosts.yml template leaves such a machine out of every group; kubespray would never touch it.
      sink.warning(
        'machine-without-role',
        { file: 'layout', path: ['machine-list', machine.index], part: 'key' },
        `${quote(machine.hostname)} has no role (neither pai-master, pai-worker nor pai-storage): it will not join the cluster`,
        'Add pai-worker: "true" to make it a worker, or remove it from machine-list.',
      );
    }
    if (machine.master && machine.worker) {
      sink.error(
        'master-is-worker',
        { file: 'layout', path: ['machine-list', machine.index, 'pai-worker'] },
        `${quote(machine.hostname)} is both pai-master and pai-worker`,
        'OpenPAI does not run jobs on the master: remove pai-worker from it and add a separate worker.',
      );
    }
  }
}

/** layout.yaml's kubernetes section: OpenPAI's services and webportal link to these two URLs. */
function checkKubernetesUrls({ layout }: ClusterSpec, sink: FindingSink): void {
  if (!layout.kubernetes) return;
  const urls = [
    ['api-servers-url', layout.kubernetes.apiServersUrl, 'https://10.0.0.1:6443'],
    ['dashboard-url', layout.kubernetes.dashboardUrl, 'https://10.0.0.1:9090'],
  ] as const;
  for (const [key, value, example] of urls) {
    if (isHttpUrl(value)) continue;
    sink.error(
      'invalid-url',
      { file: 'layout', path: ['kubernetes', key] },
      value === '' ? 'the URL is empty' : `${quote(value)} is not an http(s) URL`,
      `Write a URL such as ${example}, or remove the kubernetes section to use the default.`,
    );
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function checkSkus({ layout }: ClusterSpec, sink: FindingSink): void {
  for (const sku of layout.skus.values()) {
    const target = { file: 'layout' as const, path: ['machine-sku', sku.name, 'mem'] };
    if (sku.memGiven && sku.mem === '') {
      sink.error(
        'invalid-quantity',
        target,
        'the memory is an empty string',
        'Write the memory with a unit, e.g. mem: "64Gi".',
      );
    }
    if (sku.mem !== '') {
      const bytes = parseQuantity(sku.mem);
      if (bytes !== undefined && (!Number.isFinite(bytes) || bytes > MAX_MACHINE_MEMORY)) {
        sink.error(
          'invalid-quantity',
          target,
          `${quote(sku.mem)} is more memory than any machine has (over 64 Ti)`,
          'Write the memory of one machine of this SKU with a unit, e.g. "512Gi".',
        );
      } else if (bytes === undefined) {
        sink.error(
          'invalid-quantity',
          target,
          `${quote(sku.mem)} is not a Kubernetes quantity`,
          'Write memory like "60Gi", "512Mi" or "64G" (binary Ki/Mi/Gi/Ti or decimal k/M/G/T suffixes).',
        );
      } else if (bytes < 2 ** 20) {
        sink.error(
          'invalid-quantity',
          target,
          `${quote(sku.mem)} is ${bytes <= 0 ? 'not a positive amount' : 'less than one MiB'}; a unit is probably missing`,
          `Write the memory with a unit, e.g. "${sku.mem.replace(/[^0-9.]/g, '') || '64'}Gi".`,
        );
      }
    }
    const device = sku.device;
    if (device && device.type !== '' && !DEVICE_TYPE_PATTERN.test(device.type)) {
      sink.error(
        'invalid-device-type',
        { file: 'layout', path: ['machine-sku', sku.name, 'computing-device', 'type'] },
        `${quote(device.type)} is not a vendor/resource name`,
        'Use the resource name the device plugin registers, e.g. nvidia.com/gpu, amd.com/gpu or enflame.com/dtu.',
      );
    }
  }
}

function checkDeviceTypesPerScheduler({ layout, config }: ClusterSpec, sink: FindingSink): void {
  if (config.hivedScheduler) return;
  const typeOwners = new Map<string, Machine>();
  for (const machine of layout.machines) {
    if (!machine.worker) continue;
    const type = layout.skus.get(machine.machineType)?.device?.type;
    if (!type) continue;
    if (typeOwners.size >= 1 && !typeOwners.has(type)) {
      const [otherType, owner] = [...typeOwners.entries()][0] ?? ['', machine];
      sink.error(
        'multiple-device-types',
        { file: 'layout', path: ['machine-list', machine.index, 'machine-type'] },
        `worker ${quote(machine.hostname)} has ${quote(type)} devices but ${quote(owner.hostname)} has ${quote(otherType)}; Kubernetes' default scheduler (enable_hived_scheduler: false) supports one device type among workers`,
        'Set enable_hived_scheduler: true in config.yaml, or give all workers the same computing-device type.',
      );
    }
    if (!typeOwners.has(type)) typeOwners.set(type, machine);
  }
}
