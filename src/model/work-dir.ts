import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * One work dir per cluster: every phase of the pipeline reads and writes below it, so a cluster's state
 * (rendered inventory, kubespray credentials and artifacts, known_hosts, logs, kubeconfig) lives in one place.
 */
export interface WorkDir {
  root: string;
  inventory: string;
  clusterCfg: string;
  /** kubespray's credentials/ and artifacts/ (admin.conf) land in inventory/, as kubespray writes them there. */
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
  return {
    root,
    inventory: join(root, 'inventory'),
    clusterCfg: join(root, 'cluster-cfg'),
    artifacts: join(root, 'inventory', 'artifacts'),
    knownHosts: join(root, 'known_hosts'),
    logs: join(root, 'logs'),
    kubeconfig: join(root, 'inventory', 'artifacts', 'admin.conf'),
  };
}
