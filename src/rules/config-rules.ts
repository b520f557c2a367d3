import type { ClusterConfig, ClusterSpec, DockerCache } from '../model/cluster.js';
import { didYouMean } from '../findings/did-you-mean.js';
import type { EffectiveVars } from '../kubespray/effective-vars.js';
import { kubesprayKnownVars } from '../kubespray/known-vars.js';
import type { FindingSink } from '../findings/sink.js';

/** OpenPAI rest-server's default job port range (schedule-port-start/-end). */
const JOB_PORTS = { start: 15000, end: 40000 };

/** Rules on config.yaml values that OpenPAI or kubespray would misread or silently ignore. */
export function checkConfig({ config }: ClusterSpec, vars: EffectiveVars, sink: FindingSink): void {
  const { username, password } = config.registry;
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? 'docker_registry_username' : 'docker_registry_password';
    const present = username === undefined ? 'docker_registry_password' : 'docker_registry_username';
    sink.error(
      'registry-credentials-incomplete',
      { file: 'config', path: [present], part: 'key' },
      `${present} is set but ${missing} is not`,
      `Set both ${present} and ${missing}, or neither for a public registry.`,
    );
  }
  checkDockerCache(config.dockerCache, sink);
  checkHostPortRange(config.hostDaemonPorts, sink);
  for (const name of ['gcr_image_repo', 'quay_image_repo', 'docker_image_repo']) {
    if (vars.get(name)?.layer === 'config') {
      sink.warning(
        'no-effect-in-kubespray-2.11',
        { file: 'config', path: [name], part: 'key' },
        `${name} only changes OpenPAI's registry check; kubespray 2.11 has no such prefix variable, so its images still come from the defaults`,
        'Override the image repositories one by one in openpai_kubespray_extra_var (kube_image_repo, pod_infra_image_repo, coredns_image_repo, calico_node_image_repo, ...).',
      );
    }
  }
  checkExtraVars(config.extraVars, vars, sink);
}

function checkDockerCache(cache: DockerCache, sink: FindingSink): void {
  if (!cache.enabled || cache.storage.backend !== 'azure') return;
  const missing = [
    ['docker_cache_azure_account_name', cache.storage.accountName],
    ['docker_cache_azure_account_key', cache.storage.accountKey],
  ].filter(([, value]) => value === '');
  for (const [key] of missing) {
    sink.error(
      'docker-cache-incomplete',
      { file: 'config', path: ['enable_docker_cache'] },
      `the docker cache uses Azure storage (docker_cache_storage_backend ${cache.backendSet ? 'is azure' : 'defaults to azure'}) but ${String(key)} has no value (missing or empty)`,
      `Set ${String(key)}, or set docker_cache_storage_backend: filesystem to keep the cache on the master.`,
    );
  }
}

function checkHostPortRange({ start, end, startSet }: ClusterConfig['hostDaemonPorts'], sink: FindingSink): void {
  if (start > end) {
    sink.error(
      'invalid-port-range',
      { file: 'config', path: ['host_daemon_port_start'] },
      `host_daemon_port_start ${start} is above host_daemon_port_end ${end}`,
      'Make the start port lower than the end port, e.g. 40000 to 65535.',
    );
  } else if (start < JOB_PORTS.end && end >= JOB_PORTS.start) {
    sink.warning(
      'port-range-overlaps-jobs',
      { file: 'config', path: [startSet ? 'host_daemon_port_start' : 'host_daemon_port_end'] },
      `the hosts' ephemeral ports ${start}-${end} overlap the job ports ${JOB_PORTS.start}-${JOB_PORTS.end - 1}; jobs then fail with port conflicts`,
      'Keep host_daemon_port_start at 40000 or above.',
    );
  }
}

/**
 * Ansible's own connection and behaviour variables (ansible_python_interpreter, ansible_become_method, …): not
 * kubespray's, but Ansible reads them, so they have an effect. A real run showed ansible_python_interpreter is what
 * Python 3.7 targets need.
 */
const ANSIBLE_VARIABLE = /^ansible_[a-z0-9_]+$/;

function checkExtraVars(extra: Readonly<Record<string, unknown>>, vars: EffectiveVars, sink: FindingSink): void {
  const known = kubesprayKnownVars();
  for (const name of Object.keys(extra)) {
    if (known.has(name) || ANSIBLE_VARIABLE.test(name)) continue;
    const suggestion = didYouMean(name, known);
    sink.warning(
      'unknown-kubespray-var',
      { file: 'config', path: ['openpai_kubespray_extra_var', name], part: 'key' },
      `kubespray 2.11 has no variable "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (it would have no effect)`,
      suggestion
        ? `Rename it to "${suggestion}".`
        : "Check the spelling against kubespray release-2.11's inventory/sample/group_vars, or remove it.",
    );
  }
  if (vars.value('kubeconfig_localhost') === false) {
    sink.warning(
      'kubeconfig-not-fetched',
      { file: 'config', path: ['openpai_kubespray_extra_var', 'kubeconfig_localhost'] },
      'kubeconfig_localhost: false stops kubespray from copying admin.conf back, which the services step needs',
      'Remove kubeconfig_localhost from openpai_kubespray_extra_var.',
    );
  }
}
