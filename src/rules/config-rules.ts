import type { ClusterInput } from '../config/cluster-input.js';
import { configKeySpec } from '../config/config-schema.js';
import { didYouMean } from '../config/did-you-mean.js';
import { quote } from '../findings/finding.js';
import { isRecord, type EffectiveVars } from '../kubespray/effective-vars.js';
import { kubesprayKnownVars } from '../kubespray/known-vars.js';
import type { FindingSink } from '../findings/sink.js';

/** OpenPAI rest-server's default job port range (schedule-port-start/-end). */
const JOB_PORTS = { start: 15000, end: 40000 };

/** Rules on config.yaml values that OpenPAI or kubespray would misread or silently ignore. */
export function checkConfig({ config }: ClusterInput, vars: EffectiveVars, sink: FindingSink): void {
  for (const key of Object.keys(config)) {
    const obsolete = configKeySpec(key)?.obsolete;
    if (obsolete) sink.warning('obsolete-key', { file: 'config', path: [key], part: 'key' }, `${obsolete} and is ignored`, configKeySpec(key)?.hint ?? 'Remove it.');
  }
  for (const key of ['qos-switch', 'enable_marketplace']) {
    const value = config[key];
    if (typeof value === 'string' && !/^(true|false)$/i.test(value.trim())) {
      sink.error('invalid-flag', { file: 'config', path: [key] }, `${quote(value)} is neither "true" nor "false"`, `Write ${key}: "true" or "false".`);
    }
  }
  const username = config['docker_registry_username'];
  const password = config['docker_registry_password'];
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? 'docker_registry_username' : 'docker_registry_password';
    const present = username === undefined ? 'docker_registry_password' : 'docker_registry_username';
    sink.error('registry-credentials-incomplete', { file: 'config', path: [present], part: 'key' }, `${present} is set but ${missing} is not`, `Set both ${present} and ${missing}, or neither for a public registry.`);
  }
  checkDockerCache(config, sink);
  checkHostPortRange(config, sink);
  for (const key of ['gcr_image_repo', 'quay_image_repo', 'docker_image_repo']) {
    if (config[key] !== undefined) {
      sink.warning('no-effect-in-kubespray-2.11', { file: 'config', path: [key], part: 'key' }, `${key} only changes OpenPAI's registry check; kubespray 2.11 has no such prefix variable, so its images still come from the defaults`, 'Override the image repositories one by one in openpai_kubespray_extra_var (kube_image_repo, pod_infra_image_repo, coredns_image_repo, calico_node_image_repo, ...).');
    }
  }
  checkExtraVars(config, vars, sink);
}

function checkDockerCache(config: Record<string, unknown>, sink: FindingSink): void {
  if (config['enable_docker_cache'] !== true) return;
  const backend = config['docker_cache_storage_backend'] ?? 'azure';
  if (backend !== 'azure') return;
  for (const key of ['docker_cache_azure_account_name', 'docker_cache_azure_account_key']) {
    const value = config[key];
    if (typeof value !== 'string' || value === '') {
      sink.error('docker-cache-incomplete', { file: 'config', path: ['enable_docker_cache'] }, `the docker cache uses Azure storage (docker_cache_storage_backend ${config['docker_cache_storage_backend'] === undefined ? 'defaults to azure' : 'is azure'}) but ${key} is not set`, `Set ${key}, or set docker_cache_storage_backend: filesystem to keep the cache on the master.`);
    }
  }
}

function checkHostPortRange(config: Record<string, unknown>, sink: FindingSink): void {
  const start = typeof config['host_daemon_port_start'] === 'number' ? config['host_daemon_port_start'] : 40000;
  const end = typeof config['host_daemon_port_end'] === 'number' ? config['host_daemon_port_end'] : 65535;
  if (start > end) {
    sink.error('invalid-port-range', { file: 'config', path: ['host_daemon_port_start'] }, `host_daemon_port_start ${start} is above host_daemon_port_end ${end}`, 'Make the start port lower than the end port, e.g. 40000 to 65535.');
  } else if (start < JOB_PORTS.end && end >= JOB_PORTS.start) {
    sink.warning('port-range-overlaps-jobs', { file: 'config', path: [config['host_daemon_port_start'] === undefined ? 'host_daemon_port_end' : 'host_daemon_port_start'] }, `the hosts' ephemeral ports ${start}-${end} overlap the job ports ${JOB_PORTS.start}-${JOB_PORTS.end - 1}; jobs then fail with port conflicts`, 'Keep host_daemon_port_start at 40000 or above.');
  }
}

function checkExtraVars(config: Record<string, unknown>, vars: EffectiveVars, sink: FindingSink): void {
  const extra = config['openpai_kubespray_extra_var'];
  if (!isRecord(extra)) return;
  const known = kubesprayKnownVars();
  for (const name of Object.keys(extra)) {
    if (known.has(name)) continue;
    const suggestion = didYouMean(name, known);
    sink.warning('unknown-kubespray-var', { file: 'config', path: ['openpai_kubespray_extra_var', name], part: 'key' }, `kubespray 2.11 has no variable "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (it would have no effect)`, suggestion ? `Rename it to "${suggestion}".` : 'Check the spelling against kubespray release-2.11\'s inventory/sample/group_vars, or remove it.');
  }
  if (vars.value('kubeconfig_localhost') === false) {
    sink.warning('kubeconfig-not-fetched', { file: 'config', path: ['openpai_kubespray_extra_var', 'kubeconfig_localhost'] }, 'kubeconfig_localhost: false stops kubespray from copying admin.conf back, which the services step needs', 'Remove kubeconfig_localhost from openpai_kubespray_extra_var.');
  }
}
