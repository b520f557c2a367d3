import { quote } from '../findings/finding.js';
import { isTemplated, type EffectiveVars } from '../kubespray/effective-vars.js';
import {
  calicoctlChecksummedVersions,
  checksummedKubeVersions,
  crictlChecksummedVersions,
  enums,
  etcdChecksummedVersion,
  strictBooleanVars,
  ubuntuDockerVersionKeys,
} from '../kubespray/release-2.11.js';
import type { KubesprayGroups } from '../kubespray/groups.js';
import type { FindingSink } from '../findings/sink.js';
import { provenance, varTarget } from './var-target.js';

/**
 * Every kubespray release-2.11 pre-deploy assertion that can be decided offline
 * (kubespray-2.11-assertions.tsv), evaluated on the effective variables.
 */
export function checkKubesprayVars(vars: EffectiveVars, sink: FindingSink): void {
  checkEnums(vars, sink);
  checkStrictBooleans(vars, sink);
  checkVersions(vars, sink);
  checkPodsPerNode(vars, sink);
  checkRbac(vars, sink);
  checkEtcdKubeadm(vars, sink);
  checkCalicoSettings(vars, sink);
  checkDockerDns(vars, sink);
  checkAnsible29Traps(vars, sink);
}

/** Group-level assertions, on the inventory pai-deploy renders from the layout. */
export function checkKubesprayGroups(groups: KubesprayGroups, vars: EffectiveVars, sink: FindingSink): void {
  const layoutTarget = { file: 'layout' as const, path: ['machine-list'], part: 'key' as const };
  for (const group of ['kube-master', 'kube-node', 'etcd'] as const) {
    if (groups[group].length === 0) {
      sink.error(
        'kubespray-empty-group',
        layoutTarget,
        `kubespray group ${group} would be empty`,
        group === 'kube-node' ? 'Add a machine with pai-worker: "true".' : 'Mark one machine with pai-master: "true".',
      );
    }
  }
  if (groups.etcd.length > 0 && groups.etcd.length % 2 === 0) {
    sink.error(
      'etcd-even',
      layoutTarget,
      `the etcd group has ${groups.etcd.length} members; kubespray 2.11 requires an odd number`,
      'Use 1, 3 or 5 etcd members.',
    );
  }
  const calicoRr = groups['calico-rr'];
  if (vars.value('kube_network_plugin') === 'calico' && calicoRr.length > 0) {
    if (vars.value('cluster_id') === undefined) {
      sink.error(
        'calico-rr-cluster-id',
        varTarget(vars, 'cluster_id'),
        'calico-rr hosts are set but cluster_id is not',
        'Set cluster_id (e.g. "1.0.0.1") in openpai_kubespray_extra_var.',
      );
    }
    const inCluster = new Set([...groups['kube-master'], ...groups['kube-node']]);
    for (const host of calicoRr) {
      if (!inCluster.has(host)) {
        sink.error(
          'calico-rr-outside-cluster',
          layoutTarget,
          `calico-rr host ${quote(host)} is not in k8s-cluster`,
          'Every calico route reflector must also be a master or a node.',
        );
      }
    }
  }
}

function stringValue(vars: EffectiveVars, name: string): string | undefined {
  const value = vars.value(name);
  if (value === undefined || value === null || isTemplated(value)) return undefined;
  return String(value);
}

