import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForDeleted, WorkloadsNotDeletedError } from '../../../src/cluster/readiness/deleted.js';
import { formatReadinessReport, WorkloadsNotReadyError } from '../../../src/cluster/readiness/report.js';
import { waitForWorkloads } from '../../../src/cluster/readiness/wait.js';
import { realPorts } from '../../../src/infra/ports.js';
import {
  refOf,
  type KubeApi,
  type KubeListQuery,
  type KubeObject,
  type KubePodLogsQuery,
} from '../../../src/ports/kube-api.js';
import type { WorkloadStatus } from '../../../src/cluster/readiness/workload-status.js';
import {
  describeEachK8sVersion,
  SIMULATE_POD_ANNOTATION,
  SIMULATED_POD,
  startK8sTestEnv,
  type K8sTestEnv,
  type TestNodeSpec,
} from '../../support/k8s-testenv.js';

/** Three nodes, two of them workers (the DaemonSet with a nodeSelector runs on those two). */
const NODES: TestNodeSpec[] = [
  { name: 'pai-master-01', labels: { 'pai-master': 'true' } },
  { name: 'pai-worker-01', labels: { 'pai-worker': 'true' } },
  { name: 'pai-worker-02', labels: { 'pai-worker': 'true' } },
];
const NS = 'default';

function podTemplate(
  app: string,
  options: { annotation?: string; nodeSelector?: Record<string, string>; image?: string } = {},
) {
  return {
    metadata: {
      labels: { app },
      ...(options.annotation !== undefined ? { annotations: { [SIMULATE_POD_ANNOTATION]: options.annotation } } : {}),
    },
    spec: {
      ...(options.nodeSelector !== undefined ? { nodeSelector: options.nodeSelector } : {}),
      containers: [{ name: app, image: options.image ?? `openpai/${app}:v1.8.0` }],
    },
  };
}

function deployment(name: string, replicas: number, options: Parameters<typeof podTemplate>[1] = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate(name, options) },
  };
}

function daemonSet(name: string, options: Parameters<typeof podTemplate>[1] = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name, options) },
  };
}

function statefulSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: { replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: podTemplate(name) },
  };
}

function job(name: string, options: { annotation?: string } = {}): KubeObject {
  const template = podTemplate(name, options);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { backoffLimit: 0, template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } },
  };
}

