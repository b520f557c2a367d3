import { PaiDeployError } from '../../errors.js';
import type { KubeApi, KubeObject, KubeObjectRef, ServedResource } from '../../ports/kube-api.js';
import { apiVersionOf } from '../apply/api-versions.js';
import { abortedWith, Collections, watchingApi, type Collection } from './collections.js';
import { formatDuration, workloadName } from './report.js';
import { selectorMatches, type LabelSelector } from './selector.js';
import { servedRef } from './wait.js';
import { isWorkloadKind, workloadSelector } from './workload-status.js';

export interface WaitForDeletedOptions {
  timeoutMs: number;
  signal: AbortSignal;
  onProgress?: (statuses: DeletionStatus[]) => void;
}

export interface DeletionStatus {
  ref: KubeObjectRef;
  /** The object and every pod of it are gone. */
  gone: boolean;
  /** `gone`, `deleting (finalizers: foregroundDeletion)`, `still there, not being deleted`. */
  object: string;
  /** Its pods still there: `rest-server-x (Terminating on pai-worker-01)`. */
  podsLeft: string[];
  /** Of those, pods no owner holds any more (deleted with propagationPolicy Orphan). */
  orphaned: number;
  /** Whether its pods have been listed yet (before that, podsLeft says nothing). */
  podsRead: boolean;
}

/**
 * Waits by list + watch until the objects are gone and so are their pods, for stop and delete: with Background
 * propagation the object goes at once and the garbage collector removes its ReplicaSets and pods after it; with
 * Foreground the object stays (deletionTimestamp, finalizer foregroundDeletion) until they are gone; either way
 * the wait ends when nothing is left. Pods left with no owner (Orphan propagation, the default of a batch/v1 Job
 * deleted without a policy) keep it waiting and are named. Pass the manifests (KubeObject) rather than refs when
 * the objects may be gone already: their selectors find the pods then. Rejects with WorkloadsNotDeletedError at
 * the timeout.
 */
export async function waitForDeleted(
  api: KubeApi,
  targets: readonly (KubeObjectRef | KubeObject)[],
  options: WaitForDeletedOptions,
): Promise<void> {
  const started = Date.now();
  const watching = watchingApi(api);
  const served = await watching.served(options.signal);
  const entries = targets.map((target) => {
    const manifest = 'metadata' in target ? target : undefined;
    const ref = resolve(
      manifest !== undefined
        ? {
            apiVersion: manifest.apiVersion,
            kind: manifest.kind,
            name: manifest.metadata.name,
            ...(manifest.metadata.namespace !== undefined ? { namespace: manifest.metadata.namespace } : {}),
          }
        : (target as KubeObjectRef),
      served,
    );
    return {
      ref,
      selector: manifest !== undefined ? workloadSelector(manifest) : undefined,
      uid: undefined as string | undefined,
    };
  });
  if (entries.length === 0) return;

  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let scheduled: NodeJS.Timeout | undefined;
  let done: (() => void) | undefined;
  const finished = new Promise<'done'>((resolve) => (done = () => resolve('done')));
  let lastProgress = '';
  let heldBack: NodeJS.Timeout | undefined;
  const collections = new Collections(watching, signal, () => {
    scheduled ??= setTimeout(() => {
      scheduled = undefined;
      evaluate();
    }, 25);
  });

  const objectsOf = (ref: KubeObjectRef): Collection =>
    collections.get({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
    });

  const statuses = (): DeletionStatus[] =>
    entries.map((entry) => {
      const { ref } = entry;
      const objects = objectsOf(ref);
      const live = objects.objects.get(ref.name);
      if (live !== undefined) {
        entry.uid = live.metadata.uid;
        entry.selector ??= workloadSelector(live);
      }
      const object = !objects.synced ? 'not read yet' : live === undefined ? 'gone' : objectState(live);
      let podsLeft: KubeObject[] = [];
      let podsKnown = true;
      if (isWorkloadKind(ref.kind) && ref.kind !== 'Pod' && ref.namespace !== undefined) {
        // A Job's pods carry job-name whatever selector the server generated for it.
        const selector: LabelSelector | undefined =
          entry.selector ?? (ref.kind === 'Job' ? { matchLabels: { 'job-name': ref.name } } : undefined);
        const pods = collections.scoped(
          `${ref.kind}/${ref.namespace}/${ref.name}`,
          { apiVersion: 'v1', kind: 'Pod' },
          ref.namespace,
          selector,
        );
        podsKnown = pods.synced;
        podsLeft = [...pods.objects.values()].filter((pod) => belongsTo(pod, ref, entry.uid, selector));
      }
      const orphaned = podsLeft.filter((pod) => controllerOf(pod) === undefined).length;
      return {
        ref,
        gone: objects.synced && live === undefined && podsKnown && podsLeft.length === 0,
        object,
        podsLeft: podsLeft
          .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
          .map((pod) => {
            const node = (pod['spec'] as { nodeName?: string } | undefined)?.nodeName;
            const state = pod.metadata['deletionTimestamp'] !== undefined ? 'Terminating' : podPhase(pod);
            return `${pod.metadata.name} (${state}${node ? ` on ${node}` : ''})`;
          }),
        orphaned,
        podsRead: podsKnown,
      };
    });

  const evaluate = (): void => {
    if (signal.aborted) return;
    const now = statuses();
    const line = now.map(formatDeletionStatus).join('\n');
    // As for readiness: no line before the pods are listed, for a while.
    const early =
      now.some((status) => status.object === 'not read yet' || !status.podsRead) && Date.now() - started < 3_000;
    if (early) heldBack ??= setTimeout(evaluate, 3_000);
    if (options.onProgress !== undefined && line !== lastProgress && !early) {
      lastProgress = line;
      options.onProgress(now);
    }
    if (now.every((status) => status.gone)) done?.();
  };

  for (const entry of entries) objectsOf(entry.ref);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, options.timeoutMs - (Date.now() - started)));
  });
  const aborted = abortedWith(options.signal);
  try {
    const outcome = await Promise.race([finished, timedOut, collections.failed, aborted.promise]);
    stop.abort(new PaiDeployError('deletion wait over'));
    if (outcome === 'done') return;
    throw new WorkloadsNotDeletedError(statuses(), Date.now() - started);
  } finally {
    clearTimeout(timer);
    clearTimeout(scheduled);
    clearTimeout(heldBack);
    aborted.dispose();
    stop.abort(new PaiDeployError('deletion wait over'));
  }
}