function checkEnums(vars: EffectiveVars, sink: FindingSink): void {
  const always = [
    'kube_network_plugin',
    'dns_mode',
    'kube_proxy_mode',
    'resolvconf_mode',
    'container_manager',
    'etcd_deployment_type',
  ] as const;
  for (const name of [...always, 'cloud_provider'] as const) {
    const value = stringValue(vars, name);
    if (value === undefined) continue;
    const allowed: readonly string[] = enums[name];
    if (!allowed.includes(value)) {
      sink.error(
        `invalid-${name.replace(/_/g, '-')}`,
        varTarget(vars, name),
        `${name} is ${quote(value)} (${provenance(vars, name)}); kubespray 2.11 accepts ${allowed.join(', ')}`,
        name === 'dns_mode' && value === 'kubedns'
          ? 'kubedns was removed in kubespray 2.11: use coredns.'
          : `Set ${name} to one of: ${allowed.join(', ')}.`,
      );
    }
  }
  const certManagement = stringValue(vars, 'cert_management');
  if (certManagement !== undefined && !(enums.cert_management as readonly string[]).includes(certManagement)) {
    sink.error(
      'invalid-cert-management',
      varTarget(vars, 'cert_management'),
      `cert_management is ${quote(certManagement)}; kubespray 2.11 accepts script or none`,
      certManagement === 'vault'
        ? 'Support for vault was removed in 2.11: use script.'
        : 'Set cert_management to script or none.',
    );
  }
  if (vars.value('cloud_provider') === 'azure' && vars.value('kube_network_plugin') === 'calico') {
    sink.error(
      'azure-calico',
      varTarget(vars, 'kube_network_plugin', 'cloud_provider'),
      'calico does not work on Azure (cloud_provider: azure)',
      'Set openpai_kube_network_plugin: weave in config.yaml.',
    );
  }
}

function checkStrictBooleans(vars: EffectiveVars, sink: FindingSink): void {
  for (const name of strictBooleanVars) {
    const value = vars.value(name);
    if (typeof value !== 'boolean' && !isTemplated(value)) {
      sink.error(
        'not-a-boolean',
        varTarget(vars, name),
        `${name} is ${quote(value)}, but kubespray 2.11 asserts it is a real boolean`,
        `Write ${name}: ${String(value).toLowerCase() === 'true' ? 'true' : 'false'} without quotes.`,
      );
    }
  }
}

