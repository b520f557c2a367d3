import { describe, expect, it } from 'vitest';
import { WorkloadsNotDeletedError, waitForDeleted } from '../../src/cluster/readiness/deleted.js';
import { formatWorkloadStatus, WorkloadsNotReadyError } from '../../src/cluster/readiness/report.js';
import { readWorkloadStatuses } from '../../src/cluster/readiness/status-now.js';
import { waitForWorkloads } from '../../src/cluster/readiness/wait.js';
import { PaiDeployError } from '../../src/errors.js';
import {
  KubeApiError,
  refOf,
  type KubeApi,
  type KubeListQuery,
  type KubeObject,
  type KubePodLogsQuery,
  type KubeWatchEvent,
  type ServedResource,
} from '../../src/ports/kube-api.js';

const SERVED: ServedResource[] = [
  ['apps', 'v1', 'Deployment', 'deployments'],
  ['apps', 'v1', 'DaemonSet', 'daemonsets'],
  ['apps', 'v1', 'StatefulSet', 'statefulsets'],
  ['apps', 'v1', 'ReplicaSet', 'replicasets'],
  ['batch', 'v1', 'Job', 'jobs'],
  ['', 'v1', 'Pod', 'pods'],
  ['', 'v1', 'Event', 'events'],
  ['', 'v1', 'ConfigMap', 'configmaps'],
].map(([group, version, kind, plural]) => ({
  group: group!,
  version: version!,
  kind: kind!,
  plural: plural!,
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
}));

/**
 * An API server in memory with what list + watch needs: resourceVersions, a change log watches replay and follow,
 * an oldest version (watches from before it get 410, as after a restart), and watches the test can end.
 */
class FakeCluster {
  private rv = 100;
  private readonly objects = new Map<string, KubeObject>();
  private readonly changes: Array<{ rv: number; event: KubeWatchEvent }> = [];
  private oldest = 0;
  private readonly watchers = new Set<{ wake: () => void; ended: boolean }>();
  readonly lists: string[] = [];
  readonly logsAsked: KubePodLogsQuery[] = [];
  logs: (query: KubePodLogsQuery) => Promise<string> = () => Promise.resolve('');
  refuseLists: KubeApiError | undefined;

