import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InputFileError, PaiDeployError } from '../../../src/errors.js';
import { realPorts } from '../../../src/infra/ports.js';
import { tempDir } from '../../support/fixtures.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

const dir = tempDir('pai-deploy-kube-port-');

await describeEachK8sVersion('the Kubernetes API port against a real API server', (k8sVersion) => {
  let env: K8sTestEnv;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    env = await startK8sTestEnv({ nodes: [{ name: 'pai-master-01', cpu: '8', memory: '32Gi' }], version: k8sVersion });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('connects with the admin kubeconfig and reports the server and its version', async () => {
    const kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    expect(kube.server).toBe(env.server);
    const version = await kube.version(signal);
    expect(version.gitVersion).toBe(env.kubernetesVersion);
    expect(`v${version.major}.${version.minor}`).toBe(version.gitVersion.split('.').slice(0, 2).join('.'));
  });

  it('refuses a missing kubeconfig, an unknown context and a server that does not answer, each with a hint', async () => {
    await expect(realPorts().kube({ kubeconfigPath: join(dir, 'none') })).rejects.toBeInstanceOf(InputFileError);
    await expect(realPorts().kube({ kubeconfigPath: env.kubeconfigPath, context: 'nope' })).rejects.toThrow(
      /no context "nope"/,
    );
    // The same credentials, pointed at a loopback port nothing listens on.
    const closed = join(dir, 'closed.kubeconfig');
    writeFileSync(closed, env.kubeconfig.replace(env.server, 'https://127.0.0.1:1'));
    const kube = await realPorts().kube({ kubeconfigPath: closed });
    const started = Date.now();
    const failure = await kube.version(signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaiDeployError);
    expect((failure as PaiDeployError).message).toContain('https://127.0.0.1:1 did not answer GET /version');
    expect((failure as PaiDeployError).hint).toMatch(/6443/);
    // Never reached, so not retried for a minute: the address is wrong, not restarting.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('discovers what the server serves and reads, lists, creates, replaces, patches and deletes raw objects', async () => {
    const kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    const served = await kube.served(signal);
    const has = (apiVersion: string, kind: string) =>
      served.some((r) => (r.group === '' ? r.version : `${r.group}/${r.version}`) === apiVersion && r.kind === kind);
    expect(has('v1', 'ConfigMap')).toBe(true);
    expect(has('batch/v1beta1', 'CronJob')).toBe(k8sVersion === '1.15');
    expect(has('batch/v1', 'CronJob')).toBe(k8sVersion !== '1.15');
    expect(served.find((r) => r.kind === 'Node')).toMatchObject({ plural: 'nodes', namespaced: false });

    const nodes = await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal);
    expect(nodes.map((node) => node.metadata.name)).toEqual(['pai-master-01']);
    expect(nodes[0]).toMatchObject({ apiVersion: 'v1', kind: 'Node' });

    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'port-test', namespace: 'default' };
    expect(await kube.get(ref, signal)).toBeUndefined();
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'port-test', namespace: 'default' } };
    // A dry-run create persists nothing.
    await kube.create({ ...object, data: { a: '1' } }, { dryRun: true }, signal);
    expect(await kube.get(ref, signal)).toBeUndefined();
    const created = await kube.create({ ...object, data: { a: '1' } }, { fieldManager: 'pai-deploy' }, signal);
    const taken = await kube.create(object, {}, signal).catch((error: unknown) => error);
    expect(taken).toMatchObject({ status: 409, reason: 'AlreadyExists' });

    // Optimistic concurrency: a replace with a stale resourceVersion is refused.
    const first = await kube.replace({ ...created, data: { a: '2' } }, {}, signal);
    const stale = await kube.replace({ ...created, data: { a: '3' } }, {}, signal).catch((error: unknown) => error);
    expect(stale).toMatchObject({ status: 409, reason: 'Conflict' });
    expect(first.data).toEqual({ a: '2' });

    // A merge patch: null deletes, other keys stay.
    await kube.patch(ref, { type: 'merge', body: { data: { a: null, b: 'x' } } }, {}, signal);
    expect((await kube.get(ref, signal))?.['data']).toEqual({ b: 'x' });

    // Server-side apply: served on current servers, 415 on 1.15 without its feature gate (as kubespray 2.11's).
    const apply = await kube
      .patch(
        ref,
        { type: 'apply', body: { ...object, data: { c: 'y' } }, force: true },
        { fieldManager: 'pai-deploy' },
        signal,
      )
      .catch((error: unknown) => error);
    if (k8sVersion === '1.15') expect(apply).toMatchObject({ status: 415 });
    else expect((await kube.get(ref, signal))?.['data']).toEqual({ b: 'x', c: 'y' });

    expect(await kube.delete(ref, {}, signal)).toBe(true);
    expect(await kube.delete(ref, {}, signal)).toBe(false);
    // A kind this server does not serve is named.
    await expect(
      kube.get({ apiVersion: 'batch/v2', kind: 'CronJob', name: 'x', namespace: 'default' }, signal),
    ).rejects.toThrow('does not serve CronJob in batch/v2');
  });
});