function checkVersions(vars: EffectiveVars, sink: FindingSink): void {
  const kubeVersion = stringValue(vars, 'kube_version');
  if (kubeVersion !== undefined) {
    const minimum = stringValue(vars, 'kube_version_min_required') ?? 'v1.14.0';
    if (compareVersions(kubeVersion, minimum) < 0) {
      sink.error(
        'kube-version-too-old',
        varTarget(vars, 'kube_version'),
        `kube_version ${quote(kubeVersion)} is below ${minimum}, the oldest kubespray 2.11 supports`,
        'Use v1.15.11 (the release-2.11 default).',
      );
    }
    const customChecksums =
      vars.value('hyperkube_binary_checksum') !== undefined && vars.value('kubeadm_binary_checksum') !== undefined;
    if (!customChecksums && !checksummedKubeVersions.includes(kubeVersion)) {
      sink.error(
        'kube-version-unsupported',
        varTarget(vars, 'kube_version'),
        `kube_version ${quote(kubeVersion)} has no download checksum in kubespray 2.11 (it knows v1.14.0-v1.14.5 and v1.15.0-v1.15.11)`,
        'Use v1.15.11, or also set hyperkube_binary_checksum and kubeadm_binary_checksum.',
      );
    }
    const kubeadmVersion = stringValue(vars, 'kubeadm_version');
    if (
      kubeadmVersion !== undefined &&
      vars.value('kubeadm_binary_checksum') === undefined &&
      !checksummedKubeVersions.includes(kubeadmVersion)
    ) {
      sink.error(
        'kube-version-unsupported',
        varTarget(vars, 'kubeadm_version'),
        `kubeadm_version ${quote(kubeadmVersion)} has no download checksum in kubespray 2.11`,
        'Remove kubeadm_version (it follows kube_version) or set kubeadm_binary_checksum.',
      );
    }
  }
  const dockerVersion = stringValue(vars, 'docker_version');
  if (
    dockerVersion !== undefined &&
    vars.value('container_manager') === 'docker' &&
    !ubuntuDockerVersionKeys.includes(dockerVersion)
  ) {
    sink.error(
      'docker-version-unavailable',
      varTarget(vars, 'docker_version'),
      `docker_version ${quote(dockerVersion)} is not a version kubespray 2.11 can install on Ubuntu (${ubuntuDockerVersionKeys.join(', ')})`,
      dockerVersion.startsWith('19')
        ? '19.03 arrived in a later kubespray; use "18.09".'
        : 'Use "18.09", the 2.11 default, quoted so YAML keeps it a string.',
    );
  }
  if (vars.value('kube_network_plugin') === 'calico') {
    const calico = stringValue(vars, 'calico_version');
    if (calico !== undefined && compareVersions(calico, 'v3.0.0') < 0) {
      sink.error(
        'calico-version-too-old',
        varTarget(vars, 'calico_version'),
        `calico_version ${quote(calico)} is below v3.0.0`,
        'Use v3.7.3 (the release-2.11 default).',
      );
    }
    const calicoctl = stringValue(vars, 'calico_ctl_version');
    if (
      calicoctl !== undefined &&
      vars.value('calicoctl_binary_checksum') === undefined &&
      !calicoctlChecksummedVersions.includes(calicoctl)
    ) {
      sink.error(
        'calicoctl-version-unsupported',
        varTarget(vars, 'calico_ctl_version', 'calico_version'),
        `calico_ctl_version ${quote(calicoctl)} has no checksum in kubespray 2.11 (${calicoctlChecksummedVersions.join(', ')})`,
        'Use one of those versions or set calicoctl_binary_checksum.',
      );
    }
  }
  const manager = stringValue(vars, 'container_manager');
  const crictl = stringValue(vars, 'crictl_version');
  if (
    (manager === 'crio' || manager === 'containerd') &&
    crictl !== undefined &&
    !crictlChecksummedVersions.includes(crictl)
  ) {
    sink.error(
      'crictl-version-unsupported',
      varTarget(vars, 'crictl_version'),
      `crictl_version ${quote(crictl)} has no checksum in kubespray 2.11 (${crictlChecksummedVersions.join(', ')})`,
      'Use one of those versions.',
    );
  }
  const etcdVersion = stringValue(vars, 'etcd_version');
  const etcdBinary = vars.value('etcd_deployment_type') === 'host' || vars.value('etcd_kubeadm_enabled') === true;
  if (
    etcdBinary &&
    etcdVersion !== undefined &&
    etcdVersion !== etcdChecksummedVersion &&
    vars.value('etcd_binary_checksum') === undefined
  ) {
    sink.error(
      'etcd-version-unsupported',
      varTarget(vars, 'etcd_version'),
      `etcd_version ${quote(etcdVersion)} has no binary checksum in kubespray 2.11 (only ${etcdChecksummedVersion})`,
      `Use ${etcdChecksummedVersion} or set etcd_binary_checksum.`,
    );
  }
}

function checkPodsPerNode(vars: EffectiveVars, sink: FindingSink): void {
  const prefix = vars.value('kube_network_node_prefix');
  const maxPodsValue = vars.value('kubelet_max_pods') ?? 110;
  if (isTemplated(prefix) || isTemplated(maxPodsValue)) return;
  const prefixNumber = Number(prefix);
  const maxPods = Number(maxPodsValue);
  if (!Number.isInteger(prefixNumber) || prefixNumber < 1 || prefixNumber > 32) {
    sink.error(
      'invalid-node-prefix',
      varTarget(vars, 'kube_network_node_prefix'),
      `kube_network_node_prefix is ${quote(prefix)}, not a prefix length 1-32`,
      'Use a number such as 24 or 25.',
    );
    return;
  }
  if (!Number.isInteger(maxPods) || maxPods < 1) {
    sink.error(
      'invalid-max-pods',
      varTarget(vars, 'kubelet_max_pods'),
      `kubelet_max_pods is ${quote(maxPodsValue)}, not a positive whole number`,
      'Use a number such as 110.',
    );
    return;
  }
  const addresses = 2 ** (32 - prefixNumber) - 2;
  if (maxPods > addresses) {
    sink.error(
      'too-many-pods-per-node',
      varTarget(vars, 'kubelet_max_pods', 'kube_network_node_prefix'),
      `kubelet_max_pods ${maxPods} (${provenance(vars, 'kubelet_max_pods')}) exceeds the ${addresses} pod addresses a /${prefixNumber} node subnet holds (kube_network_node_prefix, ${provenance(vars, 'kube_network_node_prefix')})`,
      `Lower kubelet_max_pods to at most ${addresses}, or lower kube_network_node_prefix to ${Math.max(1, 32 - Math.ceil(Math.log2(maxPods + 2)))}.`,
    );
  }
}

