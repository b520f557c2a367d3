import { parse } from 'yaml';
import { readAsset } from '../assets.js';
import type { PathSegment } from '../findings/finding.js';
import { kubesprayDefaults } from './release-2.11.js';

export type VarLayer = 'kubespray-default' | 'openpai-default' | 'config' | 'extra-var';

/** A kubespray variable as the playbook will see it, and where that value came from. */
export interface EffectiveVar {
  value: unknown;
  layer: VarLayer;
  /** The config.yaml field that set it (config and extra-var layers). */
  configPath?: PathSegment[];
}

export const OPENPAI_VARS_TEMPLATE = 'inventory-templates/openpai.yml';

/** Values of the static OpenPAI template, parsed as Ansible will parse them. */
export function openpaiStaticVars(): Record<string, unknown> {
  const parsed: unknown = parse(readAsset(OPENPAI_VARS_TEMPLATE), { version: '1.1' });
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

/** config.yaml keys that OpenPAI turns into kubespray variables of the same or another name. */
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

export class EffectiveVars {
  private readonly vars = new Map<string, EffectiveVar>();

  set(name: string, entry: EffectiveVar): void {
    this.vars.set(name, entry);
  }

  get(name: string): EffectiveVar | undefined {
    return this.vars.get(name);
  }

  value(name: string): unknown {
    return this.vars.get(name)?.value;
  }

  /** True when the user set it (config.yaml or openpai_kubespray_extra_var), not a default. */
  isUserSet(name: string): boolean {
    const layer = this.vars.get(name)?.layer;
    return layer === 'config' || layer === 'extra-var';
  }

  names(): string[] {
    return [...this.vars.keys()];
  }
}

/**
 * The effective kubespray variables: kubespray's defaults, overridden by OpenPAI's values, by the config.yaml keys
 * OpenPAI maps onto kubespray variables, and last by openpai_kubespray_extra_var.
 */
export function computeEffectiveVars(config: Readonly<Record<string, unknown>>): EffectiveVars {
  const vars = new EffectiveVars();
  for (const [name, value] of Object.entries(kubesprayDefaults)) vars.set(name, { value, layer: 'kubespray-default' });
  for (const [name, value] of Object.entries(openpaiStaticVars())) vars.set(name, { value, layer: 'openpai-default' });
  vars.set('docker_daemon_graph', { value: '/mnt/docker', layer: 'openpai-default' });
  vars.set('docker_options', { value: '', layer: 'openpai-default' });
  for (const [configKey, name] of configToKubespray) {
    if (config[configKey] !== undefined) vars.set(name, { value: config[configKey], layer: 'config', configPath: [configKey] });
  }
  const configFile = config['docker_config_file_path'];
  if (typeof configFile === 'string') {
    vars.set('docker_options', { value: `--config-file ${configFile}`, layer: 'config', configPath: ['docker_config_file_path'] });
  }
  const kubeletFlags = config['kubelet_custom_flags'];
  if (isRecord(kubeletFlags)) {
    vars.set('kubelet_custom_flags', {
      value: Object.entries(kubeletFlags).map(([flag, value]) => `--${flag}=${String(value)}`),
      layer: 'config',
      configPath: ['kubelet_custom_flags'],
    });
  }
  const extra = config['openpai_kubespray_extra_var'];
  if (isRecord(extra)) {
    for (const [name, value] of Object.entries(extra)) {
      vars.set(name, { value, layer: 'extra-var', configPath: ['openpai_kubespray_extra_var', name] });
    }
  }
  return vars;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value kubespray computes with Jinja at run time; offline rules cannot judge it. */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}
