import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * One work dir per cluster: every phase of the pipeline reads and writes below it, so a cluster's state
 * (rendered inventory, kubespray credentials and artifacts, known_hosts, logs, kubeconfig) lives in one place.
 */
export interface WorkDir {
  root: string;
  /** What render writes, as one directory (inventory/ and cluster-cfg/), so that it is replaced in one step. */
  rendered: string;
  inventory: string;
  clusterCfg: string;
  /**
   * kubespray's artifacts (admin.conf, kubectl): the runner points artifacts_dir (and credentials_dir) into the
   * cluster's kubespray-state/, not the inventory's directory, which every render replaces.
   */
  artifacts: string;
  knownHosts: string;
  logs: string;
  kubeconfig: string;
}

export function paiDeployHome(env: NodeJS.ProcessEnv = process.env): string {
  return env['PAI_DEPLOY_HOME'] ? resolve(env['PAI_DEPLOY_HOME']) : join(homedir(), '.pai-deploy');
}

export function workDirFor(clusterId: string, override?: string, env: NodeJS.ProcessEnv = process.env): WorkDir {
  const root = override ? resolve(override) : join(paiDeployHome(env), 'clusters', clusterId);
  const rendered = join(root, 'rendered');
  return {
    root,
    rendered,
    inventory: join(rendered, 'inventory'),
    clusterCfg: join(rendered, 'cluster-cfg'),
    artifacts: join(root, 'kubespray-state', 'artifacts'),
    knownHosts: join(root, 'known_hosts'),
    logs: join(root, 'logs'),
    kubeconfig: join(root, 'kube', 'config'),
  };
}
