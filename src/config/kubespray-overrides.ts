import type { KubesprayOverride } from '../model/cluster.js';

/** config.yaml keys OpenPAI maps onto kubespray variables of the same or another name. */
const configToKubespray: ReadonlyArray<[configKey: string, kubesprayVar: string]> = [
  ['openpai_kube_network_plugin', 'kube_network_plugin'],
  ['docker_data_root', 'docker_daemon_graph'],
  ['docker_iptables_enabled', 'docker_iptables_enabled'],
  ['openpai_docker_insecure_registries', 'docker_insecure_registries'],
  ['openpai_docker_registry_mirrors', 'docker_registry_mirrors'],
  ['gcr_image_repo', 'gcr_image_repo'],
  ['kube_image_repo', 'kube_image_repo'],
  ['quay_image_repo', 'quay_image_repo'],
  ['docker_image_repo', 'docker_image_repo'],
  ['etcd_image_repo', 'etcd_image_repo'],
  ['pod_infra_image_repo', 'pod_infra_image_repo'],
  ['kubeadm_download_url', 'kubeadm_download_url'],
  ['hyperkube_download_url', 'hyperkube_download_url'],
];

/** OpenPAI's values for the config-driven variables when config.yaml leaves them out. */
export const configVarDefaults: Readonly<Record<string, unknown>> = {
  kube_network_plugin: 'calico',
  docker_daemon_graph: '/mnt/docker',
  docker_options: '',
};

/**
 * The kubespray variables config.yaml sets: first the keys OpenPAI maps onto kubespray variables, then
 * openpai_kubespray_extra_var with its YAML types kept (a later entry of the same name wins).
 */
export function kubesprayOverrides(
  config: Readonly<Record<string, unknown>>,
  extraVars: Readonly<Record<string, unknown>>,
): KubesprayOverride[] {
  const overrides: KubesprayOverride[] = [];
  for (const [configKey, name] of configToKubespray) {
    if (config[configKey] !== undefined)
      overrides.push({ name, value: config[configKey], layer: 'config', configPath: [configKey] });
  }
  const configFile = config['docker_config_file_path'];
  // Only genuinely extra flags: kubespray's template already adds registries, mirrors, data root and log options.
  if (typeof configFile === 'string') {
    overrides.push({
      name: 'docker_options',
      value: `--config-file ${configFile}`,
      layer: 'config',
      configPath: ['docker_config_file_path'],
    });
  }
  const kubeletFlags = config['kubelet_custom_flags'];
  if (kubeletFlags !== null && typeof kubeletFlags === 'object' && !Array.isArray(kubeletFlags)) {
    overrides.push({
      name: 'kubelet_custom_flags',
      value: Object.entries(kubeletFlags).map(([flag, value]) => `--${flag}=${String(value)}`),
      layer: 'config',
      configPath: ['kubelet_custom_flags'],
    });
  }
  for (const [name, value] of Object.entries(extraVars)) {
    overrides.push({ name, value, layer: 'extra-var', configPath: ['openpai_kubespray_extra_var', name] });
  }
  return overrides;
}
