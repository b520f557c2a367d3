import type { LiveContainer, LiveNode, LivePod } from '../openpai/hived-config.js';
import type { KubeApi, KubeObject } from '../ports/kube-api.js';
import type { NodeView } from './nodes.js';

/** The nodes as the hived computation reads them. */
export function liveNodes(nodes: readonly NodeView[]): LiveNode[] {
  return nodes.map((node) => ({ name: node.name, allocatable: node.allocatable }));
}

/**
 * Every pod that holds resources on a node, as the hived computation reads them: the ones not yet finished
 * (Succeeded and Failed pods hold nothing; the field selector leaves them out on the server).
 */
export async function livePods(api: KubeApi, signal: AbortSignal): Promise<LivePod[]> {
  const pods = await api.list(
    { apiVersion: 'v1', kind: 'Pod', fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' },
    signal,
  );
  return pods.map(livePod);
}

interface PodSpec {
  nodeName?: string;
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  overhead?: Record<string, string>;
}

interface ContainerSpec {
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  restartPolicy?: string;
}

export function livePod(pod: KubeObject): LivePod {
  const spec = (pod['spec'] ?? {}) as PodSpec;
  const status = (pod['status'] ?? {}) as { phase?: string };
  const container = (c: ContainerSpec): LiveContainer => ({
    requests: { ...(c.resources?.requests ?? {}) },
    limits: { ...(c.resources?.limits ?? {}) },
    restartPolicy: c.restartPolicy,
  });
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    labels: { ...(pod.metadata.labels ?? {}) },
    annotations: { ...(pod.metadata.annotations ?? {}) },
    nodeName: spec.nodeName,
    phase: status.phase ?? 'Pending',
    containers: (spec.containers ?? []).map(container),
    initContainers: (spec.initContainers ?? []).map(container),
    overhead: spec.overhead,
  };
}
