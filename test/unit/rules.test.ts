import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allFindings,
  baseConfig,
  baseLayout,
  codes,
  extraVars,
  tempDir,
  validate,
  validateEdited,
  type Config,
  type Layout,
} from '../support/fixtures.js';

const dir = tempDir();
const PRIVATE_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n';

function keyFile(name: string, content: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

interface RuleCase {
  code: string;
  severity?: 'error' | 'warning';
  layout?: (layout: Layout) => void;
  config?: (config: Config) => void;
  /** The input file the finding must point into. */
  file?: 'layout' | 'config';
}

const machine = (layout: Layout, index: number) => layout['machine-list'][index] as Record<string, unknown>;
const sku = (layout: Layout, name: string) => layout['machine-sku'][name] as Record<string, unknown>;

const cases: Record<string, RuleCase> = {
  // OpenPAI layout rules
  'duplicate hostname': {
    code: 'duplicate-hostname',
    file: 'layout',
    layout: (l) => {
      machine(l, 2)['hostname'] = 'pai-gpu-01';
    },
  },
  'duplicate IP': {
    code: 'duplicate-ip',
    file: 'layout',
    layout: (l) => {
      machine(l, 3)['hostip'] = '10.0.0.11';
    },
  },
  'undefined machine type': {
    code: 'undefined-machine-type',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['machine-type'] = 'gpu-skuu';
    },
  },
  'no master': {
    code: 'no-master',
    file: 'layout',
    layout: (l) => {
      delete machine(l, 0)['pai-master'];
      machine(l, 0)['pai-worker'] = 'true';
    },
  },
  'two masters': {
    code: 'multiple-masters',
    file: 'layout',
    layout: (l) => {
      delete machine(l, 3)['pai-worker'];
      machine(l, 3)['pai-master'] = 'true';
    },
  },
  'no worker': {
    code: 'no-worker',
    file: 'layout',
    layout: (l) => {
      l['machine-list'] = [machine(l, 0)];
    },
  },
  'master is worker': {
    code: 'master-is-worker',
    file: 'layout',
    layout: (l) => {
      machine(l, 0)['pai-worker'] = 'true';
    },
  },
  'hostname that names an inventory group': {
    code: 'hostname-is-group',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostname'] = 'etcd';
    },
  },
  "hostname that names OpenPAI's gpu group": {
    code: 'hostname-is-group',
    file: 'layout',
    layout: (l) => {
      machine(l, 2)['hostname'] = 'gpu';
    },
  },
  'empty memory': {
    code: 'invalid-quantity',
    file: 'layout',
    layout: (l) => {
      sku(l, 'cpu-sku')['mem'] = '';
    },
  },
  'absurd memory': {
    code: 'invalid-quantity',
    file: 'layout',
    layout: (l) => {
      sku(l, 'cpu-sku')['mem'] = '1e400';
    },
  },
  'api server URL that is not one': {
    code: 'invalid-url',
    file: 'layout',
    layout: (l) => {
      l['kubernetes'] = { 'api-servers-url': 'not a url', 'dashboard-url': 'https://10.0.0.10:9090' };
    },
  },
  'empty dashboard URL': {
    code: 'invalid-url',
    file: 'layout',
    layout: (l) => {
      l['kubernetes'] = { 'api-servers-url': 'https://10.0.0.10:6443', 'dashboard-url': '' };
    },
  },
  'docker config path with a flag in it': {
    code: 'unsafe-command-line-value',
    file: 'config',
    config: (c) => {
      c['docker_config_file_path'] = '/etc/docker/d.json -H tcp://0.0.0.0:2375';
    },
  },
  'kubelet flag value with a space': {
    code: 'unsafe-command-line-value',
    file: 'config',
    config: (c) => {
      c['kubelet_custom_flags'] = { 'node-labels': 'a=1 --anonymous-auth=true' };
    },
  },
  'kubelet flag name with dashes': {
    code: 'unsafe-command-line-value',
    file: 'config',
    config: (c) => {
      c['kubelet_custom_flags'] = { '--max-pods': 200 };
    },
  },
  'machine without a role': {
    code: 'machine-without-role',
    severity: 'warning',
    file: 'layout',
    layout: (l) => {
      delete machine(l, 3)['pai-worker'];
    },
  },
  'two device types without hived': {
    code: 'multiple-device-types',
    file: 'layout',
    layout: (l) => {
      sku(l, 'cpu-sku')['computing-device'] = { type: 'amd.com/gpu', model: 'MI50', count: 2 };
    },
    config: (c) => {
      c['enable_hived_scheduler'] = false;
    },
  },
  'memory as a bare number': {
    code: 'wrong-type',
    file: 'layout',
    layout: (l) => {
      sku(l, 'cpu-sku')['mem'] = 120;
    },
  },
  'memory not a quantity': {
    code: 'invalid-quantity',
    file: 'layout',
    layout: (l) => {
      sku(l, 'cpu-sku')['mem'] = '120 GB';
    },
  },
  'memory without unit': {
    code: 'invalid-quantity',
    file: 'layout',
    layout: (l) => {
      sku(l, 'cpu-sku')['mem'] = '120';
    },
  },
  'device type without vendor': {
    code: 'invalid-device-type',
    file: 'layout',
    layout: (l) => {
      (sku(l, 'gpu-sku')['computing-device'] as Record<string, unknown>)['type'] = 'gpu';
    },
  },
  'role flag neither true nor false': {
    code: 'invalid-flag',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['pai-worker'] = 'yes please';
    },
  },
  // kubespray's hostname rule and naming limits
  'uppercase hostname': {
    code: 'invalid-hostname',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostname'] = 'PAI-GPU-01';
    },
  },
  'underscore in hostname': {
    code: 'invalid-hostname',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostname'] = 'pai_gpu_01';
    },
  },
  'label over 63 characters': {
    code: 'label-too-long',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostname'] = `a${'b'.repeat(63)}.example`;
    },
  },
  'host named bastion': {
    code: 'reserved-hostname',
    file: 'layout',
    layout: (l) => {
      machine(l, 3)['hostname'] = 'bastion';
    },
  },
  // addresses
  'malformed IP': {
    code: 'invalid-ip',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostip'] = '10.0.0.256';
    },
  },
  'IP with leading zero': {
    code: 'invalid-ip',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostip'] = '10.0.0.011';
    },
  },
  'IPv6 address': {
    code: 'invalid-ip',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostip'] = 'fd00::11';
    },
  },
  'loopback IP': {
    code: 'unusable-ip',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostip'] = '127.0.1.1';
    },
  },
  'multicast IP': {
    code: 'unusable-ip',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostip'] = '224.0.0.5';
    },
  },
  'machine IP in the service range': {
    code: 'machine-ip-in-cluster-cidr',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['hostip'] = '10.192.0.7';
    },
  },
  'machine IP in the pod range': {
    code: 'machine-ip-in-cluster-cidr',
    file: 'layout',
    config: (c) => {
      extraVars(c)['kube_pods_subnet'] = '10.0.0.0/16';
    },
  },
  // schema: keys and types
  'unknown layout key': {
    code: 'unknown-key',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['machine_type'] = 'gpu-sku';
    },
  },
  'v1.0 layout key': {
    code: 'unknown-key',
    file: 'layout',
    layout: (l) => {
      machine(l, 1)['nodename'] = 'pai-gpu-01';
    },
  },
  'unknown config key': {
    code: 'unknown-key',
    file: 'config',
    config: (c) => {
      c['ssh_key_path'] = '~/.ssh/id_rsa';
    },
  },
  'missing required config key': {
    code: 'missing-field',
    file: 'config',
    config: (c) => {
      delete c['docker_image_tag'];
    },
  },
  'missing machine field': {
    code: 'missing-field',
    file: 'layout',
    layout: (l) => {
      delete machine(l, 2)['hostip'];
    },
  },
  // OpenPAI's validate_layout_schema.py requires model (informational only); the union type must still say "missing".
  'computing device without a model': {
    code: 'missing-field',
    file: 'layout',
    layout: (l) => {
      delete (sku(l, 'gpu-sku')['computing-device'] as Record<string, unknown>)['model'];
    },
  },
  'empty machine list': {
    code: 'empty-list',
    file: 'layout',
    layout: (l) => {
      l['machine-list'] = [];
    },
  },
  'string where a boolean belongs': {
    code: 'wrong-type',
    file: 'config',
    config: (c) => {
      c['enable_hived_scheduler'] = 'false';
    },
  },
  'value outside an enum': {
    code: 'invalid-value',
    file: 'config',
    config: (c) => {
      c['enable_docker_cache'] = true;
      c['docker_cache_storage_backend'] = 's3';
    },
  },
  'port out of range': {
    code: 'out-of-range',
    file: 'config',
    config: (c) => {
      c['ssh_port'] = 70000;
    },
  },
  'relative docker data root': {
    code: 'invalid-format',
    file: 'config',
    config: (c) => {
      c['docker_data_root'] = 'mnt/docker';
    },
  },
  // config rules
  'obsolete v1.0 key': {
    code: 'obsolete-key',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      c['branch_name'] = 'pai-1.0.y';
    },
  },
  'qos-switch neither true nor false': {
    code: 'invalid-flag',
    file: 'config',
    config: (c) => {
      c['qos-switch'] = 'on';
    },
  },
  'registry user without password': {
    code: 'registry-credentials-incomplete',
    file: 'config',
    config: (c) => {
      c['docker_registry_username'] = 'me';
    },
  },
  'docker cache on azure without account': {
    code: 'docker-cache-incomplete',
    file: 'config',
    config: (c) => {
      c['enable_docker_cache'] = true;
    },
  },
  'host port range reversed': {
    code: 'invalid-port-range',
    file: 'config',
    config: (c) => {
      c['host_daemon_port_start'] = 60000;
      c['host_daemon_port_end'] = 50000;
    },
  },
  'host port range over job ports': {
    code: 'port-range-overlaps-jobs',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      c['host_daemon_port_start'] = 32768;
    },
  },
  'image prefix 2.11 ignores': {
    code: 'no-effect-in-kubespray-2.11',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      c['gcr_image_repo'] = 'mirror.example.com';
    },
  },
  'unknown kubespray variable': {
    code: 'unknown-kubespray-var',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_proxy_mod'] = 'iptables';
    },
  },
  'admin.conf not fetched': {
    code: 'kubeconfig-not-fetched',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      extraVars(c)['kubeconfig_localhost'] = false;
    },
  },
  // SSH
  'no way to log in': {
    code: 'no-ssh-auth',
    file: 'config',
    config: (c) => {
      delete c['password'];
    },
  },
  'missing key file': {
    code: 'ssh-key-missing',
    file: 'config',
    config: (c) => {
      c['ssh_key_file_path'] = join(dir, 'nope', 'id_ed25519');
    },
  },
  'key file readable by others': {
    code: 'ssh-key-permissions',
    file: 'config',
    config: (c) => {
      c['ssh_key_file_path'] = keyFile('open_key', PRIVATE_KEY, 0o644);
    },
  },
  'public key given': {
    code: 'ssh-key-is-public',
    file: 'config',
    config: (c) => {
      c['ssh_key_file_path'] = keyFile('id.pub', 'ssh-ed25519 AAAAC3Nza me@host\n', 0o600);
    },
  },
  'not a key at all': {
    code: 'ssh-key-not-a-key',
    file: 'config',
    config: (c) => {
      c['ssh_key_file_path'] = keyFile('notes.txt', 'hello\n', 0o600);
    },
  },
  'key path is a directory': {
    code: 'ssh-key-not-a-file',
    file: 'config',
    config: (c) => {
      c['ssh_key_file_path'] = dir;
    },
  },
  'key path unreadable (symlink loop)': {
    code: 'ssh-key-unreadable',
    file: 'config',
    config: (c) => {
      const loop = join(dir, `loop-${Math.random().toString(36).slice(2)}`);
      symlinkSync(loop, loop);
      c['ssh_key_file_path'] = loop;
    },
  },
  // networks
  'service range with host bits': {
    code: 'invalid-cidr',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_service_addresses'] = '10.192.0.5/13';
    },
  },
  'pod range not a CIDR': {
    code: 'invalid-cidr',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_pods_subnet'] = '10.200.0.0';
    },
  },
  'single-address range': {
    code: 'invalid-cidr',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_pods_subnet'] = '10.200.0.1/32';
    },
  },
  'pods inside services': {
    code: 'pod-cidr-in-service-cidr',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_pods_subnet'] = '10.193.0.0/16';
    },
  },
  'services inside pods': {
    code: 'cidr-overlap',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_service_addresses'] = '10.201.0.0/16';
    },
  },
  'calico pool outside pods': {
    code: 'calico-pool-outside-pods',
    file: 'config',
    config: (c) => {
      extraVars(c)['calico_pool_cidr'] = '172.16.0.0/16';
    },
  },
  // kubespray 2.11 assertions
  'unknown network plugin': {
    code: 'invalid-kube-network-plugin',
    file: 'config',
    config: (c) => {
      c['openpai_kube_network_plugin'] = 'calico3';
    },
  },
  kubedns: {
    code: 'invalid-dns-mode',
    file: 'config',
    config: (c) => {
      extraVars(c)['dns_mode'] = 'kubedns';
    },
  },
  'proxy mode': {
    code: 'invalid-kube-proxy-mode',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_proxy_mode'] = 'userspace';
    },
  },
  'resolvconf mode': {
    code: 'invalid-resolvconf-mode',
    file: 'config',
    config: (c) => {
      extraVars(c)['resolvconf_mode'] = 'systemd';
    },
  },
  'container manager': {
    code: 'invalid-container-manager',
    file: 'config',
    config: (c) => {
      extraVars(c)['container_manager'] = 'podman';
    },
  },
  'etcd deployment type': {
    code: 'invalid-etcd-deployment-type',
    file: 'config',
    config: (c) => {
      extraVars(c)['etcd_deployment_type'] = 'kubeadm';
    },
  },
  'cloud provider': {
    code: 'invalid-cloud-provider',
    file: 'config',
    config: (c) => {
      extraVars(c)['cloud_provider'] = 'digitalocean';
    },
  },
  'vault cert management': {
    code: 'invalid-cert-management',
    file: 'config',
    config: (c) => {
      extraVars(c)['cert_management'] = 'vault';
    },
  },
  'calico on azure': {
    code: 'azure-calico',
    file: 'config',
    config: (c) => {
      extraVars(c)['cloud_provider'] = 'azure';
    },
  },
  'quoted boolean flag': {
    code: 'not-a-boolean',
    file: 'config',
    config: (c) => {
      extraVars(c)['download_run_once'] = 'true';
    },
  },
  'kube version too old': {
    code: 'kube-version-too-old',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_version'] = 'v1.13.5';
    },
  },
  'kube version without checksum': {
    code: 'kube-version-unsupported',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_version'] = 'v1.16.0';
    },
  },
  'docker 19.03': {
    code: 'docker-version-unavailable',
    file: 'config',
    config: (c) => {
      extraVars(c)['docker_version'] = '19.03';
    },
  },
  'old calico': {
    code: 'calico-version-too-old',
    file: 'config',
    config: (c) => {
      extraVars(c)['calico_version'] = 'v2.6.12';
    },
  },
  'calicoctl without checksum': {
    code: 'calicoctl-version-unsupported',
    file: 'config',
    config: (c) => {
      extraVars(c)['calico_ctl_version'] = 'v3.8.0';
    },
  },
  'crictl without checksum': {
    code: 'crictl-version-unsupported',
    file: 'config',
    config: (c) => {
      Object.assign(extraVars(c), { container_manager: 'containerd', crictl_version: 'v1.16.0' });
    },
  },
  'etcd binary without checksum': {
    code: 'etcd-version-unsupported',
    file: 'config',
    config: (c) => {
      Object.assign(extraVars(c), { etcd_deployment_type: 'host', etcd_version: 'v3.4.3' });
    },
  },
  'node prefix not a prefix': {
    code: 'invalid-node-prefix',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_network_node_prefix'] = 33;
    },
  },
  'max pods not a number': {
    code: 'invalid-max-pods',
    file: 'config',
    config: (c) => {
      extraVars(c)['kubelet_max_pods'] = 'many';
    },
  },
  'more pods than node addresses': {
    code: 'too-many-pods-per-node',
    file: 'config',
    config: (c) => {
      extraVars(c)['kubelet_max_pods'] = 200;
    },
  },
  'dashboard without RBAC': {
    code: 'dashboard-needs-rbac',
    file: 'config',
    config: (c) => {
      Object.assign(extraVars(c), { dashboard_enabled: true, authorization_modes: ['Node', 'AlwaysAllow'] });
    },
  },
  'oci without RBAC': {
    code: 'oci-needs-rbac',
    file: 'config',
    config: (c) => {
      Object.assign(extraVars(c), { cloud_provider: 'oci', authorization_modes: ['Node'] });
    },
  },
  'insecure port 0 without anonymous auth': {
    code: 'insecure-port-needs-rbac',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_api_anonymous_auth'] = false;
    },
  },
  'kubeadm etcd on old kubernetes': {
    code: 'kubeadm-etcd-version',
    file: 'config',
    config: (c) => {
      Object.assign(extraVars(c), { etcd_kubeadm_enabled: true, kubeadm_control_plane: true, kube_version: 'v1.13.5' });
    },
  },
  'kubeadm etcd without control plane': {
    code: 'kubeadm-etcd-needs-control-plane',
    file: 'config',
    config: (c) => {
      extraVars(c)['etcd_kubeadm_enabled'] = true;
    },
  },
  'calico pool name': {
    code: 'invalid-calico-pool-name',
    file: 'config',
    config: (c) => {
      extraVars(c)['calico_pool_name'] = 'my pool';
    },
  },
  'ipip mode': {
    code: 'invalid-ipip-mode',
    file: 'config',
    config: (c) => {
      extraVars(c)['ipip_mode'] = 'Sometimes';
    },
  },
  'too many search domains': {
    code: 'too-many-search-domains',
    file: 'config',
    config: (c) => {
      extraVars(c)['searchdomains'] = ['a.example', 'b.example', 'c.example', 'd.example', 'e.example'];
    },
  },
  'search domains too long': {
    code: 'search-domains-too-long',
    file: 'config',
    config: (c) => {
      extraVars(c)['searchdomains'] = [
        `${'x'.repeat(60)}.example`,
        `${'y'.repeat(60)}.example`,
        `${'z'.repeat(60)}.example`,
        `${'w'.repeat(60)}.example`,
      ];
    },
  },
  'strict nameservers with too many upstreams': {
    code: 'too-many-nameservers',
    file: 'config',
    config: (c) => {
      Object.assign(extraVars(c), {
        docker_dns_servers_strict: true,
        upstream_dns_servers: ['8.8.8.8', '8.8.4.4', '1.1.1.1'],
      });
    },
  },
  'strict nameservers': {
    code: 'strict-nameservers',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      extraVars(c)['docker_dns_servers_strict'] = true;
    },
  },
  'multus with Ansible 2.9+': {
    code: 'ansible-2.9-incompatible',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      extraVars(c)['kube_network_plugin_multus'] = true;
    },
  },
  'force cache with Ansible 2.9+': {
    code: 'ansible-2.9-incompatible',
    severity: 'warning',
    file: 'config',
    config: (c) => {
      extraVars(c)['download_force_cache'] = true;
    },
  },
  'empty kubeadm certificate key': {
    code: 'ansible-2.9-incompatible',
    file: 'config',
    config: (c) => {
      extraVars(c)['kubeadm_certificate_key'] = null;
    },
  },
};

