import { parseDocument } from 'yaml';
import { readAsset } from '../assets.js';
import type { ClusterInput } from '../config/cluster-input.js';
import { emitYaml, type PlainValue } from './yaml-emit.js';

export const SERVICES_TEMPLATE = 'inventory-templates/services-configuration.yaml';

/** layout.yaml as OpenPAI v1.5+ validates it: role flags as "true" strings, every field normalized. */
export function renderOpenpaiLayout({ layout }: ClusterInput): string {
  const value: Record<string, PlainValue> = {};
  if (layout.kubernetes) {
    value['kubernetes'] = { 'api-servers-url': layout.kubernetes.apiServersUrl, 'dashboard-url': layout.kubernetes.dashboardUrl };
  }
  value['machine-sku'] = Object.fromEntries(
    [...layout.skus.values()].map((sku) => [
      sku.name,
      {
        mem: sku.mem,
        cpu: { vcore: sku.vcores },
        ...(sku.device
          ? { 'computing-device': { type: sku.device.type, ...(sku.device.model !== undefined ? { model: sku.device.model } : {}), count: sku.device.count } }
          : {}),
      },
    ]),
  );
  value['machine-list'] = layout.machines.map((machine) => ({
    hostname: machine.hostname,
    hostip: machine.ip,
    'machine-type': machine.machineType,
    ...(machine.master ? { 'pai-master': 'true' } : {}),
    ...(machine.worker ? { 'pai-worker': 'true' } : {}),
    ...(machine.storage ? { 'pai-storage': 'true' } : {}),
  }));
  return '# OpenPAI layout, rendered by pai-deploy.\n' + emitYaml(value);
}

/** services-configuration.yaml from OpenPAI's template and config.yaml (openpai.md §2.5). */
export function renderServicesConfiguration({ config }: ClusterInput): string {
  const doc = parseDocument(readAsset(SERVICES_TEMPLATE), { version: '1.1' });
  const flag = (value: unknown, fallback: boolean): string =>
    String(value === undefined ? fallback : String(value).trim().toLowerCase() === 'true');
  doc.setIn(['cluster', 'common', 'cluster-id'], config['cluster_id'] ?? 'pai');
  doc.setIn(['cluster', 'common', 'qos-switch'], flag(config['qos-switch'], false));
  doc.setIn(['cluster', 'common', 'docker-data-root'], config['docker_data_root'] ?? '/mnt/docker');
  doc.setIn(['cluster', 'common', 'marketplace'], flag(config['enable_marketplace'], false));
  doc.setIn(['cluster', 'docker-registry', 'namespace'], config['docker_registry_namespace'] ?? 'openpai');
  doc.setIn(['cluster', 'docker-registry', 'domain'], config['docker_registry_domain'] ?? 'docker.io');
  if (config['docker_registry_username'] !== undefined) {
    doc.setIn(['cluster', 'docker-registry', 'username'], String(config['docker_registry_username']));
    doc.setIn(['cluster', 'docker-registry', 'password'], String(config['docker_registry_password']));
  }
  doc.setIn(['cluster', 'docker-registry', 'tag'], config['docker_image_tag']);
  doc.setIn(['cluster', 'docker-registry', 'secret-name'], 'pai-secret');
  if (config['enable_docker_cache'] === true) doc.set('docker-cache', dockerCache(config));
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

function dockerCache(config: Record<string, unknown>): Record<string, unknown> {
  const backend = config['docker_cache_storage_backend'] ?? 'azure';
  const cache: Record<string, unknown> = { enabled: true, storage_backend: backend };
  if (backend === 'azure') {
    cache['azure_account_name'] = config['docker_cache_azure_account_name'] ?? '';
    cache['azure_account_key'] = config['docker_cache_azure_account_key'] ?? '';
    cache['azure_container_name'] = config['docker_cache_azure_container_name'] ?? 'dockerregistry';
  } else {
    cache['fs_mount_path'] = config['docker_cache_fs_mount_path'] ?? '/var/lib/registry';
  }
  if (config['docker_cache_remote_url'] !== undefined) cache['remote_url'] = config['docker_cache_remote_url'];
  // OpenPAI documents docker_cache_htpasswd but its template reads docker_cache_registry_htpasswd; honour both.
  const htpasswd = config['docker_cache_registry_htpasswd'] ?? config['docker_cache_htpasswd'];
  if (htpasswd !== undefined) cache['registry-htpasswd'] = htpasswd;
  return cache;
}
