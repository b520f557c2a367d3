import { describe, expect, it } from 'vitest';
import { podProblem } from '../../src/cluster/readiness/pod-problems.js';
import {
  formatReadinessReport,
  formatWorkloadStatus,
  WorkloadsNotReadyError,
  type ReadinessReport,
} from '../../src/cluster/readiness/report.js';
import { selectorMatches, selectorQuery } from '../../src/cluster/readiness/selector.js';
import { podsOfWorkload, workloadStatus } from '../../src/cluster/readiness/workload-status.js';
import { refOf, type KubeObject } from '../../src/ports/kube-api.js';

const NS = 'default';

function pod(name: string, status: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'rest-server' }, ...(extra['metadata'] as object) },
    spec: {
      nodeName: 'pai-worker-01',
      containers: [{ name: 'rest-server', image: 'openpai/rest-server:v1.8.0' }],
      ...(extra['spec'] as object),
    },
    status,
  };
}

const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
const waiting = (reason: string, message?: string, more: Record<string, unknown> = {}) => ({
  phase: 'Pending',
  conditions: [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
  ],
  containerStatuses: [
    {
      name: 'rest-server',
      image: 'openpai/rest-server:v1.8.0',
      ready: false,
      state: { waiting: { reason, message } },
      ...more,
    },
  ],
});

describe('why a pod is not ready', () => {
  it("gives the scheduler's message for a pod it cannot place, and says when it has not tried yet", () => {
    const message = "0/3 nodes are available: 3 node(s) didn't match node selector.";
    const pending = pod(
      'p',
      { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] },
      { spec: { nodeName: undefined } },
    );
    expect(podProblem(pending)).toMatchObject({ reason: `Pending: ${message}`, node: undefined, logsFrom: [] });
    expect(podProblem(pod('q', { phase: 'Pending' }, { spec: { nodeName: undefined } }))?.reason).toBe(
      'Pending: not scheduled yet',
    );
  });

  it("names the image of a failed pull (the registry's answer for ErrImagePull, not BackOff's repetition)", () => {
    expect(
      podProblem(pod('p', waiting('ImagePullBackOff', 'Back-off pulling image "openpai/rest-server:v1.8.0"')))?.reason,
    ).toBe('ImagePullBackOff openpai/rest-server:v1.8.0');
    expect(podProblem(pod('p', waiting('ErrImagePull', 'rpc error: manifest unknown')))?.reason).toBe(
      'ErrImagePull openpai/rest-server:v1.8.0: rpc error: manifest unknown',
    );
  });

  it('counts the restarts of a crashing container, its last exit, and asks for the log of its previous run', () => {
    const crashing = waiting('CrashLoopBackOff', 'back-off 5m0s', {
      restartCount: 7,
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    });
    expect(podProblem(pod('p', crashing))).toMatchObject({
      reason: 'CrashLoopBackOff, restarted 7 times (last: OOMKilled, exit code 137)',
      logsFrom: [{ container: 'rest-server', previous: true }],
    });
    // restartPolicy Never: the container stays terminated; its current log says why.
    const ended = {
      phase: 'Failed',
      containerStatuses: [
        { name: 'rest-server', ready: false, state: { terminated: { exitCode: 2, reason: 'Error' } } },
      ],
    };
    expect(podProblem(pod('p', ended))).toMatchObject({
      reason: 'Failed: Error, exit code 2',
      logsFrom: [{ container: 'rest-server', previous: false }],
    });
  });

  it("gives a container's creation error (a missing ConfigMap), an init container's trouble, and names containers of multi-container pods", () => {
    expect(
      podProblem(pod('p', waiting('CreateContainerConfigError', 'configmap "rest-server-config" not found')))?.reason,
    ).toBe('CreateContainerConfigError: configmap "rest-server-config" not found');
    const init = {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'wait-db', ready: false, state: { terminated: { exitCode: 0 } } },
        { name: 'migrate', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
      containerStatuses: [{ name: 'rest-server', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
    };
    expect(podProblem(pod('p', init))).toMatchObject({
      reason: 'init container migrate: CrashLoopBackOff, restarted 2 times',
      logsFrom: [{ container: 'migrate', previous: true }],
    });
    const two = {
      phase: 'Running',
      containerStatuses: [
        { name: 'a', ready: true, state: { running: {} } },
        { name: 'b', ready: false, state: { running: {} } },
      ],
    };
    expect(podProblem(pod('p', two, { spec: { containers: [{ name: 'a' }, { name: 'b' }] } }))?.reason).toBe(
      'container b: running, not ready (its readiness probe fails)',
    );
  });

  it('says Terminating, Evicted and ContainerCreating; a ready or succeeded pod has no problem', () => {
    expect(podProblem(pod('p', ready, { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }))?.reason).toBe(
      'Terminating',
    );
    expect(
      podProblem(pod('p', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }))
        ?.reason,
    ).toBe('Failed: Evicted: The node was low on resource: memory.');
    expect(podProblem(pod('p', waiting('ContainerCreating')))?.reason).toBe('ContainerCreating');
    expect(podProblem(pod('p', ready))).toBeUndefined();
    expect(podProblem(pod('p', { phase: 'Succeeded' }))).toBeUndefined();
  });
});

