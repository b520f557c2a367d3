import { parseDocument } from 'yaml';
import { readAsset } from '../assets.js';
import type { ClusterSpec, DockerCache } from '../model/cluster.js';
import { emitYaml, escapeRawInQuoted, quoteStrings, type PlainValue } from './yaml-emit.js';

export const SERVICES_TEMPLATE = 'inventory-templates/services-configuration.yaml';

/** layout.yaml as OpenPAI v1.5+ validates it: role flags as "true" strings, every field normalized. */
export function renderOpenpaiLayout({ layout }: ClusterSpec): string {
  const value: Record<string, PlainValue> = {};
  if (layout.kubernetes) {
    value['kubernetes'] = {
      'api-servers-url': layout.kubernetes.apiServersUrl,
      'dashboard-url': layout.kubernetes.dashboardUrl,
    };
  }
  value['machine-sku'] = Object.fromEntries(
    [...layout.skus.values()].map((sku) => [
      sku.name,
      {
        mem: sku.mem,
        cpu: { vcore: sku.vcores },
        ...(sku.device
          ? {
              'computing-device': {
                type: sku.device.type,
                ...(sku.device.model !== undefined ? { model: sku.device.model } : {}),
                count: sku.device.count,
              },
            }
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
export function renderServicesConfiguration({ config }: ClusterSpec): string {
  const doc = parseDocument(readAsset(SERVICES_TEMPLATE), { version: '1.1' });
  const { registry } = config;
  // A new node for every value, so none inherits the template's plain style: all are written double-quoted.
  const set = (path: string[], value: unknown) => {
    const node = doc.createNode(value);
    quoteStrings(node);
    doc.setIn(path, node);
  };
  set(['cluster', 'common', 'cluster-id'], config.clusterId);
  set(['cluster', 'common', 'qos-switch'], String(config.qosSwitch));
  set(['cluster', 'common', 'docker-data-root'], config.dockerDataRoot);
  set(['cluster', 'common', 'marketplace'], String(config.marketplace));
  set(['cluster', 'docker-registry', 'namespace'], registry.namespace);
  set(['cluster', 'docker-registry', 'domain'], registry.domain);
  if (registry.username !== undefined) {
    set(['cluster', 'docker-registry', 'username'], registry.username);
    set(['cluster', 'docker-registry', 'password'], registry.password ?? '');
  }
  set(['cluster', 'docker-registry', 'tag'], registry.tag);
  set(['cluster', 'docker-registry', 'secret-name'], 'pai-secret');
  if (config.dockerCache.enabled) set(['docker-cache'], dockerCache(config.dockerCache));
  // Every value set here is written double-quoted, so `=`, `<<` or `yes` stay strings and control characters can be
  // escaped for PyYAML (OpenPAI reads this file with it).
  return escapeRawInQuoted(doc.toString({ lineWidth: 0, indentSeq: true }));
}

function dockerCache(cache: Extract<DockerCache, { enabled: true }>): Record<string, unknown> {
  const { storage } = cache;
  const out: Record<string, unknown> = { enabled: true, storage_backend: storage.backend };
  if (storage.backend === 'azure') {
    out['azure_account_name'] = storage.accountName;
    out['azure_account_key'] = storage.accountKey;
    out['azure_container_name'] = storage.containerName;
  } else {
    out['fs_mount_path'] = storage.mountPath;
  }
  if (cache.remoteUrl !== undefined) out['remote_url'] = cache.remoteUrl;
  if (cache.htpasswd !== undefined) out['registry-htpasswd'] = cache.htpasswd;
  return out;
}
