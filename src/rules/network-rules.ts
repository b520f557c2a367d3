import type { Layout } from '../model/cluster.js';
import { quote } from '../findings/finding.js';
import { isTemplated, type EffectiveVars } from '../kubespray/effective-vars.js';
import {
  cidrContains,
  cidrContainsIp,
  cidrsOverlap,
  formatCidr,
  isNetworkRange,
  parseCidr,
  parseIpv4,
  type Cidr,
} from '../net/ip.js';
import type { FindingSink } from '../findings/sink.js';
import { provenance, varTarget } from './var-target.js';

const RANGES = [
  ['kube_service_addresses', 'service'],
  ['kube_pods_subnet', 'pod'],
] as const;

/**
 * kubespray's CIDR assertions (valid network ranges, pods not inside services, calico pool inside pods) plus what it
 * misses: any overlap of the two ranges, and machine addresses inside them (traffic to such a machine would be routed
 * into the cluster network).
 */
export function checkNetworks(layout: Layout, vars: EffectiveVars, sink: FindingSink): void {
  const parsed = new Map<string, Cidr>();
  for (const [name, kind] of RANGES) {
    const value = vars.value(name);
    if (isTemplated(value)) continue;
    const cidr = typeof value === 'string' ? parseCidr(value) : undefined;
    if (!cidr || !isNetworkRange(cidr)) {
      const suggestion = cidr && cidr.prefix < (cidr.family === 4 ? 32 : 128) ? `, e.g. ${formatCidr(cidr)}` : '';
      sink.error(
        'invalid-cidr',
        varTarget(vars, name),
        `${name} ${quote(value)} (${provenance(vars, name)}) is not a network range: it must be address/prefix with no host bits set and more than one address`,
        `Write the ${kind} range as a network${suggestion || ', e.g. 10.192.0.0/13'}.`,
      );
      continue;
    }
    parsed.set(name, cidr);
  }
  const services = parsed.get('kube_service_addresses');
  const pods = parsed.get('kube_pods_subnet');
  if (services && pods) {
    if (cidrContains(services, pods)) {
      sink.error(
        'pod-cidr-in-service-cidr',
        varTarget(vars, 'kube_pods_subnet', 'kube_service_addresses'),
        `kube_pods_subnet ${formatCidr(pods)} lies within kube_service_addresses ${formatCidr(services)}`,
        'Give pods and services separate ranges, e.g. pods 10.200.0.0/13 and services 10.192.0.0/13.',
      );
    } else if (cidrsOverlap(services, pods)) {
      sink.error(
        'cidr-overlap',
        varTarget(vars, 'kube_service_addresses', 'kube_pods_subnet'),
        `kube_service_addresses ${formatCidr(services)} overlaps kube_pods_subnet ${formatCidr(pods)}; kubespray accepts it, but service and pod addresses would collide`,
        'Choose ranges that do not overlap at all, e.g. services 10.192.0.0/13 and pods 10.200.0.0/13.',
      );
    }
  }
  const pool = vars.value('calico_pool_cidr');
  if (pods && typeof pool === 'string' && !isTemplated(pool) && vars.value('kube_network_plugin') === 'calico') {
    const poolCidr = parseCidr(pool);
    if (!poolCidr || !cidrContains(pods, poolCidr)) {
      sink.error(
        'calico-pool-outside-pods',
        varTarget(vars, 'calico_pool_cidr'),
        `calico_pool_cidr ${quote(pool)} is not within kube_pods_subnet ${formatCidr(pods)}`,
        'Remove calico_pool_cidr (it defaults to kube_pods_subnet) or pick a range inside it.',
      );
    }
  }
  for (const machine of layout.machines) {
    const ip = parseIpv4(machine.ip);
    if (!ip) continue;
    for (const [name, kind] of RANGES) {
      const cidr = parsed.get(name);
      if (cidr && cidrContainsIp(cidr, ip)) {
        sink.error(
          'machine-ip-in-cluster-cidr',
          { file: 'layout', path: ['machine-list', machine.index, 'hostip'] },
          `${quote(machine.ip)} of ${quote(machine.hostname)} lies inside the ${kind} range ${name} ${formatCidr(cidr)} (${provenance(vars, name)})`,
          `Move ${name} to a range no machine uses (set it in openpai_kubespray_extra_var), or fix the address.`,
        );
      }
    }
  }
}
