import type { KubeObject, KubeObjectRef } from '../../ports/kube-api.js';
import { isPodReady, podProblem, podStatusOf, type PodProblem } from './pod-problems.js';
import { selectorMatches, type LabelSelector } from './selector.js';

/**
 * When a workload counts as ready, from its status as its controller writes it (the same counts `kubectl rollout
 * status` reads), never from pods found by label: a DaemonSet is ready when every node it is scheduled to runs a
 * ready pod of the current template, however many nodes that is.
 */
export const WORKLOAD_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

/**
 * `ready`; `waiting` (not yet); `failed` (it will not get ready by waiting: a Job's Failed condition, a
 * Deployment past its progress deadline, a failed Pod); `missing` (no such object).
 */
export type WorkloadState = 'ready' | 'waiting' | 'failed' | 'missing';

export interface WorkloadStatus {
  ref: KubeObjectRef;
  state: WorkloadState;
  /** The counts: `0/1 available`, `2 of 3 ready`, `complete`, `not found`. */
  summary: string;
  /** What else matters: `0 nodes to run on: nodeSelector pai-worker=true matches no node`, `paused`. */
  notes: string[];
  /** Its pods that are not ready, and why (the first ones by name). */
  pods: PodProblem[];
  /** How many of its pods are not ready (pods may list fewer). */
  podsNotReady: number;
}

