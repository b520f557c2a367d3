import type { KubeApi, KubeObject, KubeObjectRef } from '../../ports/kube-api.js';
import { selectorQuery } from './selector.js';
import { servedRef } from './wait.js';
import { podsOfWorkload, workloadSelector, workloadStatus, type WorkloadStatus } from './workload-status.js';

/**
 * Each workload's status now, by the same rules as waitForWorkloads, from one read of each (and of its pods):
 * for a status command, which waits for nothing. Needs only get and list, so any KubeApi will do.
 */
export async function readWorkloadStatuses(
  api: KubeApi,
  refs: readonly KubeObjectRef[],
  signal: AbortSignal,
): Promise<WorkloadStatus[]> {
  if (refs.length === 0) return [];
  const served = await api.served(signal);
  return Promise.all(
    refs.map(async (written) => {
      const ref = servedRef(written, served);
      const workload = await api.get(ref, signal);
      if (workload === undefined) return workloadStatus(ref, undefined, []);
      if (workload.kind === 'Pod') return workloadStatus(ref, workload, [workload]);
      const selector = workloadSelector(workload);
      const labelSelector = selector === undefined ? undefined : selectorQuery(selector);
      const scope = { namespace: ref.namespace, ...(labelSelector ? { labelSelector } : {}) };
      const [pods, replicaSets] = await Promise.all([
        api.list({ apiVersion: 'v1', kind: 'Pod', ...scope }, signal),
        workload.kind === 'Deployment'
          ? api.list({ apiVersion: ref.apiVersion, kind: 'ReplicaSet', ...scope }, signal)
          : Promise.resolve<KubeObject[]>([]),
      ]);
      return workloadStatus(ref, workload, podsOfWorkload(workload, pods, replicaSets));
    }),
  );
}
