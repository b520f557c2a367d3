/**
 * Facts about the kubespray release pai-deploy drives. Pinned to the release-2.11 tip: v2.11.2 plus #5926, the fix
 * for scale.yml's kubelet cgroup driver (kubespray-2.11.md §1).
 */
export const kubesprayRelease = {
  /** Where `kubespray run` clones the pinned commit from when neither --kubespray-dir nor --kubespray-clone is given. */
  repository: 'https://github.com/kubernetes-sigs/kubespray.git',
  branch: 'release-2.11',
  commit: '67167bd8d292b67e9c8bceccbc8fb230d05bd2ba',
  /**
   * The commit's git tree id: what a plain directory (an unpacked tarball) must hash to (src/infra/git/tree-id.ts).
   * Recorded from the real repository, `git --git-dir=<mirror of github.com/kubernetes-sigs/kubespray> rev-parse
   * 67167bd8d292b67e9c8bceccbc8fb230d05bd2ba^{tree}` (git 2.39), and checked on `git archive <commit> | tar -x`
   * (kubespray 2.11 has no .gitattributes, so the archive is the commit's tree): tree-id.ts and `git add -A --force
   * && git write-tree` both give it. Without --force git's own `*.spec` rule drops the tracked
   * contrib/packaging/rpm/kubespray.spec and gives f59b30ada3c9 instead.
   */
  treeId: '601ecad9c76cd8d0edc5c73a0a43e649f1a36085',
  describe: 'v2.11.2 + #5926 (scale.yml cgroup-driver fix)',
} as const;

/** Kubernetes versions 2.11 ships hyperkube/kubeadm checksums for (roles/download/defaults/main.yml). */
export const checksummedKubeVersions: readonly string[] = [
  ...range(0, 5).map((patch) => `v1.14.${patch}`),
  ...range(0, 11).map((patch) => `v1.15.${patch}`),
];

/** docker_version keys of docker_versioned_pkg in roles/container-engine/docker/vars/ubuntu-amd64.yml. */
export const ubuntuDockerVersionKeys: readonly string[] = [
  'latest',
  '1.11',
  '1.12',
  '1.13',
  '17.03',
  '17.09',
  '17.12',
  '18.06',
  '18.09',
  'stable',
  'edge',
];

export const calicoctlChecksummedVersions: readonly string[] = ['v3.4.4', 'v3.5.4', 'v3.6.1', 'v3.7.3'];
export const crictlChecksummedVersions: readonly string[] = ['v1.13.0', 'v1.14.0', 'v1.15.0'];
export const etcdChecksummedVersion = 'v3.3.10';

export const enums = {
  kube_network_plugin: [
    'calico',
    'canal',
    'flannel',
    'weave',
    'cloud',
    'cilium',
    'cni',
    'contiv',
    'kube-ovn',
    'kube-router',
    'macvlan',
  ],
  cloud_provider: ['generic', 'gce', 'aws', 'azure', 'openstack', 'vsphere', 'oci', 'external'],
  dns_mode: ['coredns', 'coredns_dual', 'manual', 'none'],
  kube_proxy_mode: ['iptables', 'ipvs'],
  cert_management: ['script', 'none'],
  resolvconf_mode: ['docker_dns', 'host_resolvconf', 'none'],
  container_manager: ['docker', 'crio', 'containerd'],
  etcd_deployment_type: ['docker', 'host'],
  ipip_mode: ['Always', 'CrossSubnet', 'Never'],
} as const satisfies Record<string, readonly string[]>;

/** The five flags 0020-verify-settings.yml asserts are real booleans. */
export const strictBooleanVars = [
  'download_run_once',
  'deploy_netchecker',
  'download_always_pull',
  'helm_enabled',
  'openstack_lbaas_enabled',
] as const;

/**
 * Defaults of every variable the offline rules read, as kubespray 2.11 resolves them without an inventory override
 * (kubespray-defaults, role defaults; for docker_dns_servers_strict the docker role's own `true` wins, §3.3).
 */
export const kubesprayDefaults: Readonly<Record<string, unknown>> = {
  kube_version: 'v1.15.11',
  kube_version_min_required: 'v1.14.0',
  kube_network_plugin: 'calico',
  kube_network_plugin_multus: false,
  download_run_once: false,
  deploy_netchecker: false,
  download_always_pull: false,
  download_force_cache: false,
  helm_enabled: false,
  openstack_lbaas_enabled: false,
  kubelet_max_pods: 110,
  kube_network_node_prefix: 24,
  dashboard_enabled: true,
  authorization_modes: ['Node', 'RBAC'],
  kube_apiserver_insecure_port: 0,
  kube_api_anonymous_auth: true,
  calico_version: 'v3.7.3',
  calico_ctl_version: 'v3.7.3',
  kube_service_addresses: '10.233.0.0/18',
  kube_pods_subnet: '10.233.64.0/18',
  dns_mode: 'coredns',
  kube_proxy_mode: 'ipvs',
  cert_management: 'script',
  resolvconf_mode: 'docker_dns',
  etcd_kubeadm_enabled: false,
  kubeadm_control_plane: false,
  docker_version: '18.09',
  container_manager: 'docker',
  etcd_deployment_type: 'docker',
  etcd_version: 'v3.3.10',
  crictl_version: 'v1.15.0',
  calico_pool_name: 'default-pool',
  ipip: true,
  dns_domain: 'cluster.local',
  searchdomains: [],
  upstream_dns_servers: [],
  docker_dns_servers_strict: true,
};

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
