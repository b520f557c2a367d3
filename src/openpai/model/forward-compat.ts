/**
 * What paictl v1.8.0 did to services-configuration.yaml before any parser saw it
 * (clusterObjectModel/forward_compatibility.py): a file with a `rest-server` section and no `hadoop` section is a
 * current one and only gets `cluster.common.cluster-type: k8s` when that is missing; any other file is taken for a
 * pre-v0.11 one and rebuilt from the old keys below, every other section dropped.
 */
import { quote } from '../../findings/finding.js';
import type { Report } from './context.js';
import type { ModelMap, ModelValue } from './types.js';
import { get, has, isMap, put } from './values.js';

/** Old key path → new key path, applied in this order (a later one may write into a mapping an earlier made). */
const LEGACY_KEYS: readonly (readonly [string, string])[] = [
  ['drivers', 'drivers'],
  ['webportal', 'webportal'],
  ['pylon', 'pylon'],
  ['cluster.cluster-id', 'cluster.common.cluster-id'],
  ['cluster.data-path', 'cluster.common.data-path'],
  ['cluster.docker-registry-info.docker-namespace', 'cluster.docker-registry.namespace'],
  ['cluster.docker-registry-info.docker-registry-domain', 'cluster.docker-registry.domain'],
  ['cluster.docker-registry-info.docker-username', 'cluster.docker-registry.username'],
  ['cluster.docker-registry-info.docker-password', 'cluster.docker-registry.password'],
  ['cluster.docker-registry-info.docker-tag', 'cluster.docker-registry.tag'],
  ['cluster.docker-registry-info.secret-name', 'cluster.docker-registry.secret-name'],
  ['restserver', 'rest-server'],
  ['frameworklauncher', 'yarn-frameworklauncher'],
  ['hadoop.virtualClusters', 'hadoop-resource-manager.virtualClusters'],
  ['prometheus.yarn_exporter_port', 'hadoop-resource-manager.yarn_exporter_port'],
  ['prometheus.prometheus-port', 'prometheus.port'],
  ['prometheus.scrape_interval', 'prometheus.scrape_interval'],
  ['prometheus.alerting.alert_receiver', 'alert-manager.receiver'],
  ['prometheus.alerting.alert_manager_port', 'alert-manager.port'],
  ['prometheus.alerting.smtp_url', 'alert-manager.smtp_url'],
  ['prometheus.alerting.smtp_from', 'alert-manager.smtp_from'],
  ['prometheus.alerting.smtp_auth_username', 'alert-manager.smtp_auth_username'],
  ['prometheus.alerting.smtp_auth_password', 'alert-manager.smtp_auth_password'],
  ['grafana.grafana-port', 'grafana.port'],
  ['prometheus.node-exporter-port', 'node-exporter.port'],
];

/**
 * The services configuration the parsers get, or undefined when paictl would have crashed on it (a `cluster` or
 * `cluster.common` that is not a mapping). Works on its own copy.
 */
export function convertServicesConfiguration(root: ModelMap, report: Report): ModelMap | undefined {
  if (!has(root, 'hadoop') && has(root, 'rest-server')) return addClusterType(root, report);
  report.warning(
    'model-legacy-services-configuration',
    { file: 'services', path: has(root, 'hadoop') ? ['hadoop'] : [], part: 'key' },
    has(root, 'hadoop')
      ? 'services-configuration.yaml has a hadoop section, so OpenPAI v1.8.0 takes it for a pre-v0.11 file and rebuilds it from the old keys: every section but drivers, webportal and pylon is dropped'
      : 'services-configuration.yaml has no rest-server section, so OpenPAI v1.8.0 takes it for a pre-v0.11 file and rebuilds it from the old keys: every section but drivers, webportal and pylon is dropped',
    'Add the rest-server section (default-pai-admin-username and -password), as pai-deploy render writes it, and remove hadoop.',
  );
  const converted: ModelMap = {};
  for (const [from, to] of LEGACY_KEYS) {
    const value = lookup(root, from.split('.'));
    if (value !== undefined) store(converted, to.split('.'), value);
  }
  return addClusterType(converted, report);
}

function lookup(root: ModelMap, path: readonly string[]): ModelValue | undefined {
  let node: ModelValue = root;
  for (const key of path) {
    // Python's `key in value` on a list or string is membership, and indexing it would then raise; such old files
    // are not worth a finding of their own: the value counts as absent.
    if (!isMap(node) || !has(node, key)) return undefined;
    node = node[key]!;
  }
  return node;
}

function store(root: ModelMap, path: readonly string[], value: ModelValue): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = get(node, key);
    if (isMap(next)) node = next;
    else {
      const made: ModelMap = {};
      put(node, key, made);
      node = made;
    }
  }
  put(node, path[path.length - 1]!, value);
}

function addClusterType(root: ModelMap, report: Report): ModelMap | undefined {
  if (!has(root, 'cluster')) {
    put(root, 'cluster', { common: { 'cluster-type': 'k8s' } });
    return root;
  }
  const cluster = root['cluster'];
  if (!isMap(cluster)) {
    report.error(
      'model-not-mapping',
      { file: 'services', path: ['cluster'] },
      `must be a mapping (common, docker-registry), not ${quote(cluster)}: paictl stops on it`,
      'Write cluster with its common and docker-registry mappings, as pai-deploy render writes them.',
    );
    return undefined;
  }
  if (!has(cluster, 'common')) {
    put(cluster, 'common', { 'cluster-type': 'k8s' });
    return root;
  }
  const common = cluster['common'];
  if (!isMap(common)) {
    report.error(
      'model-not-mapping',
      { file: 'services', path: ['cluster', 'common'] },
      `must be a mapping (cluster-id, cluster-type, data-path, ...), not ${quote(common)}: paictl stops on it`,
      'Write cluster.common as a mapping of the cluster-wide settings.',
    );
    return undefined;
  }
  if (!has(common, 'cluster-type')) put(common, 'cluster-type', 'k8s');
  return root;
}
