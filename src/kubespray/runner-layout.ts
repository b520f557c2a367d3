/**
 * Where things are inside the dev-box container, and the ansible.cfg pai-deploy runs kubespray with. Pure: the
 * runner phase writes these and mounts the directories (src/phase/phases/kubespray.ts).
 */
export const IN_CONTAINER = {
  /** The kubespray checkout, read-only: pai-deploy never changes the user's tree. */
  kubespray: '/pai/kubespray',
  /** pai-deploy's overlay (this ansible.cfg, the event callback), read-only. */
  overlay: '/pai/overlay',
  /** The rendered inventory (hosts.yml, openpai.yml), read-only. */
  inventory: '/pai/inventory',
  /** The cluster's kubespray state, writable: fact cache, credentials, artifacts (admin.conf). */
  state: '/pai/state',
  /** known_hosts from pre-flight, read-only. */
  known: '/pai/known_hosts',
  /** The run's 0600 vars file with the password, read-only, removed after the run. */
  secrets: '/pai/secrets/vars.yml',
} as const;

export interface AnsibleCfgOptions {
  /** Parallel SSH connections (Ansible's forks). */
  forks: number;
}

/**
 * ansible.cfg for kubespray 2.11 under pai-deploy. kubespray's own ansible.cfg is not used (ANSIBLE_CONFIG points
 * here): its fact cache is /tmp, and with `gathering = smart` a cache left by another cluster with the same
 * hostnames, or an earlier Ansible, makes kubespray fail with "ansible_os_family is undefined"; its ssh_args throw
 * host keys away (UserKnownHostsFile=/dev/null, host_key_checking = False). What kubespray's file sets for its own
 * sake is kept: pipelining, its library and roles paths, the extensions and directories the inventory ignores.
 */
export function renderAnsibleCfg(options: AnsibleCfgOptions): string {
  const lines = [
    '# Written by pai-deploy for each kubespray run; see src/kubespray/runner-layout.ts for the reasons.',
    '[defaults]',
    `forks = ${options.forks}`,
    'gathering = smart',
    // Facts cached per cluster, in its work dir (mounted at /pai/state): never shared, never /tmp.
    'fact_caching = jsonfile',
    `fact_caching_connection = ${IN_CONTAINER.state}/fact-cache`,
    'fact_caching_timeout = 86400',
    `library = ${IN_CONTAINER.kubespray}/library`,
    `roles_path = ${IN_CONTAINER.kubespray}/roles`,
    // The default callback writes the full log; pai-deploy's emits the events progress and failures are read from.
    'stdout_callback = default',
    `callback_plugins = ${IN_CONTAINER.overlay}/callback_plugins`,
    'callback_whitelist = pai_deploy_events, profile_tasks',
    'display_skipped_hosts = False',
    'retry_files_enabled = False',
    'deprecation_warnings = False',
    'nocolor = 1',
    // Trust exactly the host keys pre-flight recorded.
    'host_key_checking = True',
    'inventory_ignore_extensions = ~, .orig, .bak, .ini, .cfg, .retry, .pyc, .pyo, .creds',
    // Ansible's temp files on the controller stay in the container's /tmp, which goes away with it.
    'local_tmp = /tmp/ansible-local',
    '',
    '[inventory]',
    'ignore_patterns = artifacts, credentials',
    '',
    '[ssh_connection]',
    'pipelining = True',
    // StrictHostKeyChecking=yes with pre-flight's known_hosts: an unknown or changed key stops the run.
    `ssh_args = -o ControlMaster=auto -o ControlPersist=30m -o ConnectionAttempts=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${IN_CONTAINER.known} -o GlobalKnownHostsFile=/dev/null`,
    'control_path_dir = /tmp/ansible-cp',
    '',
  ];
  return lines.join('\n');
}
