import { join } from 'node:path';
import type { ClusterSpec } from '../model/cluster.js';
import type { WorkDir } from '../model/work-dir.js';
import type { ContainerRunSpec, FileToWrite } from '../ports/ports.js';
import { IN_CONTAINER, renderAnsibleCfg } from './runner-layout.js';

export type PlaybookName = 'cluster' | 'scale' | 'remove-node' | 'reset';

export interface PlaybookRequest {
  playbook: PlaybookName;
  /** scale: the machines to add (--limit); remove-node: the machines to remove (-e node=). */
  hosts?: string[];
  /** ansible-playbook arguments after `--`, passed through unchanged (e.g. --tags preinstall -vvv). */
  passThrough: string[];
}

export interface PlaybookRunInput {
  spec: ClusterSpec;
  workDir: WorkDir;
  /** The verified kubespray checkout on the admin's machine. */
  kubesprayDir: string;
  image: string;
  network: string;
  forks: number;
  request: PlaybookRequest;
  /** A random token: names the container and marks the callback's event lines. */
  token: string;
  /** The run's start, for the log's name. */
  startedAt: Date;
}

/** Where the runner keeps a cluster's kubespray state and its per-run files, in the work dir. */
export function runnerPaths(workDir: WorkDir): {
  state: string;
  overlay: string;
  secrets: string;
  secretsFile: string;
} {
  const state = join(workDir.root, 'kubespray-state');
  const secrets = join(workDir.root, 'run-secrets');
  return { state, overlay: join(workDir.root, 'kubespray-overlay'), secrets, secretsFile: join(secrets, 'vars.yml') };
}

export interface PlaybookRun {
  container: ContainerRunSpec;
  /** Written into runnerPaths().overlay before the run (the callback plugin is copied there too). */
  overlayFiles: FileToWrite[];
  /** The 0600 vars file with the passwords, or undefined when there is none; removed after the run. */
  secrets: string | undefined;
  logName: string;
  /** The command as a person would type it (for the dry run and the log's head). */
  display: string;
}

/**
 * The container, mounts, files and command of one playbook run. Pure. Passwords never reach the command line or the
 * environment (both are visible in `ps` and `docker inspect`): they go into a 0600 vars file, mounted read-only.
 */
export function planPlaybookRun(input: PlaybookRunInput): PlaybookRun {
  const { spec, workDir, request } = input;
  const paths = runnerPaths(workDir);
  const ssh = spec.config.ssh;
  const mounts: ContainerRunSpec['mounts'] = [
    { source: input.kubesprayDir, target: IN_CONTAINER.kubespray, readOnly: true },
    { source: paths.overlay, target: IN_CONTAINER.overlay, readOnly: true },
    { source: workDir.inventory, target: IN_CONTAINER.inventory, readOnly: true },
    { source: paths.state, target: IN_CONTAINER.state, readOnly: false },
    { source: workDir.knownHosts, target: IN_CONTAINER.known, readOnly: true },
  ];
  // hosts.yml names the key by its path on this machine, and that beats --private-key: mount it at the same path.
  if (ssh.keyFile) mounts.push({ source: ssh.keyFile.path, target: ssh.keyFile.path, readOnly: true });
  const secretVars: Record<string, string> = {};
  if (ssh.password !== undefined) {
    secretVars['ansible_become_pass'] = ssh.password;
    // Without a key, the password logs in too (sshpass in the dev-box).
    if (!ssh.keyFile) secretVars['ansible_ssh_pass'] = ssh.password;
  }
  const secrets = Object.keys(secretVars).length > 0 ? jsonVars(secretVars) : undefined;
  if (secrets) mounts.push({ source: paths.secretsFile, target: IN_CONTAINER.secrets, readOnly: true });

  const runnerVars: Record<string, string> = {
    // kubespray writes these into the inventory's directory by default, which is read-only here and replaced by
    // every render: keep them with the cluster's state instead, so a rerun finds the same credentials.
    credentials_dir: `${IN_CONTAINER.state}/credentials`,
    artifacts_dir: `${IN_CONTAINER.state}/artifacts`,
  };
  const args = [
    'ansible-playbook',
    '-i',
    `${IN_CONTAINER.inventory}/hosts.yml`,
    `${request.playbook}.yml`,
    '--become',
    '--become-user=root',
    '-e',
    `@${IN_CONTAINER.inventory}/openpai.yml`,
    '-e',
    `@${IN_CONTAINER.overlay}/runner-vars.json`,
  ];
  if (secrets) args.push('-e', `@${IN_CONTAINER.secrets}`);
  const hosts = request.hosts ?? [];
  if (request.playbook === 'scale' && hosts.length > 0) args.push('--limit', hosts.join(','));
  if (request.playbook === 'remove-node') {
    // remove-node.yml splits `node` before any default, and prompts unless confirmed (kubespray-2.11.md §4).
    args.push('-e', `node=${hosts.join(',')}`, '-e', 'delete_nodes_confirmation=yes');
  }
  if (request.playbook === 'reset') args.push('-e', 'reset_confirmation=yes');
  args.push(...request.passThrough);

  const stamp = input.startedAt.toISOString().replace(/[:.]/g, '-');
  return {
    container: {
      image: input.image,
      name: `pai-deploy-${spec.config.clusterId}-${request.playbook}-${input.token}`,
      labels: {
        'pai-deploy.cluster': spec.config.clusterId,
        'pai-deploy.playbook': request.playbook,
        'pai-deploy.work-dir': workDir.root,
      },
      mounts,
      env: {
        ANSIBLE_CONFIG: `${IN_CONTAINER.overlay}/ansible.cfg`,
        PAI_DEPLOY_EVENT_TOKEN: input.token,
        PYTHONUNBUFFERED: '1',
        ANSIBLE_FORCE_COLOR: '0',
      },
      workingDir: IN_CONTAINER.kubespray,
      command: args,
      network: input.network,
    },
    overlayFiles: [
      {
        path: 'ansible.cfg',
        content: renderAnsibleCfg({ forks: input.forks }),
        mode: 0o644,
        description: 'ansible.cfg',
      },
      {
        path: 'runner-vars.json',
        content: jsonVars(runnerVars),
        mode: 0o644,
        description: "where kubespray keeps the cluster's credentials and artifacts",
      },
    ],
    secrets,
    logName: `${stamp}-${request.playbook}.log`,
    display: `docker run --network ${input.network} ${input.image} ${args.join(' ')}`,
  };
}

/** JSON is YAML, and exact for any string (Ansible's -e @file reads both). */
function jsonVars(vars: Record<string, string>): string {
  return `${JSON.stringify(vars, null, 2)}\n`;
}
