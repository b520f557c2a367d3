import { waitForDeleted } from '../../cluster/readiness/deleted.js';
import { formatWorkloadStatus } from '../../cluster/readiness/report.js';
import { readWorkloadStatuses } from '../../cluster/readiness/status-now.js';
import { waitForWorkloads } from '../../cluster/readiness/wait.js';
import type { WorkloadWaiter } from '../../cluster/services/run-steps.js';
import type { KubeApi, KubeObjectRef } from '../../ports/kube-api.js';
import type { WorkloadState } from './services.js';

/** Readiness and deletion waits over list + watch (src/cluster/readiness/), as the services' steps need them. */
export function workloadWaiter(api: KubeApi): WorkloadWaiter {
  return {
    ready: async (refs, options) => {
      await waitForWorkloads(api, refs, {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        ...(options.onProgress
          ? {
              onProgress: (statuses) =>
                options.onProgress?.(
                  statuses
                    .filter((status) => status.state !== 'ready')
                    .map(formatWorkloadStatus)
                    .join('; ') || 'ready',
                ),
            }
          : {}),
      });
    },
    gone: (refs, options) => waitForDeleted(api, refs, options),
  };
}

/** Each workload's state now, read once (no watch): for `service status`. */
export async function workloadStates(
  api: KubeApi,
  refs: readonly KubeObjectRef[],
  signal: AbortSignal,
): Promise<WorkloadState[]> {
  const statuses = await readWorkloadStatuses(
    api,
    refs.map((ref) => ({ ...ref, namespace: ref.namespace ?? 'default' })),
    signal,
  );
  return statuses.map(({ ref, state, summary, notes }) => ({ ref, state, summary, notes }));
}