function workload(
  kind: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  generation = 1,
): KubeObject {
  return {
    apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name: 'w', namespace: NS, uid: `${kind}-uid`, generation },
    spec,
    status,
  };
}
const statusOf = (object: KubeObject, pods: KubeObject[] = []) => workloadStatus(refOf(object), object, pods);

describe('when a workload is ready', () => {
  it('a Deployment: its controller has seen the spec, every replica updated and available, no older ones left', () => {
    const all = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(statusOf(workload('Deployment', { replicas: 2 }, all))).toMatchObject({
      state: 'ready',
      summary: '2/2 available',
    });
    expect(statusOf(workload('Deployment', { replicas: 2 }, all, 2))).toMatchObject({
      state: 'waiting',
      notes: ['its controller has not seen the latest change yet'],
    });
    expect(
      statusOf(workload('Deployment', { replicas: 2 }, { ...all, replicas: 3, updatedReplicas: 1 })),
    ).toMatchObject({
      state: 'waiting',
      summary: '2/2 available, 1 updated',
      notes: ['1 pod(s) of an older version still running'],
    });
    const stuck = {
      ...all,
      availableReplicas: 0,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "w-1" has timed out progressing.',
        },
      ],
    };
    expect(statusOf(workload('Deployment', { replicas: 2 }, stuck))).toMatchObject({
      state: 'failed',
      notes: ['ProgressDeadlineExceeded: ReplicaSet "w-1" has timed out progressing.'],
    });
  });

  it('a DaemonSet: ready on every node it is scheduled to; none is ready too, with a note; OnDelete needs no update', () => {
    const three = { observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3 };
    expect(statusOf(workload('DaemonSet', {}, three))).toMatchObject({ state: 'waiting', summary: '2 of 3 ready' });
    expect(statusOf(workload('DaemonSet', {}, { ...three, numberReady: 3 }))).toMatchObject({ state: 'ready' });
    const none = workload(
      'DaemonSet',
      { template: { spec: { nodeSelector: { 'pai-worker': 'true' } } } },
      { observedGeneration: 1, desiredNumberScheduled: 0, numberReady: 0 },
    );
    expect(statusOf(none)).toMatchObject({
      state: 'ready',
      summary: '0 of 0 ready',
      notes: [
        '0 nodes to run on: nodeSelector pai-worker=true matches no schedulable node (ready, as there is nothing to run)',
      ],
    });
    // Before its controller looked at it, 0 desired means nothing.
    expect(statusOf(workload('DaemonSet', {}, {}))).toMatchObject({ state: 'waiting' });
    const old = { ...three, numberReady: 3, updatedNumberScheduled: 1 };
    expect(statusOf(workload('DaemonSet', {}, old))).toMatchObject({
      state: 'waiting',
      summary: '3 of 3 ready, 1 updated',
    });
    expect(statusOf(workload('DaemonSet', { updateStrategy: { type: 'OnDelete' } }, old))).toMatchObject({
      state: 'ready',
    });
  });

  it('a StatefulSet: every replica ready at the update revision (a partition stages it; OnDelete does not wait for it)', () => {
    const rolled = {
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentRevision: 'w-a',
      updateRevision: 'w-a',
    };
    expect(statusOf(workload('StatefulSet', { replicas: 3 }, rolled))).toMatchObject({
      state: 'ready',
      summary: '3 of 3 ready',
    });
    const rolling = { ...rolled, updateRevision: 'w-b', updatedReplicas: 1 };
    expect(statusOf(workload('StatefulSet', { replicas: 3 }, rolling))).toMatchObject({
      state: 'waiting',
      notes: ['rolling to revision w-b'],
    });
    const partitioned = { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } };
    expect(statusOf(workload('StatefulSet', partitioned, rolling))).toMatchObject({ state: 'ready' });
    expect(
      statusOf(workload('StatefulSet', { replicas: 3, updateStrategy: { type: 'OnDelete' } }, rolling)),
    ).toMatchObject({
      state: 'ready',
    });
  });

  it('a Job: complete, or failed at once by its Failed (or FailureTarget) condition', () => {
    expect(statusOf(workload('Job', { completions: 1 }, { succeeded: 0, active: 1 }))).toMatchObject({
      state: 'waiting',
      summary: '0 of 1 succeeded',
    });
    expect(statusOf(workload('Job', {}, { conditions: [{ type: 'Complete', status: 'True' }] }))).toMatchObject({
      state: 'ready',
      summary: 'complete',
    });
    const failed = {
      failed: 1,
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      ],
    };
    expect(statusOf(workload('Job', {}, failed))).toMatchObject({
      state: 'failed',
      summary: 'failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
    expect(
      statusOf(
        workload('Job', {}, { conditions: [{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded' }] }),
      ),
    ).toMatchObject({
      state: 'failed',
    });
  });

  it('a Pod: Ready, or Succeeded; Failed is failed; a missing object is missing', () => {
    expect(statusOf(pod('p', ready))).toMatchObject({ state: 'ready' });
    expect(statusOf(pod('p', { phase: 'Succeeded' }))).toMatchObject({ state: 'ready', summary: 'succeeded' });
    expect(statusOf(pod('p', { phase: 'Failed', reason: 'Evicted' }))).toMatchObject({
      state: 'failed',
      summary: 'failed: Evicted',
    });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gone', namespace: NS };
    expect(workloadStatus(ref, undefined, [])).toMatchObject({ state: 'missing', summary: 'not found' });
  });
});

describe("a workload's pods", () => {
  it("are those its selector selects and it owns (a Deployment's through its ReplicaSets), not another's with the same labels", () => {
    const owned = (name: string, owner: string) => ({
      metadata: { ownerReferences: [{ uid: owner, controller: true, kind: 'ReplicaSet', name }] },
    });
    const deploymentObject = workload('Deployment', { selector: { matchLabels: { app: 'rest-server' } } }, {});
    const replicaSets: KubeObject[] = [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'w-1', uid: 'rs-1', ownerReferences: [{ uid: 'Deployment-uid', controller: true }] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'x-1', uid: 'rs-other', ownerReferences: [{ uid: 'other', controller: true }] },
      },
    ];
    const pods = [
      pod('w-1-b', ready, owned('w-1', 'rs-1')),
      pod('w-1-a', ready, owned('w-1', 'rs-1')),
      pod('x-1-a', ready, owned('x-1', 'rs-other')),
      pod('loose', ready),
    ];
    expect(podsOfWorkload(deploymentObject, pods, replicaSets).map((p) => p.metadata.name)).toEqual(['w-1-a', 'w-1-b']);

    const daemon = workload('DaemonSet', { selector: { matchLabels: { app: 'rest-server' } } }, {});
    const mine = pod('d', ready, { metadata: { ownerReferences: [{ uid: 'DaemonSet-uid', controller: true }] } });
    const unlabelled = { ...mine, metadata: { ...mine.metadata, name: 'e', labels: { app: 'other' } } };
    expect(podsOfWorkload(daemon, [mine, unlabelled]).map((p) => p.metadata.name)).toEqual(['d']);
  });

  it('label selectors: the query the server gets and the same rules applied here', () => {
    const selector = {
      matchLabels: { app: 'x' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['b', 'a'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'NotIn', values: ['z'] },
        { key: 'gpu', operator: 'Exists' },
      ],
    };
    expect(selectorQuery(selector)).toBe('!legacy,app=x,gpu,tier in (a,b),zone notin (z)');
    expect(selectorMatches(selector, { app: 'x', tier: 'a', gpu: '' })).toBe(true);
    expect(selectorMatches(selector, { app: 'x', tier: 'a', gpu: '', legacy: 'y' })).toBe(false);
    expect(selectorMatches(selector, { app: 'x', tier: 'c', gpu: '' })).toBe(false);
    expect(selectorMatches(selector, { app: 'x', tier: 'a', gpu: '', zone: 'z' })).toBe(false);
    expect(selectorQuery({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).toBeUndefined();
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Near' }] }, { a: '1' })).toBe(false);
    expect(selectorQuery({})).toBe('');
  });
});

describe('progress lines and the report', () => {
  const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rest-server', namespace: NS };
  const daemonRef = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-exporter', namespace: NS };
  const pullProblem = {
    pod: 'rest-server-x',
    namespace: NS,
    node: 'pai-worker-01',
    reason: 'ImagePullBackOff openpai/rest-server:v1.8.0',
    logsFrom: [],
  };

  it('a progress line names the first unready pod and its reason, and counts the others', () => {
    const status = {
      ref: deploymentRef,
      state: 'waiting' as const,
      summary: '0/1 available',
      notes: [],
      pods: [pullProblem],
      podsNotReady: 1,
    };
    expect(formatWorkloadStatus(status)).toBe(
      'deployment default/rest-server: 0/1 available (pod rest-server-x: ImagePullBackOff openpai/rest-server:v1.8.0)',
    );
    expect(formatWorkloadStatus({ ...status, podsNotReady: 3 })).toMatch(/; 2 more pods not ready\)$/);
    expect(formatWorkloadStatus({ ...status, pods: [], podsNotReady: 0, notes: ['paused'] })).toBe(
      'deployment default/rest-server: 0/1 available (paused)',
    );
  });

  it('the error lists per workload its counts, pods with reasons and log lines, events and notes, with a hint', () => {
    const report: ReadinessReport = {
      outcome: 'timeout',
      elapsedMs: 300_000,
      workloads: [
        {
          ref: daemonRef,
          state: 'waiting',
          summary: '2 of 3 ready',
          notes: [],
          podsNotReady: 1,
          pods: [
            {
              pod: 'node-exporter-abc',
              namespace: NS,
              node: 'pai-worker-03',
              reason: 'CrashLoopBackOff, restarted 5 times (last: Error, exit code 1)',
              logsFrom: [{ container: 'node-exporter', previous: true }],
              logs: [
                {
                  container: 'node-exporter',
                  previous: true,
                  lines: ['listen tcp :9100: bind: address already in use'],
                },
              ],
            },
          ],
          events: ['pod node-exporter-abc: BackOff: Back-off restarting failed container (x12)'],
        },
        {
          ref: deploymentRef,
          state: 'ready',
          summary: '1/1 available',
          notes: [],
          pods: [],
          podsNotReady: 0,
          events: [],
        },
      ],
    };
    const error = new WorkloadsNotReadyError(report);
    expect(error.message).toBe(
      [
        '1 of 2 workloads not ready after 5m:',
        'daemonset default/node-exporter: 2 of 3 ready',
        '  pod node-exporter-abc on pai-worker-03: CrashLoopBackOff, restarted 5 times (last: Error, exit code 1)',
        '    last 1 log line of node-exporter (previous run):',
        '      | listen tcp :9100: bind: address already in use',
        '  event pod node-exporter-abc: BackOff: Back-off restarting failed container (x12)',
      ].join('\n'),
    );
    expect(error.hint).toMatch(/fix that and run again/);
    const unavailable = structuredClone(report);
    unavailable.workloads[0]!.pods[0]!.logs = [
      { container: 'node-exporter', previous: true, lines: undefined, unavailable: 'the kubelet did not answer' },
    ];
    expect(formatReadinessReport(unavailable)).toContain(
      '    log of node-exporter (previous run) unavailable: the kubelet did not answer',
    );
    const failed = new WorkloadsNotReadyError({
      ...report,
      outcome: 'failed',
      workloads: [
        {
          ...report.workloads[1]!,
          ref: { ...deploymentRef, kind: 'Job', name: 'init' },
          state: 'failed',
          summary: 'failed: BackoffLimitExceeded',
        },
      ],
    });
    expect(failed.message).toBe('job default/init failed:\njob default/init: failed: BackoffLimitExceeded');
    expect(failed.hint).toMatch(/delete the object and apply it again/);
  });
});