await describeEachK8sVersion('readiness of workloads through list + watch', (version) => {
  let env: K8sTestEnv;
  let kube: KubeApi;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    env = await startK8sTestEnv({ nodes: NODES, version });
    kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
  });
  afterAll(async () => {
    await env?.stop();
  });

  const create = async (...objects: KubeObject[]) => {
    for (const object of objects) await kube.create(object, {}, signal);
    return objects.map(refOf);
  };

  /** Resolves once a pod of `app` satisfies `holds`: a watch of the port, not a polling loop. */
  const podOf = async (app: string, holds: (pod: KubeObject) => boolean): Promise<KubeObject> => {
    const query: KubeListQuery = { apiVersion: 'v1', kind: 'Pod', namespace: NS, labelSelector: `app=${app}` };
    for (;;) {
      const list = await kube.listWithVersion!(query, signal);
      const found = list.items.find(holds);
      if (found) return found;
      for await (const event of kube.watch!(
        query,
        { resourceVersion: list.resourceVersion, timeoutSeconds: 30 },
        signal,
      )) {
        if (event.type !== 'ERROR' && event.type !== 'BOOKMARK' && event.type !== 'DELETED' && holds(event.object)) {
          return event.object;
        }
        if (event.type === 'ERROR') break;
      }
    }
  };
  const waitingReason = (pod: KubeObject): string | undefined =>
    (pod['status'] as { containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }> } | undefined)
      ?.containerStatuses?.[0]?.state?.waiting?.reason;
  const notReady = async (refs: Parameters<typeof waitForWorkloads>[1], api: KubeApi = kube) => {
    const failure = await waitForWorkloads(api, refs, { timeoutMs: 2_000, signal }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkloadsNotReadyError);
    return failure as WorkloadsNotReadyError;
  };

  it('a Deployment, a DaemonSet on every node and a StatefulSet get ready; progress is reported on the way', async () => {
    const refs = await create(deployment('rest-server', 2), daemonSet('node-exporter'), statefulSet('zookeeper', 2));
    const progress: WorkloadStatus[][] = [];
    const report = await waitForWorkloads(kube, refs, {
      timeoutMs: 120_000,
      signal,
      onProgress: (statuses) => progress.push(statuses),
    });
    expect(report.outcome).toBe('ready');
    expect(report.workloads.map((workload) => [workload.ref.kind, workload.summary])).toEqual([
      ['Deployment', '2/2 available'],
      ['DaemonSet', '3 of 3 ready'],
      ['StatefulSet', '2 of 2 ready'],
    ]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.every((status) => status.state === 'ready')).toBe(true);
  });

  it('a Job completes (its pods succeed), and a DaemonSet whose nodeSelector matches 2 of 3 nodes is ready on those 2', async () => {
    const refs = await create(
      job('init-cluster'),
      daemonSet('gpu-exporter', { nodeSelector: { 'pai-worker': 'true' } }),
    );
    const report = await waitForWorkloads(kube, refs, { timeoutMs: 120_000, signal });
    expect(report.workloads.map((workload) => workload.summary)).toEqual(['complete', '2 of 2 ready']);
    const pods = await kube.list(
      { apiVersion: 'v1', kind: 'Pod', namespace: NS, labelSelector: 'app=gpu-exporter' },
      signal,
    );
    expect(pods.map((pod) => (pod['spec'] as { nodeName: string }).nodeName).sort()).toEqual([
      'pai-worker-01',
      'pai-worker-02',
    ]);
  });

  it('a DaemonSet whose nodeSelector matches no node is ready with 0 desired, and says so', async () => {
    const refs = await create(daemonSet('no-nodes', { nodeSelector: { 'pai-storage': 'true' } }));
    const report = await waitForWorkloads(kube, refs, { timeoutMs: 60_000, signal });
    expect(report.workloads[0]).toMatchObject({ state: 'ready', summary: '0 of 0 ready' });
    expect(report.workloads[0]!.notes.join()).toContain('nodeSelector pai-storage=true matches no schedulable node');
  });

  it("a pod that cannot be scheduled: the scheduler's reason and its FailedScheduling event are in the report", async () => {
    const refs = await create(deployment('pending-server', 1, { nodeSelector: { 'no-such-label': 'x' } }));
    await podOf(
      'pending-server',
      (pod) =>
        (pod['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
          (condition) => condition.type === 'PodScheduled' && condition.status === 'False',
        ) ?? false,
    );
    const failure = await notReady(refs);
    const [workload] = failure.report.workloads;
    expect(failure.report.outcome).toBe('timeout');
    expect(workload!.summary).toBe('0/1 available');
    expect(workload!.pods[0]!.reason).toMatch(/^Pending: 0\/3 nodes are available: 3 node\(s\) didn't match/);
    expect(workload!.events.join('\n')).toMatch(
      /^pod pending-server-[a-z0-9-]+: FailedScheduling: 0\/3 nodes are available/m,
    );
    expect(failure.message).toMatch(
      /^1 of 1 workload not ready after \d+s:\ndeployment default\/pending-server: 0\/1 available\n/,
    );
    expect(failure.hint).toBeDefined();
  });

  it('ImagePullBackOff (simulated by kwok) names the image; a never-ready container says so, with its Warning event', async () => {
    const refs = await create(
      deployment('rest-server-pull', 1, {
        annotation: SIMULATED_POD.imagePullBackOff,
        image: 'openpai/rest-server:v1.8.0',
      }),
      deployment('webportal', 1, { annotation: SIMULATED_POD.notReady }),
    );
    await podOf('rest-server-pull', (pod) => waitingReason(pod) === 'ImagePullBackOff');
    await podOf('webportal', (pod) => (pod['status'] as { phase?: string } | undefined)?.phase === 'Running');
    const failure = await notReady(refs);
    const [pull, portal] = failure.report.workloads;
    expect(pull!.pods[0]!.reason).toBe('ImagePullBackOff openpai/rest-server:v1.8.0');
    expect(pull!.events.join('\n')).toContain(': Failed: Error: ImagePullBackOff');
    expect(portal!.pods[0]!.reason).toBe('running, not ready (its readiness probe fails)');
    expect(portal!.events.join('\n')).toContain('Unhealthy: Readiness probe failed');
    expect(failure.message).toContain(
      `deployment default/rest-server-pull: 0/1 available\n  pod ${pull!.pods[0]!.pod} on ${pull!.pods[0]!.node}: ImagePullBackOff openpai/rest-server:v1.8.0`,
    );
  });

  it('CrashLoopBackOff (simulated by kwok) gives the restart count, the last exit and the last log lines of the previous run', async () => {
    const refs = await create(daemonSet('log-manager', { annotation: SIMULATED_POD.crashLoopBackOff }));
    await podOf('log-manager', (pod) => waitingReason(pod) === 'CrashLoopBackOff');
    // kwok serves no container logs here (no kubelet endpoint on its nodes): the port's podLogs is replaced, so the
    // API server is never sent to a node address. The adapter's podLogs is tested on a loopback server and below.
    const asked: KubePodLogsQuery[] = [];
    const logging: KubeApi = {
      ...kube,
      server: kube.server,
      podLogs: (query) => {
        asked.push(query);
        return Promise.resolve('starting log-manager\npanic: cannot open /var/log/pai: permission denied\n');
      },
    };
    const failure = await notReady(refs, logging);
    const [workload] = failure.report.workloads;
    expect(workload!.summary).toMatch(/^0 of 3 ready/);
    expect(workload!.podsNotReady).toBe(3);
    expect(workload!.pods[0]!.reason).toBe('CrashLoopBackOff, restarted 4 times (last: Error, exit code 1)');
    expect(workload!.pods[0]!.logs).toEqual([
      {
        container: 'log-manager',
        previous: true,
        lines: ['starting log-manager', 'panic: cannot open /var/log/pai: permission denied'],
      },
    ]);
    // Logs of two pods, not of every node's.
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatchObject({ namespace: NS, container: 'log-manager', previous: true, tailLines: 20 });
    expect(formatReadinessReport(failure.report).join('\n')).toContain(
      '    last 2 log lines of log-manager (previous run):\n      | starting log-manager\n      | panic: cannot open',
    );
    expect(workload!.events.join('\n')).toContain('BackOff: Back-off restarting failed container');
  });

  it('a Job that fails ends the wait at once with its Failed condition, long before the timeout', async () => {
    const refs = await create(
      job('failing-init', { annotation: SIMULATED_POD.fail }),
      deployment('slow-but-fine', 1, { nodeSelector: { 'no-such-label': 'x' } }),
    );
    const failure = await waitForWorkloads(kube, refs, { timeoutMs: 600_000, signal }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkloadsNotReadyError);
    const report = (failure as WorkloadsNotReadyError).report;
    expect(report.outcome).toBe('failed');
    expect(report.workloads[0]).toMatchObject({ state: 'failed' });
    expect(report.workloads[0]!.summary).toMatch(/^failed: BackoffLimitExceeded/);
    expect(report.workloads[0]!.pods[0]!.reason).toBe('Failed: Error, exit code 1');
    expect((failure as Error).message).toMatch(/^job default\/failing-init failed:\n/);
  });

  it('the pod log port: a pod without a node has an empty log, a wrong container and an unknown pod are refused', async () => {
    await create(deployment('unscheduled-logs', 1, { nodeSelector: { 'no-such-label': 'x' } }));
    const pod = await podOf('unscheduled-logs', () => true);
    expect(await kube.podLogs!({ namespace: NS, name: pod.metadata.name, tailLines: 20 }, signal)).toBe('');
    await expect(
      kube.podLogs!({ namespace: NS, name: pod.metadata.name, container: 'nope' }, signal),
    ).rejects.toMatchObject({
      status: 400,
    });
    await expect(kube.podLogs!({ namespace: NS, name: 'no-such-pod', previous: true }, signal)).rejects.toMatchObject({
      status: 404,
      reason: 'NotFound',
    });
  });

  it('a wait survives an API server restart: the watch from before it is expired (410), the collection is listed again', async () => {
    const lists = new Map<string, number>();
    const counting: KubeApi = {
      ...kube,
      server: kube.server,
      listWithVersion: (query, listSignal) => {
        lists.set(query.kind, (lists.get(query.kind) ?? 0) + 1);
        return kube.listWithVersion!(query, listSignal);
      },
    };
    const late = deployment('after-restart', 1);
    const before = await kube.listWithVersion!({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS }, signal);
    let sawMissing: () => void = () => undefined;
    const missing = new Promise<void>((resolve) => (sawMissing = resolve));
    const waiting = waitForWorkloads(counting, [refOf(late)], {
      timeoutMs: 300_000,
      signal,
      onProgress: (statuses) => {
        if (statuses[0]!.state === 'missing') sawMissing();
      },
    });
    // Not there yet: the wait watches for it.
    await missing;
    // Something else is written meanwhile, so the restarted server's watch cache starts past the version the wait
    // watches from (with nothing written at all, a 1.15 server's cache starts at that very version, and serves it).
    await kube.create(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meanwhile', namespace: NS } },
      {},
      signal,
    );
    await env.restartApiserver({ downMs: 1_000 });
    // Created only after the restart: seen through the watch that followed it.
    await kube.create(late, {}, signal);
    const report = await waiting;
    expect(report.workloads[0]).toMatchObject({ state: 'ready', summary: '1/1 available' });
    expect(lists.get('Deployment')).toBeGreaterThanOrEqual(2);

    // The same at the port: a resourceVersion from before the restart is one ERROR event, code 410.
    const events = [];
    for await (const event of kube.watch!(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS },
      { resourceVersion: before.resourceVersion, timeoutSeconds: 5 },
      signal,
    ))
      events.push(event);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });
  it('waitForDeleted: Foreground and Background deletions end with their pods gone; a Job deleted with its default policy leaves its pods, named', async () => {
    const apps = ['rest-server', 'node-exporter', 'zookeeper'];
    const refs = [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rest-server', namespace: NS },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-exporter', namespace: NS },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'zookeeper', namespace: NS },
    ];
    expect(await kube.delete(refs[0]!, { propagationPolicy: 'Foreground' }, signal)).toBe(true);
    expect(await kube.delete(refs[1]!, { propagationPolicy: 'Background' }, signal)).toBe(true);
    expect(await kube.delete(refs[2]!, { propagationPolicy: 'Foreground' }, signal)).toBe(true);
    await waitForDeleted(kube, refs, { timeoutMs: 120_000, signal });
    for (const app of apps) {
      expect(
        await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: NS, labelSelector: `app=${app}` }, signal),
      ).toEqual([]);
    }

    // A batch/v1 Job deleted without a policy orphans its pods: they lose their owner and stay.
    const jobRef = { apiVersion: 'batch/v1', kind: 'Job', name: 'init-cluster', namespace: NS };
    expect(await kube.delete(jobRef, {}, signal)).toBe(true);
    const orphan = await podOf('init-cluster', (pod) => pod.metadata['ownerReferences'] === undefined);
    const failure = await waitForDeleted(kube, [jobRef], { timeoutMs: 2_000, signal }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkloadsNotDeletedError);
    expect((failure as WorkloadsNotDeletedError).statuses[0]).toMatchObject({ object: 'gone', orphaned: 1 });
    expect((failure as Error).message).toContain(
      `job default/init-cluster: gone; 1 pod left: ${orphan.metadata.name} (Succeeded on`,
    );
    expect((failure as Error).message).toContain('propagationPolicy Orphan');
    await kube.delete({ apiVersion: 'v1', kind: 'Pod', name: orphan.metadata.name, namespace: NS }, {}, signal);
    await waitForDeleted(kube, [jobRef], { timeoutMs: 60_000, signal });
  });
});
