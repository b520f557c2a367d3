import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isNodeReady } from '../../../scripts/k8s-testenv.d/nodes.js';
import { ephemeralPortRange, livingGroupMembers } from '../../../scripts/k8s-testenv.d/processes.js';
import {
  describeEachK8sVersion,
  numberedNodes,
  processesMentioning,
  startK8sTestEnv,
  type K8sTestEnv,
} from '../../support/k8s-testenv.js';

const NODES = ['pai-master-01', 'pai-worker-01', 'pai-worker-02'];
const SURVIVORS = ['etcd', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

await describeEachK8sVersion('k8s test environment: restarting kube-apiserver mid-test', (version) => {
  let env: K8sTestEnv;
  let kc: KubeConfig;
  /** Every kube-apiserver pid seen, old and new: none may outlive stop(). */
  const apiserverPids: number[] = [];

  beforeAll(async () => {
    env = await startK8sTestEnv({ version, nodes: NODES.map((name) => ({ name })) });
    kc = env.kubeConfig();
    apiserverPids.push(pidOf(env, 'kube-apiserver'));
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('while stopped, requests are refused; a request that retries gets through once it is started again', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNode()).items).toHaveLength(NODES.length);
    const before = pidOf(env, 'kube-apiserver');
    const survivors = SURVIVORS.map((name) => pidOf(env, name));

    // Outside the range the kernel hands out for listen(0) and connect(), so nothing takes it while it is down.
    expect(Number(new URL(env.server).port)).toBeLessThan(ephemeralPortRange()[0]);
    await env.stopApiserver();

    expect(livingGroupMembers(before)).toEqual([]);
    expect(env.processes.map((p) => p.name)).not.toContain('kube-apiserver');
    expect(await connectError(env.server)).toBe('ECONNREFUSED');
    const refused: unknown = await core.listNode().then(
      () => 'answered',
      (error: unknown) => error,
    );
    expect(errorCode(refused)).toBe('ECONNREFUSED');

    // A client that retries (as the product's KubeApi port does) while the server is down.
    let attempts = 0;
    const retried = (async () => {
      for (;;) {
        attempts++;
        try {
          return await core.listNode();
        } catch {
          await sleep(200);
        }
      }
    })();
    await sleep(1_500);
    expect(attempts).toBeGreaterThan(1);
    await env.startApiserver();
    expect((await retried).items.map((n) => n.metadata?.name).sort()).toEqual([...NODES].sort());

    const after = pidOf(env, 'kube-apiserver');
    apiserverPids.push(after);
    expect(after).not.toBe(before);
    expect(livingGroupMembers(after)).not.toEqual([]);
    expect(SURVIVORS.map((name) => pidOf(env, name))).toEqual(survivors);
    for (const pid of survivors) expect(livingGroupMembers(pid)).not.toEqual([]);
    expect(new URL(env.server).port).toBe(new URL(kc.getCurrentCluster()?.server ?? '').port);
  });

  it('restartApiserver({downMs}): the old kubeconfig and client work after, nodes stay Ready, controllers reconnect', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const before = pidOf(env, 'kube-apiserver');
    const started = Date.now();
    await env.restartApiserver({ downMs: 2_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    const after = pidOf(env, 'kube-apiserver');
    apiserverPids.push(after);
    expect(after).not.toBe(before);
    expect(livingGroupMembers(before)).toEqual([]);

    // The client made before the restart, and a fresh one from the same kubeconfig file.
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual([...NODES].sort());
    expect(nodes.filter(isNodeReady)).toHaveLength(NODES.length);
    expect((await env.kubeConfig().makeApiClient(CoreV1Api).listNode()).items).toHaveLength(NODES.length);

    // The controller manager (Deployment -> ReplicaSet -> Pod), the scheduler (binding) and kwok (Running) all
    // reconnected by themselves.
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: 'default', body: deployment('after') });
    const pod = await waitUntil('a Running pod of Deployment after', async () => {
      const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=after' });
      return pods.items.find((p: V1Pod) => p.status?.phase === 'Running');
    });
    expect(NODES).toContain(pod.spec?.nodeName);
    // kwok still renews the leases of its nodes.
    const lease = await waitUntil('a lease renewed after the restart', async () => {
      const leases = await kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: 'pai-worker-01', namespace: 'kube-node-lease' });
      const renewed = new Date(String(leases.spec?.renewTime ?? 0)).getTime();
      return renewed > started ? leases : undefined;
    });
    expect(lease.spec?.holderIdentity).toBeTruthy();
    await env.waitForNodesReady({ timeoutMs: 5_000 });
    expect((await core.listNode()).items.filter(isNodeReady)).toHaveLength(NODES.length);
  });

  it('stop() after restarts leaves no process of the environment alive', async () => {
    const components = env.processes;
    expect(components.map((p) => p.name).sort()).toEqual([...SURVIVORS, 'kube-apiserver'].sort());
    expect(apiserverPids).toHaveLength(3);
    await env.stop();
    for (const { name, pid } of components) expect(livingGroupMembers(pid), name).toEqual([]);
    for (const pid of apiserverPids) expect(livingGroupMembers(pid)).toEqual([]);
    expect(processesMentioning(env.stateDir)).toEqual([]);
    await expect(env.restartApiserver()).rejects.toThrow(/stopped/);
  });
});

/** Too slow for every run (about 10-25 s per version on 2 cores, and CPU-bound): PAI_DEPLOY_BIG_K8S=1. */
const BIG = process.env['PAI_DEPLOY_BIG_K8S'] === '1';

await describeEachK8sVersion('k8s test environment: 1,000 kwok nodes', (version) => {
  it.runIf(BIG)(
    'pai-worker-0001 … pai-worker-1000 are Ready within 60 s, and still Ready after a restart',
    async () => {
      const started = Date.now();
      const env = await startK8sTestEnv({ version, nodes: numberedNodes(1000) });
      try {
        const readyMs = Date.now() - started;
        expect(env.nodes[0]).toBe('pai-worker-0001');
        expect(env.nodes.at(-1)).toBe('pai-worker-1000');
        expect(readyMs).toBeLessThan(60_000);
        await env.restartApiserver({ downMs: 1_000 });
        const nodes = (await env.kubeConfig().makeApiClient(CoreV1Api).listNode()).items;
        expect(nodes).toHaveLength(1000);
        expect(nodes.filter(isNodeReady)).toHaveLength(1000);
      } finally {
        await env.stop();
      }
    },
  );
});

function pidOf(env: K8sTestEnv, name: string): number {
  const component = env.processes.find((p) => p.name === name);
  if (!component) throw new Error(`no running ${name}`);
  return component.pid;
}

/** The error code of a plain TCP connect to the server's port ('connected' when something listens). */
function connectError(server: string): Promise<string> {
  const { hostname, port } = new URL(server);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The errno code of a failed request, looked for along the error's causes. */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function deployment(name: string): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'example.invalid/app:1' }] },
      },
    },
  };
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}
