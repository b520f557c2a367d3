import { isMap, isScalar, isSeq, parseDocument } from 'yaml';

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
