import { afterAll, beforeAll, expect, it } from 'vitest';
import { syncNodeLabels } from '../../../src/cluster/node-labels.js';
import { nodeView } from '../../../src/cluster/nodes.js';
import { realPorts } from '../../../src/infra/ports.js';
import type { Layout, Machine } from '../../../src/model/cluster.js';
import type { KubeApi } from '../../../src/ports/kube-api.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

const NODES = Array.from({ length: 60 }, (_, i) => `pai-worker-${String(i + 1).padStart(3, '0')}`);
const signal = new AbortController().signal;

const layout = {
  kubernetes: undefined,
  skus: new Map(),
  machines: NODES.map(
    (hostname, index) =>
      ({
        index,
        hostname,
        ip: `10.0.1.${index + 1}`,
        machineType: 'cpu',
        master: index === 0,
        worker: index > 0,
        storage: false,
      }) as Machine,
  ),
} as Layout;

await describeEachK8sVersion('labelling while the API server restarts', (k8sVersion) => {
  let env: K8sTestEnv;

  beforeAll(async () => {
    env = await startK8sTestEnv({ version: k8sVersion, nodes: NODES.map((name) => ({ name })) });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('completes after retries: every node labelled, none twice, the restart seen by requests in between', async () => {
    const kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath, retryForMs: 60_000 });
    const nodes = (await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal)).map(nodeView);
    let patches = 0;
    let sentWhileDown = 0;
    let down = false;
    let restart: Promise<void> | undefined;
    const watched: KubeApi = {
      ...kube,
      server: kube.server,
      patch: async (...args) => {
        // After a tenth of the nodes, the API server goes away for 2 s (not awaited: the run goes on meanwhile).
        if (++patches === 6) {
          down = true;
          restart = env
            .stopApiserver()
            .then(() => new Promise((resolve) => setTimeout(resolve, 2_000)))
            .then(() => env.startApiserver())
            .finally(() => (down = false));
        }
        if (down) sentWhileDown++;
        return kube.patch(...args);
      },
    };
    const pidBefore = env.processes.find((p) => p.name === 'kube-apiserver')!.pid;
    const outcomes = await syncNodeLabels(watched, layout, nodes, { signal, concurrency: 4, dryRun: false });
    await restart;
    expect(env.processes.find((p) => p.name === 'kube-apiserver')!.pid).not.toBe(pidBefore);
    expect(sentWhileDown).toBeGreaterThan(0);
    expect(outcomes).toHaveLength(NODES.length);
    expect(outcomes.every((outcome) => outcome.written)).toBe(true);
    expect(patches).toBe(NODES.length);
    const labelled = (await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal)).map(nodeView);
    expect(labelled.filter((node) => node.labels['pai-worker'] === 'true')).toHaveLength(NODES.length - 1);
    expect(labelled.find((node) => node.name === 'pai-worker-001')?.labels['pai-master']).toBe('true');
  });
});