function checkRbac(vars: EffectiveVars, sink: FindingSink): void {
  const modes = vars.value('authorization_modes');
  if (isTemplated(modes)) return;
  const rbac = Array.isArray(modes) && modes.includes('RBAC');
  if (vars.value('dashboard_enabled') === true && !rbac) {
    sink.error(
      'dashboard-needs-rbac',
      varTarget(vars, 'authorization_modes', 'dashboard_enabled'),
      'dashboard_enabled is true but authorization_modes has no RBAC',
      'Keep RBAC in authorization_modes or set dashboard_enabled: false.',
    );
  }
  if (vars.value('cloud_provider') === 'oci' && !rbac) {
    sink.error(
      'oci-needs-rbac',
      varTarget(vars, 'authorization_modes', 'cloud_provider'),
      'cloud_provider oci requires RBAC in authorization_modes',
      "Add 'RBAC' to authorization_modes.",
    );
  }
  if (
    Number(vars.value('kube_apiserver_insecure_port')) === 0 &&
    (!rbac || vars.value('kube_api_anonymous_auth') !== true)
  ) {
    sink.error(
      'insecure-port-needs-rbac',
      varTarget(vars, 'authorization_modes', 'kube_api_anonymous_auth', 'kube_apiserver_insecure_port'),
      'with kube_apiserver_insecure_port 0 kubespray 2.11 requires RBAC in authorization_modes and kube_api_anonymous_auth: true',
      "Keep authorization_modes ['Node', 'RBAC'] and kube_api_anonymous_auth: true.",
    );
  }
}

function checkEtcdKubeadm(vars: EffectiveVars, sink: FindingSink): void {
  if (vars.value('etcd_kubeadm_enabled') !== true) return;
  const kubeVersion = stringValue(vars, 'kube_version');
  if (kubeVersion !== undefined && compareVersions(kubeVersion, 'v1.14.0') < 0) {
    sink.error(
      'kubeadm-etcd-version',
      varTarget(vars, 'kube_version', 'etcd_kubeadm_enabled'),
      'kubeadm-managed etcd requires kube_version >= v1.14.0',
      'Use v1.15.11 or set etcd_kubeadm_enabled: false.',
    );
  }
  if (vars.value('kubeadm_control_plane') !== true) {
    sink.error(
      'kubeadm-etcd-needs-control-plane',
      varTarget(vars, 'etcd_kubeadm_enabled', 'kubeadm_control_plane'),
      'etcd_kubeadm_enabled requires kubeadm_control_plane: true',
      'Set kubeadm_control_plane: true, or etcd_kubeadm_enabled: false.',
    );
  }
}

function checkCalicoSettings(vars: EffectiveVars, sink: FindingSink): void {
  if (vars.value('kube_network_plugin') !== 'calico') return;
  const pool = stringValue(vars, 'calico_pool_name');
  if (pool !== undefined && !/^[a-zA-Z0-9-_.]{2,63}$/.test(pool)) {
    sink.error(
      'invalid-calico-pool-name',
      varTarget(vars, 'calico_pool_name'),
      `calico_pool_name ${quote(pool)} must be 2-63 letters, digits, "-", "_" or "."`,
      'Use a name such as default-pool.',
    );
  }
  const ipipMode = vars.get('ipip_mode')
    ? stringValue(vars, 'ipip_mode')
    : vars.value('ipip') === false
      ? 'Never'
      : 'Always';
  if (ipipMode !== undefined && !(enums.ipip_mode as readonly string[]).includes(ipipMode)) {
    sink.error(
      'invalid-ipip-mode',
      varTarget(vars, 'ipip_mode'),
      `ipip_mode ${quote(ipipMode)} is not Always, CrossSubnet or Never`,
      'Use Always, CrossSubnet or Never.',
    );
  }
}

