import { PaiDeployError } from '../errors.js';
import type { KubeApi, KubeObject } from '../ports/kube-api.js';

/**
 * `kubectl drain` for the nodes `machine remove` takes out: cordon (spec.unschedulable), then evict every pod that
 * would move (not those of DaemonSets, which the node's removal ends anyway, nor mirror pods of static manifests)
 * through the Eviction API, so PodDisruptionBudgets are respected: a blocked eviction is asked again until the
 * timeout. Done when the pods are gone.
 */
export interface DrainOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** The Eviction's apiVersion for this server (policy/v1beta1 before Kubernetes 1.22). */
  evictionApiVersion: string;
  pollMs?: number;
  onProgress?: (line: string) => void;
}

export interface DrainResult {
  node: string;
  /** False when there is no such node (already removed): nothing to drain. */
  found: boolean;
  evicted: string[];
  /** DaemonSet and mirror pods, left to go with the node. */
  left: string[];
  /** Evicted pods no controller owns: gone for good (kubectl drain refuses them without --force). */
  unmanaged: string[];
}

export const podName = (pod: KubeObject) => `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;

/** A pod no controller (ReplicaSet, StatefulSet, Job…) owns: evicted, nothing recreates it. */
export function unmanaged(pod: KubeObject): boolean {
  return ((pod.metadata as { ownerReferences?: unknown[] }).ownerReferences ?? []).length === 0;
}

/** Whether the pod moves away in a drain (kubectl drain --ignore-daemonsets). */
export function evictable(pod: KubeObject): boolean {
  const owners = (pod.metadata as { ownerReferences?: Array<{ kind?: string }> }).ownerReferences ?? [];
  if (owners.some((owner) => owner.kind === 'DaemonSet')) return false;
  if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false;
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export function evictionApiVersion(minor: number): string {
  return minor >= 22 ? 'policy/v1' : 'policy/v1beta1';
}

export async function drainNode(api: KubeApi, node: string, options: DrainOptions): Promise<DrainResult> {
  const { signal } = options;
  const current = await api.get({ apiVersion: 'v1', kind: 'Node', name: node }, signal);
  if (!current) return { node, found: false, evicted: [], left: [], unmanaged: [] };
  if (!api.evict) throw new Error('pai-deploy bug: this Kubernetes client cannot evict pods');
  await api.patch(
    { apiVersion: 'v1', kind: 'Node', name: node },
    { type: 'merge', body: { spec: { unschedulable: true } } },
    {},
    signal,
  );
  const onNode = async () =>
    api.list({ apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${node}` }, signal);
  const pods = await onNode();
  const moving = pods.filter(evictable);
  const left = pods.filter((pod) => !evictable(pod)).map(podName);
  const loose = moving.filter(unmanaged).map(podName);
  const deadline = Date.now() + options.timeoutMs;
  const pending = new Map(moving.map((pod) => [podName(pod), pod]));
  const blocked = new Set<string>();
  const evicted: string[] = [];
  for (;;) {
    blocked.clear();
    for (const [name, pod] of pending) {
      const outcome = await api.evict(
        { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name },
        options.evictionApiVersion,
        {},
        signal,
      );
      if (outcome === 'blocked') blocked.add(name);
      else {
        pending.delete(name);
        evicted.push(name);
      }
    }
    // Evicted pods terminate with their grace period: wait until none of them is on the node any more.
    const still = (await onNode()).filter(evictable).map(podName);
    options.onProgress?.(`${node}: ${evicted.length} evicted, ${still.length} still there`);
    if (pending.size === 0 && still.length === 0) return { node, found: true, evicted, left, unmanaged: loose };
    if (Date.now() >= deadline) throw new DrainTimeoutError(node, still, [...blocked], options.timeoutMs);
    await sleep(options.pollMs ?? 2_000, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

/** A drain that did not finish in time: which pods are left and which a PodDisruptionBudget holds. */
export class DrainTimeoutError extends PaiDeployError {
  constructor(node: string, left: readonly string[], blocked: readonly string[], timeoutMs: number) {
    super(
      `draining ${node} did not finish in ${Math.round(timeoutMs / 1000)} s: ${left.length} pod(s) still there${blocked.length > 0 ? `, ${blocked.length} held by a PodDisruptionBudget (${blocked.slice(0, 5).join(', ')})` : ''}`,
      {
        hint: 'The node stays cordoned and in the cluster. Let the budget allow it (scale the workload up elsewhere) or wait, then run the same command again; --drain-timeout allows more time.',
      },
    );
  }
}
