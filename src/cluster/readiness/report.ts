import { PaiDeployError } from '../../errors.js';
import type { KubeObject, KubeObjectRef } from '../../ports/kube-api.js';
import type { WatchingKubeApi } from './collections.js';
import type { PodLogs, PodProblem } from './pod-problems.js';
import type { WorkloadStatus } from './workload-status.js';

export interface WorkloadReport extends WorkloadStatus {
  /** Its recent Warning events, and those of its ReplicaSets and unready pods: `pod x: BackOff: Back-off … (x12)`. */
  events: string[];
}

export interface ReadinessReport {
  /** `ready`: every workload is; `failed`: one failed (the wait stopped then); `timeout`: time ran out. */
  outcome: 'ready' | 'failed' | 'timeout';
  workloads: WorkloadReport[];
  elapsedMs: number;
}

/** An object whose Warning events belong in a workload's report. */
export interface EventSubject {
  kind: string;
  name: string;
  uid: string | undefined;
}

/** How many log lines of a crashed container the report shows (the end of its output is where it says why). */
export const LOG_LINES = 20;
const EVENTS_SHOWN = 5;
/** Logs of this many pods per workload: a DaemonSet crashing on 200 nodes crashes the same way on each. */
const PODS_WITH_LOGS = 2;
/** Each look-up for the report gets this long, so a report is written even when the API server is gone. */
const DETAIL_TIMEOUT_MS = 15_000;

/**
 * The report of a wait that did not end ready: each workload's status with the Warning events of it, its
 * ReplicaSets and its unready pods, and the last log lines of crashed containers. A look-up that fails leaves its
 * part out (said in place), never the report.
 */
export async function withDetails(
  api: WatchingKubeApi,
  statuses: readonly WorkloadStatus[],
  subjects: (status: WorkloadStatus) => EventSubject[],
  signal: AbortSignal,
): Promise<WorkloadReport[]> {
  const timed = AbortSignal.any([signal, AbortSignal.timeout(DETAIL_TIMEOUT_MS)]);
  return Promise.all(
    statuses.map(async (status): Promise<WorkloadReport> => {
      if (status.state === 'ready' || status.state === 'missing') return { ...status, events: [] };
      const [events, pods] = await Promise.all([
        warningEvents(api, status.ref, subjects(status), timed),
        Promise.all(
          status.pods.map((pod, index) => (index < PODS_WITH_LOGS ? withLogs(api, pod, timed) : Promise.resolve(pod))),
        ),
      ]);
      return { ...status, pods, events };
    }),
  );
}

async function withLogs(api: WatchingKubeApi, pod: PodProblem, signal: AbortSignal): Promise<PodProblem> {
  if (pod.logsFrom.length === 0) return pod;
  const logs = await Promise.all(
    pod.logsFrom.slice(0, 2).map(async ({ container, previous }): Promise<PodLogs> => {
      try {
        const text = await api.podLogs(
          { namespace: pod.namespace, name: pod.pod, container, previous, tailLines: LOG_LINES, limitBytes: 16_384 },
          signal,
        );
        const lines = text.split('\n');
        if (lines.at(-1) === '') lines.pop();
        return { container, previous, lines: lines.slice(-LOG_LINES) };
      } catch (error) {
        return { container, previous, lines: undefined, unavailable: shortReason(error) };
      }
    }),
  );
  return { ...pod, logs };
}

interface EventShape {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  series?: { count?: number };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  involvedObject?: { kind?: string; name?: string };
  metadata: { creationTimestamp?: string };
}

