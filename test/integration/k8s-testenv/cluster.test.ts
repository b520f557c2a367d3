import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1DaemonSet,
  type V1Deployment,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeEachK8sVersion,
  startK8sTestEnv,
  type K8sTestEnv,
  type K8sTestEnvVersion,
} from '../../support/k8s-testenv.js';

const FIELD_MANAGER = 'pai-deploy-tests';
const NAMESPACE = 'default';

await describeEachK8sVersion('k8s test environment: a real API server with kwok nodes', (version) => {
  let env: K8sTestEnv;
  let kc: KubeConfig;
  const apply = (kc: KubeConfig, object: KubernetesObject): Promise<void> => submit(version, kc, object);

  beforeAll(async () => {
    env = await startK8sTestEnv({
      version,
      nodes: [
        { name: 'pai-master-01', cpu: '8', memory: '32Gi', labels: { 'pai-master': 'true' }, address: '10.151.40.11' },
        { name: 'pai-gpu-01', cpu: '24', memory: '220Gi', gpu: 4, labels: { 'pai-worker': 'true' } },
        { name: 'pai-gpu-02', cpu: '24', memory: '220Gi', gpu: 4, labels: { 'pai-worker': 'true' } },
      ],
    });
    kc = env.kubeConfig();
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('registers the requested nodes as Ready with their allocatable resources, labels and address', async () => {
    const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(['pai-gpu-01', 'pai-gpu-02', 'pai-master-01']);
    const byName = new Map(nodes.map((n) => [n.metadata?.name, n]));
    const master = byName.get('pai-master-01');
    const gpu = byName.get('pai-gpu-01');
    expect(master?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(master?.status?.allocatable).toMatchObject({ cpu: '8', memory: '32Gi' });
    expect(master?.status?.allocatable?.['nvidia.com/gpu']).toBeUndefined();
    expect(master?.metadata?.labels).toMatchObject({ 'pai-master': 'true', 'kubernetes.io/hostname': 'pai-master-01' });
    expect(master?.status?.addresses).toContainEqual({ type: 'InternalIP', address: '10.151.40.11' });
    expect(gpu?.status?.allocatable).toMatchObject({ cpu: '24', memory: '220Gi', 'nvidia.com/gpu': '4' });
    expect(gpu?.metadata?.labels?.['pai-worker']).toBe('true');
  });

  it('makes a Deployment Available, with Running and Ready pods on kwok nodes', async () => {
    await apply(kc, deployment('web', 3, { 'pai-worker': 'true' }));
    const available = await waitUntil(`Deployment web available`, async () => {
      const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: NAMESPACE });
      return deploymentComplete(d) ? d : undefined;
    });
    expect(available.status?.availableReplicas).toBe(3);

    const pods = await podsWithLabel(kc, 'app=web');
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(['pai-gpu-01', 'pai-gpu-02']).toContain(pod.spec?.nodeName);
      expect(pod.status?.podIP).toMatch(/^10\.233\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./);
    }
  });

  it('runs a DaemonSet pod on every node', async () => {
    const ds: V1DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agent', namespace: NAMESPACE },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: {
          metadata: { labels: { app: 'node-agent' } },
          spec: { hostNetwork: true, containers: [{ name: 'agent', image: 'example.invalid/agent:1' }] },
        },
      },
    };
    await apply(kc, ds);
    const ready = await waitUntil('DaemonSet node-agent available everywhere', async () => {
      const d = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name: 'node-agent', namespace: NAMESPACE });
      const s = d.status;
      const done =
        (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        s?.desiredNumberScheduled === 3 &&
        s.numberAvailable === 3 &&
        (s.updatedNumberScheduled ?? 0) >= 3;
      return done ? d : undefined;
    });
    expect(ready.status?.numberReady).toBe(3);
    const nodes = (await podsWithLabel(kc, 'app=node-agent')).map((p) => p.spec?.nodeName).sort();
    expect(nodes).toEqual(['pai-gpu-01', 'pai-gpu-02', 'pai-master-01']);
  });

  it('schedules by nvidia.com/gpu: a pod fitting a GPU node runs, one asking for more stays Unschedulable', async () => {
    await apply(kc, gpuPod('fits-4-gpus', 4));
    await apply(kc, gpuPod('wants-5-gpus', 5));
    const running = await waitUntil('pod fits-4-gpus Running', async () => {
      const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'fits-4-gpus', namespace: NAMESPACE });
      return pod.status?.phase === 'Running' ? pod : undefined;
    });
    expect(['pai-gpu-01', 'pai-gpu-02']).toContain(running.spec?.nodeName);
    const pending = await waitUntil('pod wants-5-gpus marked Unschedulable', async () => {
      const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'wants-5-gpus', namespace: NAMESPACE });
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return scheduled?.status === 'False' ? pod : undefined;
    });
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(/nvidia\.com\/gpu/);
  });

  it('completes a Job: its pod runs, then succeeds', async () => {
    const job: V1Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'one-shot', namespace: NAMESPACE },
      spec: {
        backoffLimit: 0,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'example.invalid/task:1' }] },
        },
      },
    };
    await apply(kc, job);
    const done = await waitUntil('Job one-shot complete', async () => {
      const j = await kc.makeApiClient(BatchV1Api).readNamespacedJob({ name: 'one-shot', namespace: NAMESPACE });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(done.status?.succeeded).toBe(1);
    expect(done.status?.failed ?? 0).toBe(0);
  });

  it('rejects an invalid manifest with 422 naming the offending field', async () => {
    const broken = deployment('broken', 1, {});
    broken.spec!.template.metadata!.labels = { app: 'something-else' };
    const error = await apply(kc, broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiException);
    const apiError = error as ApiException<unknown>;
    expect(apiError.code).toBe(422);
    expect(String(JSON.stringify(apiError.body))).toContain('spec.template.metadata.labels');
    await expect(
      kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'broken', namespace: NAMESPACE }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('deletes a Deployment together with its pods (garbage collection and kwok pod removal)', async () => {
    await apply(kc, deployment('short-lived', 2, {}));
    await waitUntil('Deployment short-lived available', async () => {
      const d = await kc
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: 'short-lived', namespace: NAMESPACE });
      return deploymentComplete(d) ? d : undefined;
    });
    await kc
      .makeApiClient(AppsV1Api)
      .deleteNamespacedDeployment({ name: 'short-lived', namespace: NAMESPACE, propagationPolicy: 'Foreground' });
    await waitUntil('pods of short-lived gone', async () =>
      (await podsWithLabel(kc, 'app=short-lived')).length === 0 ? true : undefined,
    );
  });
});