/** How many not-ready pods a status names; the rest are counted. */
export const PODS_NAMED = 5;

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface WorkloadShape {
  spec?: {
    replicas?: number;
    paused?: boolean;
    suspend?: boolean;
    completions?: number | null;
    parallelism?: number;
    selector?: LabelSelector;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    template?: { spec?: { nodeSelector?: Record<string, string> } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    updatedNumberScheduled?: number;
    numberMisscheduled?: number;
    succeeded?: number;
    failed?: number;
    active?: number;
    conditions?: Condition[];
  };
}

/** The label selector a workload's controller counts its pods by (a Job's is the one the server generated). */
export function workloadSelector(workload: KubeObject): LabelSelector | undefined {
  return (workload as WorkloadShape).spec?.selector;
}

/**
 * The workload's pods among `pods` (its namespace): matching its selector and owned by it (a Deployment's through
 * one of its ReplicaSets among `replicaSets`), so another workload's pods with overlapping labels are not counted.
 */
export function podsOfWorkload(
  workload: KubeObject,
  pods: Iterable<KubeObject>,
  replicaSets: Iterable<KubeObject> = [],
): KubeObject[] {
  if (workload.kind === 'Pod') return [workload];
  const selector = workloadSelector(workload);
  const uid = workload.metadata.uid;
  const owners = new Set<string>();
  if (workload.kind === 'Deployment') {
    for (const replicaSet of replicaSets) {
      if (controllerUid(replicaSet) === uid && replicaSet.metadata.uid) owners.add(replicaSet.metadata.uid);
    }
  } else if (uid !== undefined) {
    owners.add(uid);
  }
  const mine: KubeObject[] = [];
  for (const pod of pods) {
    if (selector !== undefined && !selectorMatches(selector, pod.metadata.labels)) continue;
    const owner = controllerUid(pod);
    if (owner === undefined || !owners.has(owner)) continue;
    mine.push(pod);
  }
  return mine.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** The uid of the object's controlling owner (ownerReferences with controller: true). */
export function controllerUid(object: KubeObject): string | undefined {
  const owners = object.metadata['ownerReferences'] as Array<{ uid?: string; controller?: boolean }> | undefined;
  return owners?.find((owner) => owner.controller === true)?.uid;
}

/** The workload's status now; `pods` are its own (podsOfWorkload). */
export function workloadStatus(
  ref: KubeObjectRef,
  workload: KubeObject | undefined,
  pods: readonly KubeObject[],
): WorkloadStatus {
  if (workload === undefined) {
    return { ref, state: 'missing', summary: 'not found', notes: [], pods: [], podsNotReady: 0 };
  }
  const counted = countsOf(workload);
  const problems: PodProblem[] = [];
  for (const pod of pods) {
    const problem = podProblem(pod);
    if (problem !== undefined) problems.push(problem);
  }
  // A ready workload can still have pods on their way out (a finished rollout's old pods): not worth naming.
  const named = counted.state === 'ready' ? [] : problems;
  return {
    ref,
    state: counted.state,
    summary: counted.summary,
    notes: counted.notes,
    pods: named.slice(0, PODS_NAMED),
    podsNotReady: named.length,
  };
}

interface Counted {
  state: WorkloadState;
  summary: string;
  notes: string[];
}

function countsOf(workload: KubeObject): Counted {
  const shape = workload as WorkloadShape;
  const generation = (workload.metadata['generation'] as number | undefined) ?? 0;
  const observed = shape.status?.observedGeneration ?? 0;
  // Until the controller has seen the latest spec, its counts are about the previous one.
  const current = observed >= generation;
  const notes: string[] = [];
  if (!current) notes.push('its controller has not seen the latest change yet');
  switch (workload.kind as WorkloadKind) {
    case 'Deployment':
      return deployment(shape, current, notes);
    case 'DaemonSet':
      return daemonSet(shape, current, notes);
    case 'StatefulSet':
      return statefulSet(shape, current, notes);
    case 'Job':
      return job(shape, notes);
    case 'Pod':
      return pod(workload);
    default:
      return { state: 'waiting', summary: `a ${workload.kind} is not a workload`, notes };
  }
}

function deployment(shape: WorkloadShape, current: boolean, notes: string[]): Counted {
  const desired = shape.spec?.replicas ?? 1;
  const status = shape.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const total = status.replicas ?? 0;
  const summary = `${available}/${desired} available${updated < desired ? `, ${updated} updated` : ''}`;
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    // The controller gave up (spec.progressDeadlineSeconds, 600 s by default): waiting longer changes nothing.
    return { state: 'failed', summary, notes: [...notes, `ProgressDeadlineExceeded: ${progressing.message ?? ''}`] };
  }
  const ready = current && updated === desired && total === desired && available === desired;
  if (!ready && total > desired) notes.push(`${total - desired} pod(s) of an older version still running`);
  if (!ready && shape.spec?.paused === true) notes.push('the Deployment is paused: its rollout does not progress');
  if (ready && desired === 0) notes.push('scaled to 0 replicas');
  return { state: ready ? 'ready' : 'waiting', summary, notes };
}

function daemonSet(shape: WorkloadShape, current: boolean, notes: string[]): Counted {
  const status = shape.status ?? {};
  const desired = status.desiredNumberScheduled ?? 0;
  const ready = status.numberReady ?? 0;
  const updated = status.updatedNumberScheduled ?? 0;
  // OnDelete (the default of extensions/v1beta1, which old manifests were created with) replaces a pod only when
  // someone deletes it, so the new template need not be on every node.
  const onDelete = shape.spec?.updateStrategy?.type === 'OnDelete';
  const allReady = current && ready === desired && (onDelete || updated === desired);
  const summary = `${ready} of ${desired} ready${!onDelete && updated < desired ? `, ${updated} updated` : ''}`;
  if (current && desired === 0) {
    const selector = shape.spec?.template?.spec?.nodeSelector;
    const selected =
      selector !== undefined && Object.keys(selector).length > 0
        ? `nodeSelector ${Object.entries(selector)
            .map(([key, value]) => `${key}=${value}`)
            .join(',')}`
        : 'its node affinity and tolerations';
    notes.push(`0 nodes to run on: ${selected} matches no schedulable node (ready, as there is nothing to run)`);
  }
  if ((status.numberMisscheduled ?? 0) > 0) {
    notes.push(`${status.numberMisscheduled} pod(s) on nodes it should not run on`);
  }
  return { state: allReady ? 'ready' : 'waiting', summary, notes };
}

function statefulSet(shape: WorkloadShape, current: boolean, notes: string[]): Counted {
  const desired = shape.spec?.replicas ?? 1;
  const status = shape.status ?? {};
  const ready = status.readyReplicas ?? 0;
  const total = status.replicas ?? 0;
  const strategy = shape.spec?.updateStrategy;
  let revisionDone: boolean;
  if (strategy?.type === 'OnDelete') {
    // Pods get the new revision only when deleted: not something waiting brings about.
    revisionDone = true;
  } else if ((strategy?.rollingUpdate?.partition ?? 0) > 0) {
    // A partitioned (staged) rollout updates only the ordinals at or above the partition.
    revisionDone = (status.updatedReplicas ?? 0) >= desired - (strategy?.rollingUpdate?.partition ?? 0);
  } else {
    revisionDone = status.currentRevision !== undefined && status.currentRevision === status.updateRevision;
  }
  const allReady = current && ready === desired && total === desired && revisionDone;
  if (!allReady && !revisionDone) notes.push(`rolling to revision ${status.updateRevision ?? '?'}`);
  return { state: allReady ? 'ready' : 'waiting', summary: `${ready} of ${desired} ready`, notes };
}

function job(shape: WorkloadShape, notes: string[]): Counted {
  const status = shape.status ?? {};
  const conditions = status.conditions ?? [];
  const holds = (type: string): Condition | undefined =>
    conditions.find((condition) => condition.type === type && condition.status === 'True');
  const succeeded = status.succeeded ?? 0;
  const completions = shape.spec?.completions ?? undefined;
  if (holds('Complete')) return { state: 'ready', summary: 'complete', notes };
  // FailureTarget (1.26+) comes first, Failed once its pods have ended: either way the Job will not complete.
  const failed = holds('Failed') ?? holds('FailureTarget');
  if (failed !== undefined) {
    const why = [failed.reason, failed.message].filter(Boolean).join(': ');
    return { state: 'failed', summary: `failed${why ? `: ${why}` : ''}`, notes };
  }
  if (shape.spec?.suspend === true) notes.push('the Job is suspended');
  const summary =
    completions === undefined || completions === null
      ? `${succeeded} succeeded, ${status.active ?? 0} running`
      : `${succeeded} of ${completions} succeeded`;
  return {
    state: 'waiting',
    summary: (status.failed ?? 0) > 0 ? `${summary}, ${status.failed} failed` : summary,
    notes,
  };
}

function pod(workload: KubeObject): Counted {
  const status = podStatusOf(workload);
  if (status.phase === 'Succeeded') return { state: 'ready', summary: 'succeeded', notes: [] };
  if (status.phase === 'Failed') {
    return { state: 'failed', summary: `failed${status.reason ? `: ${status.reason}` : ''}`, notes: [] };
  }
  if (isPodReady(workload)) return { state: 'ready', summary: 'ready', notes: [] };
  return { state: 'waiting', summary: `${status.phase ?? 'Pending'}, not ready`, notes: [] };
}
