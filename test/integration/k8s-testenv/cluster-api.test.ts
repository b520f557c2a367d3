import { CoreV1Api } from '@kubernetes/client-node';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { syncNodeLabels } from '../../../src/cluster/node-labels.js';
import { nodeView } from '../../../src/cluster/nodes.js';
import { ConcurrentPushError, pushConfig } from '../../../src/cluster/stored-config.js';
import { loadCluster } from '../../../src/config/load-cluster.js';
import type { ClusterSpec } from '../../../src/model/cluster.js';
import { realPorts } from '../../../src/infra/ports.js';
import type { KubeApi } from '../../../src/ports/kube-api.js';
import { configFiles } from '../../../src/phase/phases/cluster-write.js';
import { runCli } from '../../support/cli.js';
import { tempDir } from '../../support/fixtures.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

const dir = tempDir('pai-deploy-cluster-api-');
const EXAMPLE = ['-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'];
const signal = new AbortController().signal;

await describeEachK8sVersion('the cluster through the Kubernetes API', (k8sVersion) => {
  let env: K8sTestEnv;
  let kube: KubeApi;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  beforeAll(async () => {
    env = await startK8sTestEnv({
      version: k8sVersion,
      nodes: [
        { name: 'pai-master-01', cpu: '24', memory: '60Gi' },
        { name: 'pai-gpu-01', cpu: '24', memory: '220Gi', gpu: 4 },
        // Stale labels from an earlier layout, and an admin's opt-out that is not pai-deploy's.
        { name: 'pai-gpu-02', gpu: 4, labels: { 'pai-master': 'true', 'no-nodeexporter': 'true' } },
        { name: 'stray-node' },
      ],
    });
    kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    cli = (args) => runCli([...args, '--kubeconfig', env.kubeconfigPath], { env: { PAI_DEPLOY_HOME: dir } });
  });
  afterAll(async () => {
    await env?.stop();
  });

  const labelsOf = async (name: string) =>
    (await kube.get({ apiVersion: 'v1', kind: 'Node', name }, signal))?.metadata.labels ?? {};

  it('reports the server, its version, a missing machine and a node the layout does not name', async () => {
    const status = await cli(['cluster', 'status', ...EXAMPLE, '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      version: string;
      server: string;
      missing: string[];
      nodes: Array<{ name: string; inLayout: boolean; ready: boolean; devices: Record<string, number> }>;
      stored: { keys: string[] };
    };
    expect(report.version).toBe(env.kubernetesVersion);
    expect(report.server).toBe(env.server);
    expect(report.missing).toEqual(['pai-cpu-01']);
    expect(report.nodes.find((node) => node.name === 'stray-node')).toMatchObject({ inLayout: false, ready: true });
    expect(report.nodes.find((node) => node.name === 'pai-gpu-01')?.devices).toEqual({ 'nvidia.com/gpu': 4 });
    expect(report.stored.keys).toEqual([]);
    expect(status.stderr).toContain(`Kubernetes ${env.kubernetesVersion} at ${env.server}`);
  });

  it('refuses to label while a machine is missing or NotReady, naming each with its condition', async () => {
    const missing = await cli(['cluster', 'label', ...EXAMPLE]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('pai-cpu-01: no node of this name');
    // A node kwok leaves alone, whose kubelet says it is not ready.
    await kube.create(
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'pai-cpu-01', labels: { 'k8s-testenv/simulate': 'not-ready' } },
      },
      {},
      signal,
    );
    // What a kubelet posts (the status subresource; the product never writes one, so the test uses client-node).
    const now = new Date();
    const core = env.kubeConfig().makeApiClient(CoreV1Api);
    // The node controller may write the fresh node meanwhile (a 409): read again and retry, as a kubelet would.
    for (let attempt = 0; ; attempt++) {
      const node = await core.readNode({ name: 'pai-cpu-01' });
      const resources = { cpu: '48', memory: '120Gi', pods: '110' };
      node.status = {
        capacity: resources,
        allocatable: resources,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'KubeletNotReady',
            message: 'container runtime is down',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      };
      const written = await core.replaceNodeStatus({ name: 'pai-cpu-01', body: node }).then(
        () => true,
        (error: unknown) => {
          if (attempt < 10 && String(error).includes('409')) return false;
          throw error;
        },
      );
      if (written) break;
    }
    const notReady = await cli(['cluster', 'label', ...EXAMPLE]);
    expect(notReady.code).toBe(1);
    expect(notReady.stderr).toContain('pai-cpu-01: Ready=False (KubeletNotReady): container runtime is down');
    // Handed back to kwok, it turns Ready.
    await kube.patch(
      { apiVersion: 'v1', kind: 'Node', name: 'pai-cpu-01' },
      { type: 'merge', body: { metadata: { labels: { 'k8s-testenv/simulate': null } } } },
      {},
      signal,
    );
    await waitUntil(
      async () => nodeView((await kube.get({ apiVersion: 'v1', kind: 'Node', name: 'pai-cpu-01' }, signal))!).ready,
    );
  });

  it("labels the nodes from the layout, removes stale labels, keeps the admin's, then has nothing to do", async () => {
    const dry = await cli(['cluster', 'label', ...EXAMPLE, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      'would label the node: remove pai-master, pai-worker=true, pai-computing-device=nvidia.com_gpu on pai-gpu-02',
    );
    expect(await labelsOf('pai-gpu-02')).toMatchObject({ 'pai-master': 'true' });

    const first = await cli(['cluster', 'label', ...EXAMPLE]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('cluster label: 4 node(s) relabelled, 0 already right');
    const master = await labelsOf('pai-master-01');
    expect(master['pai-master']).toBe('true');
    expect(master['pai-worker']).toBeUndefined();
    const gpu = await labelsOf('pai-gpu-02');
    expect(gpu['pai-master']).toBeUndefined();
    expect(gpu).toMatchObject({
      'pai-worker': 'true',
      'pai-computing-device': 'nvidia.com_gpu',
      'no-nodeexporter': 'true',
    });
    expect((await labelsOf('pai-cpu-01'))['pai-computing-device']).toBeUndefined();
    expect(await labelsOf('stray-node')).not.toHaveProperty('pai-worker');

    // The second run sends no request at all.
    const spec = await exampleSpec();
    const nodes = (await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal)).map(nodeView);
    const counted = countingPatches(kube);
    const again = await syncNodeLabels(counted.api, spec.layout, nodes, { signal, concurrency: 4, dryRun: false });
    expect(counted.patches()).toBe(0);
    expect(again.every((outcome) => !outcome.written && Object.keys(outcome.change).length === 0)).toBe(true);
  });

  it('pushes the configuration, keeps keys it was not given, guards the cluster id, and pulls it back', async () => {
    const dry = await cli(['config', 'push', ...EXAMPLE, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      'would store in pai-configuration: layout.yaml added, config.yaml added, services-configuration.yaml added',
    );
    expect(dry.stdout).toContain('hivedscheduler.config computed from the live nodes:');
    expect(dry.stdout).toContain('cellAddress: pai-gpu-02');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', name: 'pai-configuration', namespace: 'default' };
    expect(await kube.get(cm, signal)).toBeUndefined();

    const push = await cli(['config', 'push', ...EXAMPLE]);
    expect(push.code, push.stderr).toBe(0);
    const spec = await exampleSpec();
    const local = configFiles(spec);
    const stored = (await kube.get(cm, signal))?.['data'] as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(Object.keys(local).sort());
    expect(stored['layout.yaml']).toBe(local['layout.yaml']);
    expect(stored['config.yaml']).toBe(local['config.yaml']);
    // services-configuration.yaml as rendered, plus the hived cells computed from the live nodes: 4 GPUs per
    // gpu-machine node, a CPU pool of the one cpu-machine node.
    const hived = parse(parse(stored['services-configuration.yaml']!).hivedscheduler.config);
    expect(hived.physicalCluster.cellTypes['gpu-machine-NODE']).toMatchObject({
      childCellType: 'gpu-machine',
      childCellNumber: 4,
    });
    expect(hived.physicalCluster.physicalCells).toEqual([
      {
        cellType: 'gpu-machine-NODE-POOL',
        cellChildren: [{ cellAddress: 'pai-gpu-01' }, { cellAddress: 'pai-gpu-02' }],
      },
      { cellType: 'cpu-machine-NODE-POOL', cellChildren: [{ cellAddress: 'pai-cpu-01' }] },
    ]);
    expect(Object.keys(hived.virtualClusters)).toEqual(['default', 'vc1']);
    // Values never reach the output: config.yaml holds the SSH password.
    expect(push.stdout + push.stderr).not.toContain(spec.config.ssh.password ?? 'no-password');
    const idRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'pai-cluster-id', namespace: 'default' };
    expect((await kube.get(idRef, signal))?.['data']).toEqual({ 'cluster-id': 'pai' });

    // A key OpenPAI's own push wrote and pai-deploy does not: kept.
    await kube.patch(
      cm,
      { type: 'merge', body: { data: { 'k8s-role-definition.yaml': 'legacy: true\n' } } },
      {},
      signal,
    );
    const unchanged = await cli(['config', 'push', ...EXAMPLE]);
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(unchanged.stdout).toContain('already this one');
    expect((await kube.get(cm, signal))?.['data']).toMatchObject({ 'k8s-role-definition.yaml': 'legacy: true\n' });

    // Another cluster's id: refused, then renamed with --force.
    await kube.patch(idRef, { type: 'merge', body: { data: { 'cluster-id': 'other' } } }, {}, signal);
    const refused = await cli(['config', 'push', ...EXAMPLE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is "other", but this configuration is for "pai"');
    const forced = await cli(['config', 'push', ...EXAMPLE, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await kube.get(idRef, signal))?.['data']).toEqual({ 'cluster-id': 'pai' });

    const out = join(dir, `pulled-${k8sVersion}`);
    const pull = await cli(['config', 'pull', '--out', out]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'config.yaml',
      'k8s-role-definition.yaml',
      'layout.yaml',
      'services-configuration.yaml',
    ]);
    for (const [key, text] of Object.entries(stored)) expect(readFileSync(join(out, key), 'utf8')).toBe(text);
    expect(statSync(join(out, 'config.yaml')).mode & 0o777).toBe(0o600);
    const wrongId = await cli(['config', 'pull', '--out', join(dir, 'nope'), '--cluster-id', 'lab']);
    expect(wrongId.code).toBe(1);
    expect(wrongId.stderr).toContain('is "pai", not "lab"');
  });

  it('lets one of two racing pushes win and fails the other cleanly, losing neither', async () => {
    const spec = await exampleSpec();
    const base = configFiles(spec);
    // Both pushes read before either writes: the interleaving that loses a push without optimistic concurrency.
    const racing = barrierBeforeWrites(kube, 2);
    const results = await Promise.allSettled([
      pushConfig(racing, { ...base, 'a.yaml': 'a\n' }, { clusterId: 'pai', force: false, dryRun: false, signal }),
      pushConfig(racing, { ...base, 'b.yaml': 'b\n' }, { clusterId: 'pai', force: false, dryRun: false, signal }),
    ]);
    const failed = results.filter((result) => result.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrentPushError);
    const data = (
      await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'pai-configuration', namespace: 'default' }, signal)
    )?.['data'] as Record<string, string>;
    // Exactly the winner's key, and everything stored before.
    expect(['a.yaml', 'b.yaml'].filter((key) => key in data)).toHaveLength(1);
    expect(data['k8s-role-definition.yaml']).toBe('legacy: true\n');
  });
});

async function exampleSpec(): Promise<ClusterSpec> {
  const loaded = await loadCluster({ kind: 'yaml', path: 'examples/layout.yaml' }, 'examples/config.yaml', signal);
  if (!loaded.input) throw new Error('the example does not load');
  return loaded.input;
}

/** The port, with a count of the PATCH requests sent through it. */
function countingPatches(api: KubeApi): { api: KubeApi; patches(): number } {
  let count = 0;
  return {
    api: { ...api, server: api.server, patch: (...args) => (count++, api.patch(...args)) },
    patches: () => count,
  };
}

/** The port, holding every replace/create until `parties` of them are waiting. */
function barrierBeforeWrites(api: KubeApi, parties: number): KubeApi {
  let waiting = 0;
  let release: () => void = () => undefined;
  const allThere = new Promise<void>((resolve) => (release = resolve));
  const hold = async () => {
    if (++waiting >= parties) release();
    await allThere;
  };
  return {
    ...api,
    server: api.server,
    replace: async (...args) => (await hold(), api.replace(...args)),
    create: async (...args) => (await hold(), api.create(...args)),
  };
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
