import { afterAll, beforeAll, expect, it } from 'vitest';
import { drainNode, DrainTimeoutError, evictionApiVersion } from '../../../src/cluster/drain.js';
import { realPorts } from '../../../src/infra/ports.js';
import type { KubeApi, KubeObject } from '../../../src/ports/kube-api.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

// `machine remove`'s drain against a real API server, at 1.15 (Eviction and PodDisruptionBudget in policy/v1beta1)
// and the current version (policy/v1): a budget that allows no disruption holds the eviction until the timeout; once
// it allows one, the node drains; DaemonSet pods stay.
const signal = new AbortController().signal;

await describeEachK8sVersion('drain through the Eviction API', (version) => {
  let env: K8sTestEnv;
  let kube: KubeApi;
  let policy: string;
  beforeAll(async () => {
    env = await startK8sTestEnv({ version, nodes: [{ name: 'keep' }, { name: 'going' }] });
    kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    policy = evictionApiVersion(Number.parseInt((await kube.version(signal)).minor, 10));
  });
  afterAll(async () => {
    await env?.stop();
  });

  const podSpec = (app: string) => ({
    metadata: { labels: { app } },
    spec: { nodeSelector: { 'kubernetes.io/hostname': 'going' }, containers: [{ name: 'c', image: 'busybox' }] },
  });
  const running = async (app: string) =>
    (
      await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', labelSelector: `app=${app}` }, signal)
    ).filter(
      (pod) =>
        (pod['status'] as { phase?: string }).phase === 'Running' && pod.metadata.deletionTimestamp === undefined,
    );
  async function until(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('a budget holds the eviction until the timeout; allowed, the node drains and its DaemonSet pod stays', async () => {
    await kube.create(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'db', namespace: 'default' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'db' } }, template: podSpec('db') },
      } as KubeObject,
      {},
      signal,
    );
    await kube.create(
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'default' },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: podSpec('agent') },
      } as KubeObject,
      {},
      signal,
    );
    const budget = {
      apiVersion: policy,
      kind: 'PodDisruptionBudget',
      metadata: { name: 'db', namespace: 'default' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } },
    } as KubeObject;
    await kube.create(budget, {}, signal);
    await until(async () => (await running('db')).length === 1 && (await running('agent')).length === 1);
    // The disruption controller has to count the pod as healthy before the budget says "0 allowed".
    await until(async () => {
      const pdb = await kube.get(
        { apiVersion: policy, kind: 'PodDisruptionBudget', name: 'db', namespace: 'default' },
        signal,
      );
      return (pdb?.['status'] as { currentHealthy?: number } | undefined)?.currentHealthy === 1;
    });

    const options = { timeoutMs: 3_000, pollMs: 200, signal, evictionApiVersion: policy };
    await expect(drainNode(kube, 'going', options)).rejects.toBeInstanceOf(DrainTimeoutError);
    const node = (await kube.get({ apiVersion: 'v1', kind: 'Node', name: 'going' }, signal))!;
    expect((node['spec'] as { unschedulable?: boolean }).unschedulable).toBe(true);
    expect(await running('db')).toHaveLength(1);

    await kube.patch(
      { apiVersion: policy, kind: 'PodDisruptionBudget', name: 'db', namespace: 'default' },
      { type: 'merge', body: { spec: { minAvailable: 0 } } },
      {},
      signal,
    );
    const result = await drainNode(kube, 'going', { ...options, timeoutMs: 60_000 });
    expect(result.evicted).toHaveLength(1);
    expect(result.evicted[0]).toMatch(/^default\/db-/);
    expect(result.left).toHaveLength(1);
    expect(result.left[0]).toMatch(/^default\/agent-/);
    // Its ReplicaSet recreates it: not among the pods lost for good.
    expect(result.unmanaged).toEqual([]);
    // The replacement cannot go anywhere: its node selector names the cordoned node.
    expect((await running('db')).filter((pod) => (pod['spec'] as { nodeName?: string }).nodeName === 'going')).toEqual(
      [],
    );
    // Draining a node that is gone is nothing to do.
    expect(await drainNode(kube, 'never-was', options)).toEqual({
      node: 'never-was',
      found: false,
      evicted: [],
      left: [],
      unmanaged: [],
    });
  });
});