function deployment(name: string, replicas: number, nodeSelector: Record<string, string>): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector,
          containers: [
            {
              name: 'main',
              image: 'example.invalid/web:1',
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
            },
          ],
        },
      },
    },
  };
}

function gpuPod(name: string, gpus: number): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      containers: [
        { name: 'train', image: 'example.invalid/train:1', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } },
      ],
    },
  };
}

/**
 * Creates an object: applied server-side on current; created on 1.15, whose server-side apply is an alpha
 * feature that kubespray 2.11 leaves off (the environment's default too).
 */
async function submit(version: K8sTestEnvVersion, kc: KubeConfig, object: KubernetesObject): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  if (version === '1.15') {
    await client.create(object, undefined, undefined, FIELD_MANAGER);
    return;
  }
  await client.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/** kubectl's rollout-status predicate. */
function deploymentComplete(d: V1Deployment): boolean {
  const s = d.status;
  const wanted = d.spec?.replicas ?? 1;
  return (
    (d.metadata?.generation ?? 0) <= (s?.observedGeneration ?? -1) &&
    (s?.updatedReplicas ?? 0) >= wanted &&
    (s?.replicas ?? 0) <= (s?.updatedReplicas ?? 0) &&
    (s?.availableReplicas ?? 0) >= (s?.updatedReplicas ?? 0)
  );
}

async function podsWithLabel(kc: KubeConfig, labelSelector: string): Promise<V1Pod[]> {
  return (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NAMESPACE, labelSelector })).items;
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}
