import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { send, type ProbeResult } from '../../../scripts/k8s-testenv.d/http-probe.js';
import { isNodeReady } from '../../../scripts/k8s-testenv.d/nodes.js';
import {
  describeEachK8sVersion,
  startK8sTestEnv,
  type K8sTestEnv,
  type K8sTestEnvVersion,
} from '../../support/k8s-testenv.js';

/** What each version's API server must show; the 1.15 column is what kubespray 2.11's clusters show. */
const FACTS: Record<
  K8sTestEnvVersion,
  {
    gitVersion: string;
    minor: string;
    /** Status of /readyz and /livez for the admin user: 1.15 has only /healthz. */
    readyz: number;
    /** The group version that serves CronJob, and the one that does not (404 when not served at all). */
    cronJobIn: string;
    cronJobNotIn: string;
    /** A server-side apply PATCH that creates a ConfigMap, with the default feature gates. */
    serverSideApply: number;
  }
> = {
  current: {
    gitVersion: 'v1.36.3',
    minor: '36',
    readyz: 200,
    cronJobIn: 'batch/v1',
    cronJobNotIn: 'batch/v1beta1',
    serverSideApply: 201,
  },
  '1.15': {
    gitVersion: 'v1.15.12',
    minor: '15',
    readyz: 404,
    cronJobIn: 'batch/v1beta1',
    cronJobNotIn: 'batch/v1',
    serverSideApply: 415,
  },
};

await describeEachK8sVersion('k8s test environment: what the version shows', (version) => {
  const facts = FACTS[version];
  let env: K8sTestEnv;
  let kc: KubeConfig;

  beforeAll(async () => {
    env = await startK8sTestEnv({ nodes: [{ name: 'pai-worker-001' }], version });
    kc = env.kubeConfig();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it(`/version reports ${facts.gitVersion}`, async () => {
    const answer = await get(env, '/version');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ gitVersion: facts.gitVersion, major: '1', minor: facts.minor });
    expect(env.kubernetesVersion).toBe(facts.gitVersion);
  });

  it(`/healthz answers ok; /readyz and /livez answer ${facts.readyz}`, async () => {
    expect(await get(env, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    expect((await get(env, '/readyz')).status).toBe(facts.readyz);
    expect((await get(env, '/livez')).status).toBe(facts.readyz);
  });

  it(`discovery serves CronJob in ${facts.cronJobIn}, not in ${facts.cronJobNotIn}`, async () => {
    expect(await cronJobServed(env, facts.cronJobIn)).toBe(true);
    expect(await cronJobServed(env, facts.cronJobNotIn)).toBe(false);
  });

  it(`a server-side apply PATCH with the default feature gates answers ${facts.serverSideApply}`, async () => {
    const answer = await applyConfigMap(env, 'apply-probe');
    expect(answer.status, answer.body).toBe(facts.serverSideApply);
    const read = kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'apply-probe', namespace: 'default' });
    if (facts.serverSideApply === 415) await expect(read).rejects.toMatchObject({ code: 404 });
    else expect((await read).data).toEqual({ via: 'server-side apply' });
  });

  it('its node is Ready and a pod bound to it becomes Running', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    expect(isNodeReady(await core.readNode({ name: 'pai-worker-001' }))).toBe(true);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe' },
        spec: { containers: [{ name: 'main', image: 'example.invalid/probe:1' }] },
      },
    });
    const deadline = Date.now() + 60_000;
    let phase: string | undefined;
    while (Date.now() < deadline) {
      const pod = await core.readNamespacedPod({ name: 'probe', namespace: 'default' });
      phase = pod.status?.phase;
      if (phase === 'Running') {
        expect(pod.spec?.nodeName).toBe('pai-worker-001');
        expect(pod.status?.podIP).toMatch(/^10\.233\./);
        return;
      }
      await sleep(250);
    }
    throw new Error(`pod probe still ${phase} after 60 s`);
  });
});

await describeEachK8sVersion(
  'k8s test environment: featureGates { ServerSideApply: true } on 1.15',
  (version) => {
    let env: K8sTestEnv;
    beforeAll(async () => {
      env = await startK8sTestEnv({ nodes: [], version, featureGates: { ServerSideApply: true } });
    });
    afterAll(async () => {
      await env?.stop();
    });

    it('accepts a server-side apply PATCH', async () => {
      const answer = await applyConfigMap(env, 'applied');
      expect(answer.status, answer.body).toBe(201);
      const stored = await env
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ name: 'applied', namespace: 'default' });
      expect(stored.data).toEqual({ via: 'server-side apply' });
    });
  },
  ['1.15'],
);

async function get(env: K8sTestEnv, path: string): Promise<ProbeResult> {
  const answer = await send(`${env.server}${path}`, {}, env.clientTls);
  if (answer === null) throw new Error(`no answer from ${env.server}${path}`);
  return answer;
}

/** Whether discovery of a group version lists cronjobs; false when the group version is not served. */
async function cronJobServed(env: K8sTestEnv, groupVersion: string): Promise<boolean> {
  const answer = await get(env, `/apis/${groupVersion}`);
  if (answer.status === 404) return false;
  expect(answer.status).toBe(200);
  const list = JSON.parse(answer.body) as { resources: Array<{ name: string; kind: string }> };
  expect(list.resources.some((r) => r.kind === 'Job' || r.kind === 'CronJob')).toBe(true);
  return list.resources.some((r) => r.name === 'cronjobs' && r.kind === 'CronJob');
}

/** PATCH with content type application/apply-patch+yaml, the way kubectl apply --server-side sends it. */
async function applyConfigMap(env: K8sTestEnv, name: string): Promise<ProbeResult> {
  const body = ['apiVersion: v1', 'kind: ConfigMap', `metadata: {name: ${name}}`, 'data: {via: server-side apply}'];
  const answer = await send(
    `${env.server}/api/v1/namespaces/default/configmaps/${name}?fieldManager=pai-deploy-tests`,
    { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml' }, body: body.join('\n') + '\n' },
    env.clientTls,
  );
  if (answer === null) throw new Error(`no answer to the apply PATCH of ${name}`);
  return answer;
}
