import { isMap, parseDocument, type Document, type Pair } from 'yaml';
import { readAsset } from '../assets.js';
import type { ClusterInput } from '../config/cluster-input.js';
import { isRecord, OPENPAI_VARS_TEMPLATE } from '../kubespray/effective-vars.js';

/**
 * openpai.yml, the extra-vars file kubespray runs with (`-e @openpai.yml`): OpenPAI's template
 * (inventory-templates/openpai.yml), then what config.yaml sets, then openpai_kubespray_extra_var with its YAML types
 * kept (OpenPAI quoted every value, which breaks kubespray's boolean assertions). A key set by a later section is
 * removed from the earlier one, so each variable appears once, where its value comes from.
 */
export function renderOpenpaiVars(input: ClusterInput): string {
  const doc = parseDocument(readAsset(OPENPAI_VARS_TEMPLATE), { version: '1.1' });
  const fromConfig = configDrivenVars(input.config);
  const extra = isRecord(input.config['openpai_kubespray_extra_var']) ? input.config['openpai_kubespray_extra_var'] : {};
  for (const name of [...Object.keys(fromConfig), ...Object.keys(extra)]) doc.delete(name);
  for (const name of Object.keys(extra)) delete fromConfig[name];
  appendSection(doc, ' From config.yaml:', fromConfig);
  appendSection(doc, ' From openpai_kubespray_extra_var in config.yaml:', extra);
  return doc.toString({ lineWidth: 0, indentSeq: true, nullStr: '' });
}

function configDrivenVars(config: Record<string, unknown>): Record<string, unknown> {
  const vars: Record<string, unknown> = {
    kube_network_plugin: config['openpai_kube_network_plugin'] ?? 'calico',
    docker_daemon_graph: config['docker_data_root'] ?? '/mnt/docker',
    // Only genuinely extra flags: the template already adds registries, mirrors, data root and log options.
    docker_options: typeof config['docker_config_file_path'] === 'string' ? `--config-file ${config['docker_config_file_path']}` : '',
  };
  const passThrough: ReadonlyArray<[string, string]> = [
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
  for (const [configKey, name] of passThrough) {
    if (config[configKey] !== undefined) vars[name] = config[configKey];
  }
  const kubeletFlags = config['kubelet_custom_flags'];
  if (isRecord(kubeletFlags)) {
    vars['kubelet_custom_flags'] = Object.entries(kubeletFlags).map(([flag, value]) => `--${flag}=${String(value)}`);
  }
  return vars;
}

function appendSection(doc: Document, title: string, values: Record<string, unknown>): void {
  const entries = Object.entries(values);
  if (entries.length === 0 || !isMap(doc.contents)) return;
  entries.forEach(([name, value], index) => {
    const pair = doc.createPair(name, value) as Pair<{ commentBefore?: string | null; spaceBefore?: boolean }, unknown>;
    if (index === 0 && pair.key && typeof pair.key === 'object') {
      pair.key.commentBefore = title;
      pair.key.spaceBefore = true;
    }
    (doc.contents as { items: unknown[] }).items.push(pair);
  });
}
