import { setTimeout as sleep } from 'node:timers/promises';
import { PaiDeployError } from '../../errors.js';
import type { KubeApi, KubeObject, KubeObjectRef, ServedResource } from '../../ports/kube-api.js';
import { apiVersionOf } from '../apply/api-versions.js';
import { abortedWith, Collections, watchingApi, type Collection, type WatchingKubeApi } from './collections.js';
import {
  formatWorkloadStatus,
  withDetails,
  WorkloadsNotReadyError,
  type EventSubject,
  type ReadinessReport,
} from './report.js';
import {
  controllerUid,
  isWorkloadKind,
  podsOfWorkload,
  workloadSelector,
  workloadStatus,
  WORKLOAD_KINDS,
  type WorkloadKind,
  type WorkloadStatus,
} from './workload-status.js';

export interface WaitForWorkloadsOptions {
  /** The whole wait, from the call: at the end the report says what was not ready and why. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Every change of the workloads' statuses (not every pod event): for a progress line per workload. */
  onProgress?: (statuses: WorkloadStatus[]) => void;
}

/** How long progress waits for the pods of workloads already read (see evaluate). */
const PROGRESS_HOLD_MS = 3_000;

/**
 * Where each workload kind is served, best first, when a ref names a group version the server does not serve:
 * the counts the readiness rules read are the same in all of them (apps/v1 is served by 1.15 and current alike).
 */
const SERVED_AT: Record<WorkloadKind | 'ReplicaSet', readonly string[]> = {
  Deployment: ['apps/v1', 'apps/v1beta2', 'apps/v1beta1', 'extensions/v1beta1'],
  DaemonSet: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
  StatefulSet: ['apps/v1', 'apps/v1beta2', 'apps/v1beta1'],
  ReplicaSet: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
  Job: ['batch/v1'],
  Pod: ['v1'],
};

/**
 * Waits, by list + watch, until every workload is ready: a Deployment available (its controller has seen the
 * latest spec, every replica updated and available, no old ones left), a DaemonSet ready on every node it is
 * scheduled to (0 such nodes counts, with a note), a StatefulSet ready at its update revision, a Job complete, a
 * Pod Ready. Resolves with the report; a Job that fails (or a Deployment past its progress deadline) ends the wait
 * at once, and so does the timeout: both reject with WorkloadsNotReadyError naming each workload's pods and why
 * they are not ready. An abort of the signal rejects with its reason.
 */