function checkDockerDns(vars: EffectiveVars, sink: FindingSink): void {
  if (vars.value('resolvconf_mode') !== 'docker_dns' || vars.value('container_manager') !== 'docker') return;
  const domain = stringValue(vars, 'dns_domain') ?? 'cluster.local';
  const search = vars.value('searchdomains');
  const userDomains = Array.isArray(search) ? search.map(String) : [];
  const domains = [`default.svc.${domain}`, `svc.${domain}`, ...userDomains];
  if (domains.length > 6) {
    sink.error(
      'too-many-search-domains',
      varTarget(vars, 'searchdomains'),
      `docker would get ${domains.length} search domains (2 for the cluster + ${userDomains.length} from searchdomains); kubespray 2.11 allows 6, before the hosts' own are added`,
      `Keep at most 4 entries in searchdomains.`,
    );
  } else if (domains.join(' ').length > 256) {
    sink.error(
      'search-domains-too-long',
      varTarget(vars, 'searchdomains', 'dns_domain'),
      `the search domains join to ${domains.join(' ').length} characters; kubespray 2.11 allows 256`,
      'Shorten or remove entries of searchdomains.',
    );
  }
  if (vars.value('docker_dns_servers_strict') === true) {
    const upstream = vars.value('upstream_dns_servers');
    const count = 1 + (Array.isArray(upstream) ? upstream.length : 0);
    if (count > 3) {
      sink.error(
        'too-many-nameservers',
        varTarget(vars, 'upstream_dns_servers', 'docker_dns_servers_strict'),
        `docker would get ${count} nameservers (cluster DNS + upstream_dns_servers) with docker_dns_servers_strict on; the limit is 3`,
        'Set docker_dns_servers_strict: false or list at most 2 upstream_dns_servers.',
      );
    } else {
      sink.warning(
        'strict-nameservers',
        varTarget(vars, 'docker_dns_servers_strict'),
        'docker_dns_servers_strict is true: kubespray fails on any machine whose /etc/resolv.conf adds more than ' +
          String(3 - count) +
          ' nameservers',
        'Leave docker_dns_servers_strict out; pai-deploy sets it to false.',
      );
    }
  }
}

function checkAnsible29Traps(vars: EffectiveVars, sink: FindingSink): void {
  if (vars.value('download_force_cache') === true) {
    sink.warning(
      'ansible-2.9-incompatible',
      varTarget(vars, 'download_force_cache'),
      'download_force_cache: true runs a kubespray 2.11 task that fails with Ansible 2.9 or newer ("| failed" test used as a filter)',
      'Leave download_force_cache off, or run kubespray with Ansible 2.7.',
    );
  }
  if (vars.value('kube_network_plugin_multus') === true) {
    sink.warning(
      'ansible-2.9-incompatible',
      varTarget(vars, 'kube_network_plugin_multus'),
      'kube_network_plugin_multus: true runs a kubespray 2.11 task that fails with Ansible 2.9 or newer ("| skipped" used as a filter)',
      'Leave multus off, or run kubespray with Ansible 2.7.',
    );
  }
  if (vars.isUserSet('kubeadm_certificate_key') && vars.value('kubeadm_certificate_key') === null) {
    sink.error(
      'ansible-2.9-incompatible',
      varTarget(vars, 'kubeadm_certificate_key'),
      'kubeadm_certificate_key is empty; kubespray 2.11 then computes it with a filter Ansible 2.9+ lacks',
      'Remove kubeadm_certificate_key from openpai_kubespray_extra_var; pai-deploy sets it.',
    );
  }
}

/** Compares "v1.15.11"-style versions numerically; non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const parse = (text: string): number[] =>
    text
      .replace(/^v/, '')
      .split(/[.+-]/)
      .map((part) => Number.parseInt(part, 10) || 0);
  const left = parse(a);
  const right = parse(b);
  for (let i = 0; i < Math.max(left.length, right.length, 3); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