  put(object: KubeObject): KubeObject {
    const key = keyOf(object);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: String(++this.rv) } });
    this.objects.set(key, stored);
    this.changes.push({ rv: this.rv, event: { type, object: stored } });
    this.wakeAll();
    return stored;
  }

  remove(object: KubeObject): void {
    const stored = this.objects.get(keyOf(object));
    if (!stored) return;
    this.objects.delete(keyOf(object));
    const gone = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++this.rv) } };
    this.changes.push({ rv: this.rv, event: { type: 'DELETED', object: gone } });
    this.wakeAll();
  }

  /** Like an API server restart: open watches end, and every version up to now is too old to watch from. */
  restart(): void {
    this.oldest = ++this.rv;
    for (const watcher of this.watchers) watcher.ended = true;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const watcher of this.watchers) watcher.wake();
  }

  api(): KubeApi {
    const matching = (query: KubeListQuery, object: KubeObject): boolean => {
      if (object.kind !== query.kind || (query.namespace && object.metadata.namespace !== query.namespace))
        return false;
      for (const part of (query.labelSelector ?? '').split(',').filter(Boolean)) {
        const [key, value] = part.split('=');
        if (object.metadata.labels?.[key!] !== value) return false;
      }
      for (const part of (query.fieldSelector ?? '').split(',').filter(Boolean)) {
        const [key, value] = part.split('=');
        const actual =
          key === 'metadata.name'
            ? object.metadata.name
            : key === 'involvedObject.uid'
              ? (object['involvedObject'] as { uid?: string } | undefined)?.uid
              : key === 'involvedObject.name'
                ? (object['involvedObject'] as { name?: string } | undefined)?.name
                : key === 'involvedObject.kind'
                  ? (object['involvedObject'] as { kind?: string } | undefined)?.kind
                  : undefined;
        if (actual !== value) return false;
      }
      return true;
    };
    const listNow = (query: KubeListQuery) => {
      this.lists.push(query.kind);
      if (this.refuseLists) throw this.refuseLists;
      const items = [...this.objects.values()]
        .filter((object) => matching(query, object))
        .map((o) => structuredClone(o));
      return { items, resourceVersion: String(this.rv) };
    };
    return {
      server: 'https://fake',
      version: () => Promise.resolve({ gitVersion: 'v1.15.12', major: '1', minor: '15' }),
      served: () => Promise.resolve(SERVED),
      get: (ref) => Promise.resolve(this.objects.get(`${ref.kind}/${ref.namespace ?? ''}/${ref.name}`)),
      list: async (query) => listNow(query).items,
      listWithVersion: async (query) => listNow(query),
      create: () => Promise.reject(new Error('not used')),
      replace: () => Promise.reject(new Error('not used')),
      patch: () => Promise.reject(new Error('not used')),
      delete: () => Promise.reject(new Error('not used')),
      podLogs: (query) => {
        this.logsAsked.push(query);
        return this.logs(query);
      },
      watch: (query, options, signal) => this.watch(query, options, signal, matching),
    };
  }

  private async *watch(
    query: KubeListQuery,
    options: { resourceVersion?: string },
    signal: AbortSignal,
    matching: (query: KubeListQuery, object: KubeObject) => boolean,
  ): AsyncGenerator<KubeWatchEvent> {
    const from = Number(options.resourceVersion ?? '0');
    if (from < this.oldest) {
      yield {
        type: 'ERROR',
        object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
      };
      return;
    }
    let wake: () => void = () => undefined;
    const watcher = { wake: () => wake(), ended: false };
    this.watchers.add(watcher);
    let seen = from;
    try {
      for (;;) {
        for (const change of this.changes) {
          // A watch the restart ended delivers nothing more.
          if (watcher.ended) return;
          if (change.rv <= seen) continue;
          seen = change.rv;
          if (change.event.type !== 'ERROR' && matching(query, change.event.object))
            yield structuredClone(change.event);
        }
        if (watcher.ended) return;
        await new Promise<void>((resolve, reject) => {
          wake = resolve;
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      }
    } finally {
      this.watchers.delete(watcher);
    }
  }
}

function keyOf(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

const NS = 'default';
const signal = new AbortController().signal;

function deployment(status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'rest-server', namespace: NS, uid: 'd-uid', generation: 1 },
    spec: { replicas: 1, selector: { matchLabels: { app: 'rest-server' } } },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, ...status },
  };
}
const replicaSet: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name: 'rest-server-5d8f',
    namespace: NS,
    uid: 'rs-uid',
    labels: { app: 'rest-server' },
    ownerReferences: [{ kind: 'Deployment', name: 'rest-server', uid: 'd-uid', controller: true }],
  },
  spec: { replicas: 1 },
};
function restServerPod(status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'rest-server-5d8f-x',
      namespace: NS,
      uid: 'pod-uid',
      labels: { app: 'rest-server' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'rest-server-5d8f', uid: 'rs-uid', controller: true }],
    },
    spec: { nodeName: 'pai-worker-01', containers: [{ name: 'rest-server', image: 'openpai/rest-server:v1.8.0' }] },
    status,
  };
}
const pulling = {
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'True' }],
  containerStatuses: [{ name: 'rest-server', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }],
};
const running = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };

function warning(uid: string, kind: string, name: string, reason: string, at: string, count = 1): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${reason}`, namespace: NS },
    involvedObject: { kind, name, uid },
    type: 'Warning',
    reason,
    message: `${reason} happened`,
    count,
    lastTimestamp: at,
  };
}

/** A promise resolved the first time `holds` is true for a progress call. */
function progressWhere(holds: (lines: string[]) => boolean) {
  let seen: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (seen = resolve));
  const lines: string[][] = [];
  return {
    reached,
    lines,
    onProgress: (statuses: Parameters<NonNullable<Parameters<typeof waitForWorkloads>[2]['onProgress']>>[0]) => {
      const now = statuses.map(formatWorkloadStatus);
      lines.push(now);
      if (holds(now)) seen();
    },
  };
}

describe('waitForWorkloads over list + watch', () => {
  it('follows a Deployment to available, with progress lines naming the pod and why on the way', async () => {
    const cluster = new FakeCluster();
    const object = cluster.put(deployment({ availableReplicas: 0 }));
    cluster.put(replicaSet);
    cluster.put(restServerPod(pulling));
    const progress = progressWhere((lines) => lines[0]!.includes('ImagePullBackOff'));
    const waiting = waitForWorkloads(cluster.api(), [refOf(object)], {
      timeoutMs: 60_000,
      signal,
      onProgress: progress.onProgress,
    });
    await progress.reached;
    cluster.put(restServerPod(running));
    cluster.put(deployment({ availableReplicas: 1 }));
    const report = await waiting;
    expect(report.outcome).toBe('ready');
    expect(progress.lines.map((lines) => lines[0])).toEqual([
      'deployment default/rest-server: 0/1 available (pod rest-server-5d8f-x: ImagePullBackOff openpai/rest-server:v1.8.0)',
      'deployment default/rest-server: 1/1 available',
    ]);
  });

  it('lists again when the watch is expired (a restart), and sees what changed meanwhile', async () => {
    const cluster = new FakeCluster();
    const object = cluster.put(deployment({ availableReplicas: 0 }));
    const progress = progressWhere((lines) => lines[0]!.includes('0/1'));
    const waiting = waitForWorkloads(cluster.api(), [refOf(object)], {
      timeoutMs: 60_000,
      signal,
      onProgress: progress.onProgress,
    });
    await progress.reached;
    cluster.restart();
    cluster.put(deployment({ availableReplicas: 1 }));
    await expect(waiting).resolves.toMatchObject({ outcome: 'ready' });
    expect(cluster.lists.filter((kind) => kind === 'Deployment').length).toBeGreaterThanOrEqual(2);
  });

  it('at the timeout: the pods and why, the last log lines of a crashed container, the latest Warning events', async () => {
    const cluster = new FakeCluster();
    const object = cluster.put(deployment({ availableReplicas: 0 }));
    cluster.put(replicaSet);
    cluster.put(
      restServerPod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'rest-server',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error' } },
          },
        ],
      }),
    );
    for (let i = 0; i < 7; i++)
      cluster.put(warning('pod-uid', 'Pod', 'rest-server-5d8f-x', `BackOff${i}`, `2026-01-01T00:00:0${i}Z`));
    cluster.put(warning('rs-uid', 'ReplicaSet', 'rest-server-5d8f', 'FailedCreate', '2026-01-01T00:00:09Z', 4));
    cluster.put({ ...warning('d-uid', 'Deployment', 'rest-server', 'Normal', '2026-01-01T00:00:10Z'), type: 'Normal' });
    cluster.logs = () => Promise.resolve(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');

    const failure = await waitForWorkloads(cluster.api(), [refOf(object)], { timeoutMs: 300, signal }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(WorkloadsNotReadyError);
    const [report] = (failure as WorkloadsNotReadyError).report.workloads;
    expect(report!.pods[0]!.reason).toBe('CrashLoopBackOff, restarted 3 times (last: Error, exit code 1)');
    expect(report!.pods[0]!.logs![0]!.lines).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 11}`));
    expect(cluster.logsAsked).toEqual([
      {
        namespace: NS,
        name: 'rest-server-5d8f-x',
        container: 'rest-server',
        previous: true,
        tailLines: 20,
        limitBytes: 16_384,
      },
    ]);
    // The five latest Warning events of the Deployment, its ReplicaSet and its pod, oldest first.
    expect(report!.events).toEqual([
      'pod rest-server-5d8f-x: BackOff3: BackOff3 happened',
      'pod rest-server-5d8f-x: BackOff4: BackOff4 happened',
      'pod rest-server-5d8f-x: BackOff5: BackOff5 happened',
      'pod rest-server-5d8f-x: BackOff6: BackOff6 happened',
      'replicaset rest-server-5d8f: FailedCreate: FailedCreate happened (x4)',
    ]);
    expect((failure as Error).message).toMatch(
      /^1 of 1 workload not ready after \d+s:\ndeployment default\/rest-server: 0\/1 available\n/,
    );
  });

  it('a log that cannot be read is said in place; a failed Job ends the wait at once', async () => {
    const cluster = new FakeCluster();
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'init', namespace: NS, uid: 'job-uid' },
      spec: { selector: { matchLabels: { 'controller-uid': 'job-uid' } } },
      status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    };
    cluster.put(job);
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'init-x',
        namespace: NS,
        labels: { 'controller-uid': 'job-uid' },
        ownerReferences: [{ uid: 'job-uid', controller: true }],
      },
      spec: { nodeName: 'n', containers: [{ name: 'init' }] },
      status: { phase: 'Failed', containerStatuses: [{ name: 'init', state: { terminated: { exitCode: 3 } } }] },
    });
    cluster.logs = () =>
      Promise.reject(
        new KubeApiError('GET pods/default/init-x/log', 500, '', 'dial tcp 10.0.0.1:10250: connect: no route to host'),
      );
    const failure = await waitForWorkloads(cluster.api(), [refOf(job)], { timeoutMs: 600_000, signal }).catch(
      (e: unknown) => e,
    );
    const report = (failure as WorkloadsNotReadyError).report;
    expect(report.outcome).toBe('failed');
    expect(report.workloads[0]!.pods[0]).toMatchObject({
      reason: 'Failed: Error, exit code 3',
      logs: [{ container: 'init', previous: false, lines: undefined }],
    });
    expect(report.workloads[0]!.pods[0]!.logs![0]!.unavailable).toContain('no route to host');
  });

  it('a refusal fails at once; other kinds and an unserved group version are resolved or refused up front', async () => {
    const cluster = new FakeCluster();
    cluster.refuseLists = new KubeApiError('GET deployments', 403, 'Forbidden', 'deployments.apps is forbidden');
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', namespace: NS };
    await expect(waitForWorkloads(cluster.api(), [ref], { timeoutMs: 60_000, signal })).rejects.toMatchObject({
      status: 403,
    });

    const fine = new FakeCluster();
    const daemon = fine.put({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-exporter', namespace: NS, generation: 1 },
      status: { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 },
    });
    // Written as extensions/v1beta1 (OpenPAI's older manifests): read where the server serves DaemonSets.
    const report = await waitForWorkloads(fine.api(), [{ ...refOf(daemon), apiVersion: 'extensions/v1beta1' }], {
      timeoutMs: 60_000,
      signal,
    });
    expect(report.workloads[0]).toMatchObject({
      ref: { apiVersion: 'apps/v1' },
      state: 'ready',
      summary: '2 of 2 ready',
    });

    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: NS };
    await expect(waitForWorkloads(fine.api(), [configMap], { timeoutMs: 1, signal })).rejects.toThrow(
      'ConfigMap c is not a workload',
    );
    const { watch: _watch, ...old } = fine.api();
    await expect(waitForWorkloads(old, [ref], { timeoutMs: 1, signal })).rejects.toBeInstanceOf(PaiDeployError);
    expect(await waitForWorkloads(fine.api(), [], { timeoutMs: 1, signal })).toMatchObject({
      outcome: 'ready',
      workloads: [],
    });
  });

  it('an abort rejects with its reason, not a report', async () => {
    const cluster = new FakeCluster();
    const object = cluster.put(deployment({ availableReplicas: 0 }));
    const controller = new AbortController();
    const progress = progressWhere(() => true);
    const waiting = waitForWorkloads(cluster.api(), [refOf(object)], {
      timeoutMs: 60_000,
      signal: controller.signal,
      onProgress: progress.onProgress,
    });
    await progress.reached;
    const reason = new Error('SIGINT');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});