async function warningEvents(
  api: WatchingKubeApi,
  ref: KubeObjectRef,
  subjects: readonly EventSubject[],
  signal: AbortSignal,
): Promise<string[]> {
  const found: Array<{ at: string; line: string }> = [];
  const seen = new Set<string>();
  const failures: string[] = [];
  await Promise.all(
    subjects.map(async (subject) => {
      // By uid when known: an earlier object of the same name (deleted, created again) left events of its own.
      const fieldSelector =
        subject.uid !== undefined
          ? `involvedObject.uid=${subject.uid}`
          : `involvedObject.kind=${subject.kind},involvedObject.name=${subject.name}`;
      try {
        const events = await api.list(
          { apiVersion: 'v1', kind: 'Event', ...(ref.namespace ? { namespace: ref.namespace } : {}), fieldSelector },
          signal,
        );
        for (const event of events as Array<KubeObject & EventShape>) {
          if (event.type !== 'Warning') continue;
          const count = event.series?.count ?? event.count ?? 1;
          const text = `${subject.kind.toLowerCase()} ${subject.name}: ${event.reason ?? 'Warning'}: ${(event.message ?? '').trim()}`;
          if (seen.has(text)) continue;
          seen.add(text);
          const at =
            event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp ?? '';
          found.push({ at, line: count > 1 ? `${text} (x${count})` : text });
        }
      } catch (error) {
        failures.push(
          `events of ${subject.kind.toLowerCase()} ${subject.name} could not be read: ${shortReason(error)}`,
        );
      }
    }),
  );
  found.sort((a, b) => a.at.localeCompare(b.at));
  return [...found.slice(-EVENTS_SHOWN).map((event) => event.line), ...failures.slice(0, 1)];
}

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** `daemonset default/node-exporter` */
export function workloadName(ref: KubeObjectRef): string {
  return `${ref.kind.toLowerCase()} ${ref.namespace !== undefined ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * One progress line: `deployment default/rest-server: 0/1 available (pod rest-server-x: ImagePullBackOff
 * openpai/rest-server:v1.8.0)`; with more unready pods, how many; with none to name, the first note.
 */
export function formatWorkloadStatus(status: WorkloadStatus): string {
  const head = `${workloadName(status.ref)}: ${status.summary}`;
  const first = status.pods[0];
  if (first !== undefined) {
    const more = status.podsNotReady - 1;
    return `${head} (pod ${first.pod}: ${first.reason}${more > 0 ? `; ${more} more pod${more === 1 ? '' : 's'} not ready` : ''})`;
  }
  const note = status.notes[0];
  return note !== undefined ? `${head} (${note})` : head;
}

/** The report as lines: per workload not ready, its summary, then its pods, logs, events and notes indented. */
export function formatReadinessReport(report: ReadinessReport): string[] {
  const lines: string[] = [];
  for (const workload of report.workloads) {
    if (workload.state === 'ready') continue;
    lines.push(`${workloadName(workload.ref)}: ${workload.summary}`);
    for (const pod of workload.pods) {
      lines.push(`  pod ${pod.pod}${pod.node ? ` on ${pod.node}` : ''}: ${pod.reason}`);
      for (const logs of pod.logs ?? []) {
        const which = `${logs.container}${logs.previous ? ' (previous run)' : ''}`;
        if (logs.lines === undefined) lines.push(`    log of ${which} unavailable: ${logs.unavailable ?? ''}`);
        else if (logs.lines.length === 0) lines.push(`    log of ${which}: empty`);
        else {
          lines.push(`    last ${logs.lines.length} log line${logs.lines.length === 1 ? '' : 's'} of ${which}:`);
          for (const line of logs.lines) lines.push(`      | ${line}`);
        }
      }
    }
    const unnamed = workload.podsNotReady - workload.pods.length;
    if (unnamed > 0) lines.push(`  ${unnamed} more pod${unnamed === 1 ? '' : 's'} not ready`);
    for (const event of workload.events) lines.push(`  event ${event}`);
    for (const note of workload.notes) lines.push(`  note: ${note}`);
  }
  return lines;
}

/**
 * Workloads that did not get ready in time, or failed. The message names each with its counts and the reasons
 * (scheduler messages, images, crashes with their last log lines, Warning events); `report` has them as data.
 */
export class WorkloadsNotReadyError extends PaiDeployError {
  readonly report: ReadinessReport;
  constructor(report: ReadinessReport) {
    const notReady = report.workloads.filter((workload) => workload.state !== 'ready');
    const failed = notReady.filter((workload) => workload.state === 'failed');
    const head =
      report.outcome === 'failed'
        ? `${failed.map((workload) => workloadName(workload.ref)).join(', ')} failed`
        : `${notReady.length} of ${report.workloads.length} workload${report.workloads.length === 1 ? '' : 's'} not ready after ${formatDuration(report.elapsedMs)}`;
    super([`${head}:`, ...formatReadinessReport(report)].join('\n'), {
      hint:
        report.outcome === 'failed'
          ? 'A failed Job does not run again and a Deployment past its progress deadline stays stuck: fix the cause shown above, then delete the object and apply it again.'
          : 'The lines above say what each pod waits for (a node label, an image the nodes cannot pull, a crashing container, a missing ConfigMap): fix that and run again, or allow more time when the cluster is only slow.',
    });
    this.report = report;
  }
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
}
