import type { KubeObject } from '../../ports/kube-api.js';

/**
 * Why a pod is not ready, in the words the kubelet and the scheduler use, so an admin can act on it without
 * `kubectl describe`: the scheduler's message for a Pending pod, the image for a failed pull, the restart count and
 * exit of a crashing container (whose last log lines the report adds), the message of a container that cannot be
 * created (a ConfigMap or Secret it names is missing: OpenPAI's services read several).
 */
export interface PodProblem {
  pod: string;
  namespace: string;
  /** The node it runs on (or is bound to). */
  node: string | undefined;
  /** One line: `ImagePullBackOff openpai/rest-server:v1.8.0`, `Pending: 0/3 nodes are available: …`. */
  reason: string;
  /** Containers whose log explains the problem: a crashed one (its previous instance) or one that ended badly. */
  logsFrom: Array<{ container: string; previous: boolean }>;
  /** Filled in by the report at the end of a wait: the last lines of those logs, or why they could not be read. */
  logs?: PodLogs[];
}

export interface PodLogs {
  container: string;
  previous: boolean;
  /** The last lines (empty when the container wrote nothing), or undefined when they could not be read. */
  lines: string[] | undefined;
  /** Why not, when lines is undefined. */
  unavailable?: string;
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; signal?: number };
}

interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface PodStatusView {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

interface PodSpecView {
  nodeName?: string;
  containers?: Array<{ name: string; image?: string }>;
  initContainers?: Array<{ name: string; image?: string }>;
}

/** The waiting reasons of an image that cannot be had, as the kubelet names them. */
const IMAGE_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'ImageInspectError',
  'RegistryUnavailable',
]);

/** Waiting reasons that mean "not yet", not "broken": their cause, if any, is in the pod's events. */
const STARTING_REASONS = new Set(['ContainerCreating', 'PodInitializing']);

export function podStatusOf(pod: KubeObject): PodStatusView {
  return (pod['status'] ?? {}) as PodStatusView;
}

export function podCondition(pod: KubeObject, type: string): PodCondition | undefined {
  return podStatusOf(pod).conditions?.find((condition) => condition.type === type);
}

export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Why the pod is not ready, or undefined when it is (or has completed successfully). */
export function podProblem(pod: KubeObject): PodProblem | undefined {
  const status = podStatusOf(pod);
  const spec = (pod['spec'] ?? {}) as PodSpecView;
  const problem = (reason: string, logsFrom: PodProblem['logsFrom'] = []): PodProblem => ({
    pod: pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    node: spec.nodeName,
    reason,
    logsFrom,
  });
  if (pod.metadata['deletionTimestamp'] !== undefined) return problem('Terminating');
  if (status.phase === 'Succeeded') return undefined;
  if (status.phase !== 'Failed' && isPodReady(pod)) return undefined;

  const scheduled = podCondition(pod, 'PodScheduled');
  if (scheduled?.status === 'False') {
    // The scheduler's own words: `0/3 nodes are available: 3 node(s) didn't match node selector.`
    return problem(`Pending: ${scheduled.message ?? scheduled.reason ?? 'not scheduled'}`.trim());
  }
  if (spec.nodeName === undefined || spec.nodeName === '') return problem('Pending: not scheduled yet');

  const several = (spec.containers?.length ?? 0) > 1;
  const issues: string[] = [];
  const logsFrom: PodProblem['logsFrom'] = [];
  const images = new Map<string, string>();
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (container.image !== undefined) images.set(container.name, container.image);
  }

  // Init containers run first, one after the other: the first one not done is what the pod waits for.
  for (const init of status.initContainerStatuses ?? []) {
    const terminated = init.state?.terminated;
    if (terminated?.exitCode === 0) continue;
    const described = describeContainer(init, images.get(init.name), logsFrom);
    issues.push(`init container ${init.name}: ${described ?? 'running'}`);
    break;
  }
  if (issues.length === 0) {
    for (const container of status.containerStatuses ?? []) {
      if (container.ready === true) continue;
      const described = describeContainer(container, images.get(container.name), logsFrom);
      const text = described ?? 'running, not ready (its readiness probe fails)';
      issues.push(several ? `container ${container.name}: ${text}` : text);
    }
  }
  if (status.phase === 'Failed') {
    // Evicted (`The node was low on resource: memory.`), or every container ended with restartPolicy Never.
    const parts = [[status.reason, status.message].filter(Boolean).join(': '), ...issues].filter(Boolean);
    return problem(`Failed${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`, logsFrom);
  }
  if (issues.length > 0) return problem(issues.join('; '), logsFrom);
  if ((status.containerStatuses ?? []).length === 0) {
    return problem(`Pending: scheduled to ${spec.nodeName}, containers not started yet`);
  }
  const ready = podCondition(pod, 'Ready');
  const why = [ready?.reason, ready?.message].filter(Boolean).join(': ');
  return problem(`not ready${why ? ` (${why})` : ''}`);
}

/**
 * One container's trouble, or undefined for a running one. Adds the container to `logsFrom` when its log says
 * why it ended: the previous instance of a restarting one, the current instance of one that stays terminated.
 */
function describeContainer(
  container: ContainerStatus,
  specImage: string | undefined,
  logsFrom: PodProblem['logsFrom'],
): string | undefined {
  const waiting = container.state?.waiting;
  const terminated = container.state?.terminated;
  const restarts = container.restartCount ?? 0;
  const last = container.lastState?.terminated;
  if (waiting !== undefined) {
    const reason = waiting.reason ?? 'Waiting';
    if (IMAGE_REASONS.has(reason)) {
      const image = specImage ?? container.image ?? '';
      // ImagePullBackOff's message only repeats the image; ErrImagePull's has the registry's answer.
      const message = waiting.message && !waiting.message.startsWith('Back-off pulling image') ? waiting.message : '';
      return [`${reason} ${image}`.trim(), message].filter(Boolean).join(': ');
    }
    if (reason === 'CrashLoopBackOff') {
      logsFrom.push({ container: container.name, previous: true });
      return `CrashLoopBackOff, ${restartsText(restarts)}${last !== undefined ? ` (last: ${endText(last)})` : ''}`;
    }
    if (STARTING_REASONS.has(reason)) return reason;
    // CreateContainerConfigError (`configmap "x" not found`), CreateContainerError, RunContainerError, …
    return waiting.message ? `${reason}: ${waiting.message}` : reason;
  }
  if (terminated !== undefined) {
    logsFrom.push({ container: container.name, previous: false });
    const restartsPart = restarts > 0 ? `, ${restartsText(restarts)}` : '';
    return `${endText(terminated)}${restartsPart}`;
  }
  if (container.ready !== true && restarts > 0 && last !== undefined) {
    logsFrom.push({ container: container.name, previous: true });
    return `running, not ready, ${restartsText(restarts)} (last: ${endText(last)})`;
  }
  return undefined;
}

function restartsText(restarts: number): string {
  return `restarted ${restarts} time${restarts === 1 ? '' : 's'}`;
}

/** `Error, exit code 1`, `OOMKilled, exit code 137`, `Completed, exit code 0`. */
function endText(terminated: NonNullable<ContainerState['terminated']>): string {
  const reason = terminated.reason ?? (terminated.exitCode === 0 ? 'Completed' : 'Error');
  const signal = terminated.signal ? `, signal ${terminated.signal}` : '';
  const message = terminated.message ? `: ${terminated.message.trim()}` : '';
  return `${reason}, exit code ${terminated.exitCode ?? '?'}${signal}${message}`;
}