describe('readWorkloadStatuses', () => {
  it('reads each workload and its pods once, by the same rules, waiting for nothing', async () => {
    const cluster = new FakeCluster();
    const object = cluster.put(deployment({ availableReplicas: 0 }));
    cluster.put(replicaSet);
    cluster.put(restServerPod(pulling));
    const missing = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'gone', namespace: NS };
    const statuses = await readWorkloadStatuses(cluster.api(), [refOf(object), missing], signal);
    expect(statuses.map(formatWorkloadStatus)).toEqual([
      'deployment default/rest-server: 0/1 available (pod rest-server-5d8f-x: ImagePullBackOff openpai/rest-server:v1.8.0)',
      'daemonset default/gone: not found',
    ]);
    expect(cluster.lists).toEqual(['Pod', 'ReplicaSet']);
  });
});

describe('waitForDeleted', () => {
  it('waits for a Foreground deletion: the object (with its finalizer) and then its pods', async () => {
    const cluster = new FakeCluster();
    const object = cluster.put({
      ...deployment({}),
      metadata: {
        ...deployment({}).metadata,
        deletionTimestamp: '2026-01-01T00:00:00Z',
        finalizers: ['foregroundDeletion'],
      },
    });
    cluster.put(replicaSet);
    const pod = cluster.put(restServerPod(running));
    const lines: string[] = [];
    let first: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (first = resolve));
    const waiting = waitForDeleted(cluster.api(), [refOf(object)], {
      timeoutMs: 60_000,
      signal,
      onProgress: (statuses) => {
        lines.push(statuses.map((status) => `${status.object}; ${status.podsLeft.join(', ')}`).join('\n'));
        first();
      },
    });
    await seen;
    cluster.remove(pod);
    cluster.remove(replicaSet);
    cluster.remove(object);
    await waiting;
    expect(lines[0]).toBe('deleting (finalizers: foregroundDeletion); rest-server-5d8f-x (Running on pai-worker-01)');
  });

  it("finds a Background-deleted object's pods by their owners' names, and names pods left with no owner", async () => {
    const cluster = new FakeCluster();
    // The Deployment is gone already; its ReplicaSet's pod is not.
    const pod = cluster.put(restServerPod(running));
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rest-server', namespace: NS };
    const failure = await waitForDeleted(cluster.api(), [ref], { timeoutMs: 300, signal }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkloadsNotDeletedError);
    expect((failure as Error).message).toContain(
      'deployment default/rest-server: gone; 1 pod left: rest-server-5d8f-x (Running on pai-worker-01)',
    );
    cluster.remove(pod);
    await waitForDeleted(cluster.api(), [ref], { timeoutMs: 60_000, signal });

    // A Job deleted without a policy (Orphan): its pods lose their owner and stay. Found by its manifest's name.
    cluster.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'init-x', namespace: NS, labels: { 'job-name': 'init' } },
      spec: { nodeName: 'n' },
      status: { phase: 'Succeeded' },
    });
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'init', namespace: NS } };
    const orphaned = await waitForDeleted(cluster.api(), [job], { timeoutMs: 300, signal }).catch((e: unknown) => e);
    expect(orphaned).toBeInstanceOf(WorkloadsNotDeletedError);
    expect((orphaned as WorkloadsNotDeletedError).statuses[0]).toMatchObject({ gone: false, orphaned: 1 });
    expect((orphaned as Error).message).toContain('propagationPolicy Orphan');
    expect((orphaned as PaiDeployError).hint).toMatch(/Background or Foreground/);
  });
});