export async function waitForWorkloads(
  api: KubeApi,
  refs: readonly KubeObjectRef[],
  options: WaitForWorkloadsOptions,
): Promise<ReadinessReport> {
  const started = Date.now();
  const watching = watchingApi(api);
  const served = await watching.served(options.signal);
  const resolved = refs.map((ref) => servedRef(ref, served));
  if (resolved.length === 0) return { outcome: 'ready', workloads: [], elapsedMs: 0 };
  const replicaSetVersion = SERVED_AT.ReplicaSet.find((apiVersion) => isServed(served, apiVersion, 'ReplicaSet'));

  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let scheduled: NodeJS.Timeout | undefined;
  let settle: ((outcome: 'ready' | 'failed') => void) | undefined;
  const settled = new Promise<'ready' | 'failed'>((resolve) => (settle = resolve));
  let lastProgress = '';
  let heldBack: NodeJS.Timeout | undefined;

  const collections = new Collections(watching, signal, () => {
    // Events come in bursts (a DaemonSet's pods on 1,000 nodes): evaluate once per burst.
    scheduled ??= setTimeout(() => {
      scheduled = undefined;
      evaluate();
    }, 25);
  });

  const workloadCollection = (ref: KubeObjectRef): Collection =>
    ref.kind === 'Pod'
      ? collections.get({
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: ref.namespace,
          fieldSelector: `metadata.name=${ref.name}`,
        })
      : collections.get({ apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace });

  const replicaSetsOf = (workload: KubeObject): Collection | undefined =>
    workload.kind !== 'Deployment' || replicaSetVersion === undefined
      ? undefined
      : collections.scoped(
          uidOrName(workload),
          { apiVersion: replicaSetVersion, kind: 'ReplicaSet' },
          workload.metadata.namespace ?? '',
          workloadSelector(workload),
        );

  const podsCollectionOf = (workload: KubeObject): Collection =>
    collections.scoped(
      uidOrName(workload),
      { apiVersion: 'v1', kind: 'Pod' },
      workload.metadata.namespace ?? '',
      workloadSelector(workload),
    );

  const current = (): { statuses: WorkloadStatus[]; objects: Array<KubeObject | undefined>; complete: boolean } => {
    const objects: Array<KubeObject | undefined> = [];
    let complete = true;
    const statuses = resolved.map((ref) => {
      const collection = workloadCollection(ref);
      const workload = collection.objects.get(ref.name);
      objects.push(workload);
      complete &&= collection.synced;
      if (!collection.synced) {
        const why = collection.lastError instanceof Error ? `: ${collection.lastError.message}` : '';
        return { ...workloadStatus(ref, undefined, []), state: 'waiting' as const, summary: `not read yet${why}` };
      }
      if (workload === undefined) return workloadStatus(ref, undefined, []);
      if (workload.kind === 'Pod') return workloadStatus(ref, workload, [workload]);
      const pods = podsCollectionOf(workload);
      const replicaSets = replicaSetsOf(workload);
      complete &&= pods.synced && (replicaSets?.synced ?? true);
      return workloadStatus(
        ref,
        workload,
        podsOfWorkload(workload, pods.objects.values(), replicaSets?.objects.values()),
      );
    });
    return { statuses, objects, complete };
  };

  const evaluate = (): void => {
    if (signal.aborted) return;
    const { statuses, complete } = current();
    const line = statuses.map(formatWorkloadStatus).join('\n');
    // A workload is read before its pods (their watch starts once its selector is known): a line then would be
    // followed at once by the same line with the pods' reasons. Held back while they are listed, for a while.
    const early = !complete && Date.now() - started < PROGRESS_HOLD_MS;
    if (early) heldBack ??= setTimeout(evaluate, PROGRESS_HOLD_MS);
    if (options.onProgress !== undefined && line !== lastProgress && !early) {
      lastProgress = line;
      options.onProgress(statuses);
    }
    if (statuses.some((status) => status.state === 'failed')) settle?.('failed');
    else if (statuses.every((status) => status.state === 'ready')) settle?.('ready');
  };

  for (const ref of resolved) workloadCollection(ref);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, options.timeoutMs - (Date.now() - started)));
  });
  const aborted = abortedWith(options.signal);
  try {
    const outcome = await Promise.race([settled, timedOut, collections.failed, aborted.promise]);
    const elapsedMs = Date.now() - started;
    if (outcome === 'ready') {
      stop.abort(new PaiDeployError('readiness wait over'));
      const { statuses } = current();
      return { outcome, workloads: statuses.map((status) => ({ ...status, events: [] })), elapsedMs };
    }
    // A Job can fail before the watch of its pods has listed them: give those lists a moment, as the report
    // is about the pods.
    const pending = resolved.flatMap((ref) => {
      const workload = workloadCollection(ref).objects.get(ref.name);
      if (workload === undefined || workload.kind === 'Pod') return [];
      return [podsCollectionOf(workload), replicaSetsOf(workload)].filter((c) => c !== undefined && !c.synced);
    });
    if (pending.length > 0) {
      await Promise.race([
        Promise.all(pending.map((collection) => collection!.whenSynced)),
        sleep(5_000, undefined, { signal: options.signal }),
      ]);
    }
    stop.abort(new PaiDeployError('readiness wait over'));
    const { statuses, objects } = current();
    const subjects = (status: WorkloadStatus): EventSubject[] => {
      const workload = objects[statuses.indexOf(status)];
      if (workload === undefined) return [];
      const list: EventSubject[] = [subjectOf(workload)];
      const replicaSets = replicaSetsOf(workload);
      for (const replicaSet of replicaSets?.objects.values() ?? []) {
        // The ReplicaSets that should have pods: a quota, an admission webhook or a missing ServiceAccount shows
        // there (FailedCreate), on no pod, as none could be created.
        const wanted = ((replicaSet['spec'] as { replicas?: number } | undefined)?.replicas ?? 0) > 0;
        if (wanted && controllerUid(replicaSet) === workload.metadata.uid) list.push(subjectOf(replicaSet));
      }
      for (const pod of status.pods.slice(0, 3)) list.push({ kind: 'Pod', name: pod.pod, uid: undefined });
      return list;
    };
    const workloads = await withDetails(watching, statuses, subjects, options.signal);
    throw new WorkloadsNotReadyError({ outcome, workloads, elapsedMs });
  } finally {
    clearTimeout(timer);
    clearTimeout(scheduled);
    clearTimeout(heldBack);
    aborted.dispose();
    stop.abort(new PaiDeployError('readiness wait over'));
  }
}

/** The ref at a group version the server serves its kind at. */
export function servedRef(ref: KubeObjectRef, served: readonly ServedResource[]): KubeObjectRef {
  if (!isWorkloadKind(ref.kind)) {
    throw new PaiDeployError(`${ref.kind} ${ref.name} is not a workload pai-deploy can wait for`, {
      hint: `Wait for ${WORKLOAD_KINDS.join(', ')} objects only; the other objects of a manifest are there once applied.`,
    });
  }
  if (ref.namespace === undefined) throw new PaiDeployError(`internal: ${ref.kind} ${ref.name} needs a namespace`);
  if (isServed(served, ref.apiVersion, ref.kind)) return ref;
  const apiVersion = SERVED_AT[ref.kind].find((candidate) => isServed(served, candidate, ref.kind));
  if (apiVersion === undefined) {
    throw new PaiDeployError(`the API server serves no ${ref.kind} (asked for ${ref.apiVersion})`, {
      hint: 'Check the server version and its --runtime-config: every supported Kubernetes serves apps/v1 and batch/v1.',
    });
  }
  return { ...ref, apiVersion };
}

function isServed(served: readonly ServedResource[], apiVersion: string, kind: string): boolean {
  return served.some((resource) => resource.kind === kind && apiVersionOf(resource) === apiVersion);
}

function uidOrName(object: KubeObject): string {
  return object.metadata.uid ?? `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function subjectOf(object: KubeObject): EventSubject {
  return { kind: object.kind, name: object.metadata.name, uid: object.metadata.uid };
}

export type { WatchingKubeApi };