function resolve(ref: KubeObjectRef, served: readonly ServedResource[]): KubeObjectRef {
  if (isWorkloadKind(ref.kind)) return servedRef(ref, served);
  if (served.some((resource) => resource.kind === ref.kind && apiVersionOf(resource) === ref.apiVersion)) return ref;
  // Another kind at a group version this server no longer serves (rbac/v1beta1 on a current server): its kind at
  // any served version is the same object.
  const other = served.find((resource) => resource.kind === ref.kind);
  if (other === undefined) {
    throw new PaiDeployError(`the API server serves no ${ref.kind} (asked for ${ref.apiVersion})`, {
      hint: 'A kind that is not served has no objects to wait for: leave it out (a CRD deleted already removed them).',
    });
  }
  return { ...ref, apiVersion: apiVersionOf(other) };
}

function objectState(object: KubeObject): string {
  if (object.metadata['deletionTimestamp'] === undefined) return 'still there, not being deleted';
  const finalizers = (object.metadata['finalizers'] as string[] | undefined) ?? [];
  return finalizers.length > 0 ? `deleting (finalizers: ${finalizers.join(', ')})` : 'deleting';
}

function podPhase(pod: KubeObject): string {
  return (pod['status'] as { phase?: string } | undefined)?.phase ?? 'Pending';
}

function controllerOf(object: KubeObject): { kind?: string; name?: string; uid?: string } | undefined {
  const owners = object.metadata['ownerReferences'] as
    Array<{ kind?: string; name?: string; uid?: string; controller?: boolean }> | undefined;
  return owners?.find((owner) => owner.controller === true);
}

/**
 * Whether a pod is one of the target's, also once the target is gone: its controller is the target (by uid, or
 * by kind and name when the uid was never seen), for a Deployment one of its ReplicaSets (named after it: the
 * name, a dash and the pod-template hash), or it has no controller left and the target's selector selects it.
 */
function belongsTo(
  pod: KubeObject,
  ref: KubeObjectRef,
  uid: string | undefined,
  selector: LabelSelector | undefined,
): boolean {
  const owner = controllerOf(pod);
  if (owner === undefined) return selector !== undefined && selectorMatches(selector, pod.metadata.labels);
  if (uid !== undefined && owner.uid === uid) return true;
  if (ref.kind === 'Deployment') {
    return (
      owner.kind === 'ReplicaSet' &&
      owner.name !== undefined &&
      new RegExp(`^${escape(ref.name)}-[a-z0-9]+$`).test(owner.name)
    );
  }
  return owner.kind === ref.kind && owner.name === ref.name;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `deployment default/rest-server: deleting (finalizers: foregroundDeletion); 2 pods left: a (Terminating on n1), …` */
export function formatDeletionStatus(status: DeletionStatus): string {
  const head = `${workloadName(status.ref)}: ${status.object}`;
  if (status.podsLeft.length === 0) return head;
  const shown = status.podsLeft.slice(0, 3).join(', ');
  const more = status.podsLeft.length > 3 ? `, ${status.podsLeft.length - 3} more` : '';
  return `${head}; ${status.podsLeft.length} pod${status.podsLeft.length === 1 ? '' : 's'} left: ${shown}${more}`;
}

/** Objects or their pods still there at the end of waitForDeleted. */
export class WorkloadsNotDeletedError extends PaiDeployError {
  readonly statuses: readonly DeletionStatus[];
  constructor(statuses: readonly DeletionStatus[], elapsedMs: number) {
    const left = statuses.filter((status) => !status.gone);
    const orphaned = left.some((status) => status.orphaned > 0);
    const terminating = left.some((status) => status.podsLeft.some((pod) => pod.includes('(Terminating')));
    const lines = left.map(formatDeletionStatus);
    if (orphaned) {
      lines.push(
        'note: pods with no owner were left behind: deleted with propagationPolicy Orphan (what a batch/v1 Job gets when the delete names no policy)',
      );
    }
    super(`${left.length} of ${statuses.length} not gone after ${formatDuration(elapsedMs)}:\n${lines.join('\n')}`, {
      hint: orphaned
        ? 'Delete the pods named above, and delete with propagationPolicy Background or Foreground so the pods go with their owner.'
        : terminating
          ? 'Pods stay Terminating while their node does not confirm (a kubelet that is down): bring the node back, or remove the pods with --force --grace-period=0 once the node is gone for good.'
          : 'An object with finalizers waits for the controller that owns them; check that it runs.',
    });
    this.statuses = statuses;
  }
}