describe('the base cluster', () => {
  it('is valid with no finding at all', async () => {
    const result = await validate(dir, baseLayout(), baseConfig());
    expect(allFindings(result)).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

describe('every rule reports its failing input', () => {
  for (const [name, rule] of Object.entries(cases)) {
    it(`${name} → ${rule.code}`, async () => {
      const result = await validateEdited(dir, {
        ...(rule.layout ? { layout: rule.layout } : {}),
        ...(rule.config ? { config: rule.config } : {}),
      });
      const matching = allFindings(result).filter((finding) => finding.code === rule.code);
      expect(matching, `findings were: ${JSON.stringify(codes(result))}`).not.toHaveLength(0);
      const finding = matching[0]!;
      expect(finding.severity).toBe(rule.severity ?? 'error');
      expect(finding.file).toContain(rule.file === 'layout' ? 'layout-' : 'config-');
      expect(finding.line).toBeGreaterThan(0);
      expect(finding.column).toBeGreaterThan(0);
      expect(finding.message.length).toBeGreaterThan(10);
      expect(finding.hint.length).toBeGreaterThan(5);
      expect(result.valid).toBe((rule.severity ?? 'error') === 'warning');
    });
  }
});

describe('rules accept what they should', () => {
  const clean = async (edit: Parameters<typeof validateEdited>[1]) => {
    const result = await validateEdited(dir, edit);
    expect(allFindings(result)).toEqual([]);
  };
  it('accepts real booleans and "true"/"false" strings for role flags', () =>
    clean({
      layout: (l) => {
        machine(l, 1)['pai-worker'] = true;
        machine(l, 1)['pai-storage'] = 'false';
        machine(l, 0)['pai-master'] = 'True';
      },
    }));
  it('accepts two device types with hived enabled', () =>
    clean({
      layout: (l) => {
        sku(l, 'cpu-sku')['computing-device'] = { type: 'amd.com/gpu', model: 'MI50', count: 2 };
      },
    }));
  it('accepts a service range inside neither pods nor machines', () =>
    clean({
      config: (c) => {
        Object.assign(extraVars(c), { kube_service_addresses: '172.20.0.0/16', kube_pods_subnet: '172.21.0.0/16' });
      },
    }));
  it('accepts a real boolean for the five asserted flags and a known extra var', () =>
    clean({
      config: (c) => {
        Object.assign(extraVars(c), { download_run_once: true, helm_enabled: false, kube_proxy_mode: 'iptables' });
      },
    }));
  it("accepts Ansible's own variables (ansible_python_interpreter for Python 3.7 targets)", () =>
    clean({
      config: (c) => {
        Object.assign(extraVars(c), { ansible_python_interpreter: '/opt/python3.7/bin/python3.7' });
      },
    }));
  it('accepts kubelet_max_pods that fits the node prefix', () =>
    clean({
      config: (c) => {
        Object.assign(extraVars(c), { kubelet_max_pods: 126, kube_network_node_prefix: 25 });
      },
    }));
  it('accepts kube_version v1.14.5 and v1.15.0', async () => {
    await clean({
      config: (c) => {
        extraVars(c)['kube_version'] = 'v1.14.5';
      },
    });
    await clean({
      config: (c) => {
        extraVars(c)['kube_version'] = 'v1.15.0';
      },
    });
  });
  it('accepts a kube_version without a checksum when both checksums are given', () =>
    clean({
      config: (c) => {
        Object.assign(extraVars(c), {
          kube_version: 'v1.16.0',
          hyperkube_binary_checksum: 'abc',
          kubeadm_binary_checksum: 'def',
        });
      },
    }));
  it('skips values kubespray computes with Jinja', () =>
    clean({
      config: (c) => {
        extraVars(c)['kube_pods_subnet'] = '{{ my_pods_cidr }}';
      },
    }));
  it('accepts a private key of mode 0600 without a password', () =>
    clean({
      config: (c) => {
        delete c['password'];
        c['ssh_key_file_path'] = keyFile('good_key', PRIVATE_KEY, 0o600);
      },
    }));
  it('resolves a relative key path against the config file directory', async () => {
    mkdirSync(join(dir, 'keys'), { recursive: true });
    keyFile('keys/rel_key', PRIVATE_KEY, 0o600);
    await clean({
      config: (c) => {
        delete c['password'];
        c['ssh_key_file_path'] = 'keys/rel_key';
      },
    });
  });
  it('accepts an azure docker cache with account name and key, and a filesystem one', async () => {
    await clean({
      config: (c) => {
        Object.assign(c, {
          enable_docker_cache: true,
          docker_cache_azure_account_name: 'acct',
          docker_cache_azure_account_key: 'a2V5',
        });
      },
    });
    await clean({
      config: (c) => {
        Object.assign(c, { enable_docker_cache: true, docker_cache_storage_backend: 'filesystem' });
      },
    });
  });
});
