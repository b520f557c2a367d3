import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';

export class KubeconfigError extends Error {}

/**
 * kubespray's admin.conf with every cluster server that points at this machine (localhost, 127.0.0.1, ::1: what a
 * kubeadm-generated file says on a single-master setup behind the local nginx proxy) rewritten to the master's
 * address, port kept; everything else byte-for-byte as kubespray wrote it (comments, order, certificates).
 */
export function rewriteKubeconfig(text: string, masterIp: string): { text: string; servers: string[] } {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new KubeconfigError(`admin.conf is not YAML: ${document.errors[0]!.message}`);
  const clusters = document.get('clusters');
  if (!isSeq(clusters) || clusters.items.length === 0) throw new KubeconfigError('admin.conf names no cluster');
  const servers: string[] = [];
  for (const item of clusters.items) {
    const cluster = isMap(item) ? item.get('cluster', true) : undefined;
    const server = isMap(cluster) ? cluster.get('server', true) : undefined;
    if (!isScalar(server) || typeof server.value !== 'string') throw new KubeconfigError('a cluster has no server');
    let url: URL;
    try {
      url = new URL(server.value);
    } catch {
      throw new KubeconfigError(`the server ${JSON.stringify(server.value)} is not a URL`);
    }
    if (['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
      url.hostname = masterIp;
      server.value = url.toString().replace(/\/$/, '');
    }
    servers.push(String(server.value));
  }
  return { text: document.toString(), servers };
}

interface Named {
  name: string;
  [key: string]: unknown;
}

interface KubeconfigShape {
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [key: string]: unknown;
}

/**
 * Merges the cluster's admin kubeconfig into a user's kubeconfig under one name, as kubectl names things: a
 * cluster and a context called `name`, a user `name-admin`. Entries of other names are kept as they are; entries of
 * these names are replaced (a rerun updates them). current-context changes only when `use` is set.
 */
export function mergeKubeconfig(
  existing: string | undefined,
  admin: string,
  name: string,
  use: boolean,
): { text: string; replaced: boolean } {
  const source = parseKubeconfig(admin, 'the admin kubeconfig');
  const target: KubeconfigShape = existing?.trim()
    ? parseKubeconfig(existing, 'the kubeconfig to merge into')
    : { apiVersion: 'v1', kind: 'Config', preferences: {}, clusters: [], users: [], contexts: [] };
  const currentName = source['current-context'];
  const context = source.contexts?.find((entry) => entry.name === currentName) ?? source.contexts?.[0];
  const contextBody = (context?.['context'] ?? {}) as { cluster?: string; user?: string };
  const cluster = source.clusters?.find((entry) => entry.name === contextBody.cluster) ?? source.clusters?.[0];
  const user = source.users?.find((entry) => entry.name === contextBody.user) ?? source.users?.[0];
  if (!cluster || !user) throw new KubeconfigError('the admin kubeconfig has no cluster or no user');
  const userName = `${name}-admin`;
  let replaced = false;
  const put = (list: Named[] | undefined, entry: Named): Named[] => {
    const others = (list ?? []).filter((item) => item.name !== entry.name);
    if (others.length !== (list ?? []).length) replaced = true;
    return [...others, entry];
  };
  target.clusters = put(target.clusters, { ...cluster, name });
  target.users = put(target.users, { ...user, name: userName });
  target.contexts = put(target.contexts, { name, context: { cluster: name, user: userName } });
  if (use || !target['current-context']) target['current-context'] = name;
  return { text: stringify(target), replaced };
}

function parseKubeconfig(text: string, what: string): KubeconfigShape {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new KubeconfigError(`${what} is not YAML: ${document.errors[0]!.message}`);
  const value: unknown = document.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new KubeconfigError(`${what} is not a kubeconfig (not a mapping)`);
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const list = (value as KubeconfigShape)[key];
    if (list !== undefined && list !== null && !Array.isArray(list))
      throw new KubeconfigError(`${what}: ${key} is not a list`);
    if (list === null) (value as KubeconfigShape)[key] = [];
  }
  return value as KubeconfigShape;
}
