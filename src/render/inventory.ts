import { inventoryOrder, kubesprayGroups } from '../kubespray/groups.js';
import type { ClusterSpec } from '../model/cluster.js';
import { emitYaml, type PlainValue } from './yaml-emit.js';

/** hosts.yml for kubespray release-2.11. Login settings but never a password: those reach Ansible at run time only. */
export function renderHostsYml(input: ClusterSpec): string {
  const groups = kubesprayGroups(input.layout);
  const hosts: Record<string, Record<string, string>> = {};
  for (const machine of inventoryOrder(input.layout)) {
    hosts[machine.hostname] = { ansible_host: machine.ip, ip: machine.ip, access_ip: machine.ip };
  }
  const ssh = input.config.ssh;
  const vars: Record<string, PlainValue> = { ansible_user: ssh.user };
  if (ssh.portSet) vars['ansible_port'] = ssh.port;
  if (ssh.keyFile) vars['ansible_ssh_private_key_file'] = ssh.keyFile.path;
  const members = (names: string[]) => Object.fromEntries(names.map((name) => [name, null]));
  const children: Record<string, PlainValue> = {
    'kube-master': { hosts: members(groups['kube-master']) },
    'kube-node': { hosts: members(groups['kube-node']) },
    etcd: { hosts: members(groups.etcd) },
    'k8s-cluster': { children: { 'kube-master': null, 'kube-node': null } },
    'calico-rr': { hosts: members(groups['calico-rr']) },
    gpu: { hosts: members(groups.gpu) },
  };
  for (const [group, names] of [...groups.devices.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    children[group] = { hosts: members(names) };
  }
  const header =
    '# kubespray release-2.11 inventory, rendered by pai-deploy from layout.yaml and config.yaml; do not edit.\n' +
    '# Passwords are never written here: pai-deploy hands them to Ansible at run time.\n';
  return header + emitYaml({ all: { vars, hosts, children } });
}
