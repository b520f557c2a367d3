import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiVersionNotServedError } from '../../../src/cluster/apply/api-versions.js';
import { createApplier, type ApplyResult } from '../../../src/cluster/apply/apply.js';
import { LAST_APPLIED_ANNOTATION } from '../../../src/cluster/apply/last-applied.js';
import { realPorts } from '../../../src/infra/ports.js';
import type { KubeApi, KubeObject, KubeObjectRef } from '../../../src/ports/kube-api.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

const signal = new AbortController().signal;

/** The port with every call written down: `get ConfigMap/x`, `create ConfigMap/x`, `patch merge ConfigMap/x`. */
function recording(kube: KubeApi): { kube: KubeApi; calls: string[] } {
  const calls: string[] = [];
  const name = (ref: { kind: string; name: string }) => `${ref.kind}/${ref.name}`;
  const dry = (options: { dryRun?: boolean }) => (options.dryRun ? ' (dry run)' : '');
  return {
    calls,
    kube: {
      server: kube.server,
      version: (s) => kube.version(s),
      served: (s) => kube.served(s),
      get(ref, s) {
        calls.push(`get ${name(ref)}`);
        return kube.get(ref, s);
      },
      list: (query, s) => kube.list(query, s),
      create(object, options, s) {
        calls.push(`create ${name({ kind: object.kind, name: object.metadata.name })}${dry(options)}`);
        return kube.create(object, options, s);
      },
      replace(object, options, s) {
        calls.push(`replace ${name({ kind: object.kind, name: object.metadata.name })}${dry(options)}`);
        return kube.replace(object, options, s);
      },
      patch(ref, patch, options, s) {
        calls.push(`patch ${patch.type} ${name(ref)}${dry(options)}`);
        return kube.patch(ref, patch, options, s);
      },
      delete(ref, options, s) {
        calls.push(`delete ${name(ref)}`);
        return kube.delete(ref, options, s);
      },
    },
  };
}

const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', labels: { app: 'apply-test' } },
  data,
});

const deployment = (
  name: string,
  labels: Record<string, string>,
  env: Array<{ name: string; value: string }>,
  port: Record<string, unknown> = { containerPort: 8080, protocol: 'TCP' },
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', labels },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'main', image: 'example.invalid/web:1', env, ports: [port] }] },
    },
  },
});

const cronJob = (name: string, schedule: string): KubeObject => ({
  apiVersion: 'batch/v1beta1',
  kind: 'CronJob',
  metadata: { name, namespace: 'default' },
  spec: {
    schedule,
    jobTemplate: {
      spec: {
        template: {
          spec: { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: 'example.invalid/job:1' }] },
        },
      },
    },
  },
});

const refOf = (result: ApplyResult): KubeObjectRef => result.ref;

/** Until the Deployment's controller is done with it (so only an apply could change it from then on). */
async function settled(kube: KubeApi, ref: KubeObjectRef): Promise<KubeObject> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const live = await kube.get(ref, signal);
    const status = (live?.['status'] ?? {}) as Record<string, number | undefined>;
    const generation = live?.metadata['generation'];
    if (
      live !== undefined &&
      status['observedGeneration'] === generation &&
      status['updatedReplicas'] === 1 &&
      status['availableReplicas'] === 1 &&
      status['replicas'] === 1
    ) {
      // A second read a moment later, to be sure no status write is still under way.
      await sleep(1_500);
      const again = await kube.get(ref, signal);
      if (again !== undefined && again.metadata.resourceVersion === live.metadata.resourceVersion) return again;
    }
    if (Date.now() > deadline) throw new Error(`Deployment ${ref.name} did not settle: ${JSON.stringify(status)}`);
    await sleep(250);
  }
}

await describeEachK8sVersion(
  'apply: version-aware, server-side where served, kubectl-like client-side otherwise',
  (version) => {
    const old = version === '1.15';
    /** 1.15 as kubespray 2.11 sets it up: server-side apply off (415), so client-side. */
    const strategy = old ? 'client-side' : 'server-side';
    let env: K8sTestEnv;
    let port: KubeApi;

    beforeAll(async () => {
      env = await startK8sTestEnv({ nodes: [{ name: 'pai-worker-01', cpu: '8', memory: '32Gi' }], version });
      port = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    });
    afterAll(async () => {
      await env?.stop();
    });

    it('decides the strategy from the server: 1.15 answers 415 once, and then is not asked again', async () => {
      const { kube, calls } = recording(port);
      const applier = createApplier(kube, { signal });
      expect(applier.serverSideApply).toBe('untried');
      const first = await applier.apply(configMap('strategy-1', { a: '1' }));
      const second = await applier.apply(configMap('strategy-2', { a: '1' }));
      expect([first.strategy, second.strategy]).toEqual([strategy, strategy]);
      expect(applier.serverSideApply).toBe(old ? 'off' : 'on');
      if (old) {
        expect(first.notes).toEqual([expect.stringMatching(/^server-side apply is off on this server \(415/)]);
        expect(second.notes).toEqual([]);
        expect(calls).toEqual([
          'get ConfigMap/strategy-1',
          'patch apply ConfigMap/strategy-1',
          'create ConfigMap/strategy-1',
          'get ConfigMap/strategy-2',
          'create ConfigMap/strategy-2',
        ]);
      } else {
        expect(first.notes).toEqual([]);
        expect(calls).toEqual([
          'get ConfigMap/strategy-1',
          'patch apply ConfigMap/strategy-1',
          'get ConfigMap/strategy-2',
          'patch apply ConfigMap/strategy-2',
        ]);
      }
    });

    it('applies a CronJob written as batch/v1beta1, stored at the version the server serves', async () => {
      const applier = createApplier(port, { signal });
      const result = await applier.apply(cronJob('nightly', '0 3 * * *'));
      const served = old ? 'batch/v1beta1' : 'batch/v1';
      expect(result).toMatchObject({
        outcome: 'created',
        strategy,
        writtenApiVersion: 'batch/v1beta1',
        apiVersion: served,
        ref: { apiVersion: served, kind: 'CronJob', name: 'nightly', namespace: 'default' },
      });
      if (!old) expect(result.notes).toEqual(['batch/v1beta1 → batch/v1 (the same fields)']);
      const stored = await port.get(refOf(result), signal);
      expect(stored?.apiVersion).toBe(served);
      expect((stored?.['spec'] as { schedule: string }).schedule).toBe('0 3 * * *');

      // Changed and applied again: the same object, rescheduled.
      const again = await applier.apply(cronJob('nightly', '0 4 * * *'));
      expect(again.outcome).toBe('configured');
      expect(again.changes).toEqual([
        { path: 'spec.schedule', change: 'changed', before: '0 3 * * *', after: '0 4 * * *' },
      ]);
    });

    it('prunes a ConfigMap key the manifest dropped; a second apply is a no-op', async () => {
      const { kube, calls } = recording(port);
      const applier = createApplier(kube, { signal });
      const created = await applier.apply(configMap('prune', { a: '1', b: '2' }));
      expect(created.outcome).toBe('created');
      const stored = await port.get(created.ref, signal);
      if (old) {
        expect(JSON.parse(stored?.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? '')).toEqual(
          configMap('prune', { a: '1', b: '2' }),
        );
      } else {
        expect(stored?.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).toBeUndefined();
      }

      const pruned = await applier.apply(configMap('prune', { a: '1' }));
      expect(pruned).toMatchObject({ outcome: 'configured', strategy });
      expect(pruned.changes).toEqual([{ path: 'data.b', change: 'removed', before: '2' }]);
      const after = await port.get(created.ref, signal);
      expect(after?.['data']).toEqual({ a: '1' });
      expect(after?.metadata.resourceVersion).not.toBe(stored?.metadata.resourceVersion);

      calls.length = 0;
      const repeated = await applier.apply(configMap('prune', { a: '1' }));
      expect(repeated).toMatchObject({ outcome: 'unchanged', strategy, changes: [] });
      expect(repeated.stored.metadata.resourceVersion).toBe(after?.metadata.resourceVersion);
      expect((await port.get(created.ref, signal))?.metadata.resourceVersion).toBe(after?.metadata.resourceVersion);
      // Client-side: nothing sent at all. Server-side: the apply is sent, and the server writes nothing.
      expect(calls).toEqual(old ? ['get ConfigMap/prune'] : ['get ConfigMap/prune', 'patch apply ConfigMap/prune']);
    });

    it('prunes a Deployment label and env var; a second apply is a no-op', async () => {
      const { kube, calls } = recording(port);
      const applier = createApplier(kube, { signal });
      const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' };
      const first = deployment('web', { app: 'web', tier: 'front' }, [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]);
      const second = deployment('web', { app: 'web' }, [{ name: 'A', value: '1' }]);
      expect((await applier.apply(first)).outcome).toBe('created');
      await settled(port, ref);

      const pruned = await applier.apply(second);
      expect(pruned).toMatchObject({ outcome: 'configured', strategy });
      expect(pruned.changes).toEqual(
        expect.arrayContaining([
          { path: 'metadata.labels.tier', change: 'removed', before: 'front' },
          {
            path: 'spec.template.spec.containers[0].env',
            change: 'changed',
            before: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            after: [{ name: 'A', value: '1' }],
          },
        ]),
      );
      const live = await settled(port, ref);
      expect(live.metadata.labels).toEqual({ app: 'web' });
      const container = (live['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } })
        .template.spec.containers[0];
      expect(container?.['env']).toEqual([{ name: 'A', value: '1' }]);
      // The server's defaults in the list elements are back (the list was sent whole, then defaulted).
      expect(container?.['imagePullPolicy']).toBe('IfNotPresent');

      calls.length = 0;
      const repeated = await applier.apply(second);
      expect(repeated).toMatchObject({ outcome: 'unchanged', changes: [] });
      const after = await port.get(ref, signal);
      expect(after?.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
      expect(after?.metadata['generation']).toBe(live.metadata['generation']);
      expect(calls).toEqual(old ? ['get Deployment/web'] : ['get Deployment/web', 'patch apply Deployment/web']);
    });

    it('applies a ClusterRole written as rbac.authorization.k8s.io/v1beta1 (as v1 where v1beta1 is gone)', async () => {
      const applier = createApplier(port, { signal });
      const rules = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }];
      const result = await applier.apply({
        apiVersion: 'rbac.authorization.k8s.io/v1beta1',
        kind: 'ClusterRole',
        metadata: { name: 'pai-apply-reader' },
        rules,
      });
      expect(result).toMatchObject({
        outcome: 'created',
        apiVersion: old ? 'rbac.authorization.k8s.io/v1beta1' : 'rbac.authorization.k8s.io/v1',
        // On 1.15 this connection already knows server-side apply is off: no 415 again, no note.
        notes: old ? [] : ['rbac.authorization.k8s.io/v1beta1 → rbac.authorization.k8s.io/v1 (the same fields)'],
      });
      // Both servers serve rbac v1: the same object, read there.
      const stored = await port.get(
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'pai-apply-reader' },
        signal,
      );
      expect(stored?.['rules']).toEqual(rules);
    });

    it('applies an extensions/v1beta1 Deployment without a selector (apps/v1 with the template labels where needed)', async () => {
      const applier = createApplier(port, { signal });
      const result = await applier.apply({
        apiVersion: 'extensions/v1beta1',
        kind: 'Deployment',
        metadata: { name: 'legacy', namespace: 'default' },
        spec: {
          replicas: 0,
          template: {
            metadata: { labels: { app: 'legacy' } },
            spec: { containers: [{ name: 'main', image: 'example.invalid/legacy:1' }] },
          },
        },
      });
      expect(result.apiVersion).toBe(old ? 'extensions/v1beta1' : 'apps/v1');
      const stored = await port.get(
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'legacy', namespace: 'default' },
        signal,
      );
      expect((stored?.['spec'] as { selector: unknown }).selector).toEqual({ matchLabels: { app: 'legacy' } });
      if (!old) expect(result.notes[1]).toMatch(/^spec.selector set to the pod template's labels \(app=legacy\)/);
    });

    it('applies an extensions/v1beta1 Ingress (networking.k8s.io/v1 backends where v1beta1 is gone)', async () => {
      const applier = createApplier(port, { signal });
      const result = await applier.apply(ingress());
      expect(result).toMatchObject({
        outcome: 'created',
        apiVersion: old ? 'extensions/v1beta1' : 'networking.k8s.io/v1',
      });
      const stored = await port.get(result.ref, signal);
      const path = (stored?.['spec'] as { rules: Array<{ http: { paths: unknown[] } }> }).rules[0]?.http.paths[0];
      expect(path).toEqual(
        old
          ? { path: '/rest-server', backend: { serviceName: 'rest-server', servicePort: 9186 } }
          : {
              path: '/rest-server',
              pathType: 'ImplementationSpecific',
              backend: { service: { name: 'rest-server', port: { number: 9186 } } },
            },
      );
      // The same manifest again: nothing to do.
      expect((await applier.apply(ingress())).outcome).toBe('unchanged');
    });

    it('applies an apiextensions.k8s.io/v1beta1 CRD without a schema (v1 with an open schema where needed), and its custom resource', async () => {
      const applier = createApplier(port, { signal });
      const result = await applier.apply({
        apiVersion: 'apiextensions.k8s.io/v1beta1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'frameworks.frameworkcontroller.microsoft.com' },
        spec: {
          group: 'frameworkcontroller.microsoft.com',
          version: 'v1',
          scope: 'Namespaced',
          names: { plural: 'frameworks', singular: 'framework', kind: 'Framework', shortNames: ['fw'] },
          additionalPrinterColumns: [{ name: 'Age', type: 'date', JSONPath: '.metadata.creationTimestamp' }],
        },
      });
      expect(result).toMatchObject({
        outcome: 'created',
        apiVersion: old ? 'apiextensions.k8s.io/v1beta1' : 'apiextensions.k8s.io/v1',
      });
      if (!old)
        expect(result.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^no schema: v1 requires one/)]));
      // Established (watched through another connection), then a custom resource with any fields applied through
      // the first one, whose discovery predates the CRD: the applier reads it again.
      const deadline = Date.now() + 30_000;
      let fresh = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
      while (!(await fresh.served(signal)).some((r) => r.kind === 'Framework')) {
        if (Date.now() > deadline) throw new Error('Framework never served');
        await sleep(250);
        fresh = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
      }
      expect((await port.served(signal)).some((r) => r.kind === 'Framework')).toBe(false);
      const framework = await applier.apply({
        apiVersion: 'frameworkcontroller.microsoft.com/v1',
        kind: 'Framework',
        metadata: { name: 'job-1', namespace: 'default' },
        spec: { executionType: 'Start', taskRoles: [{ name: 'worker', taskNumber: 2 }] },
      });
      expect(framework.outcome).toBe('created');
      expect((await fresh.get(framework.ref, signal))?.['spec']).toEqual({
        executionType: 'Start',
        taskRoles: [{ name: 'worker', taskNumber: 2 }],
      });
    });

    it('a dry run changes nothing and reports what would change', async () => {
      await createApplier(port, { signal }).apply(configMap('dry', { a: '1', b: '2' }));
      const before = await port.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'dry', namespace: 'default' }, signal);
      const { kube, calls } = recording(port);
      const dry = createApplier(kube, { signal, dryRun: true });

      const changed = await dry.apply(configMap('dry', { a: '2', c: '3' }));
      expect(changed).toMatchObject({ outcome: 'configured', dryRun: true, strategy });
      expect(changed.changes).toEqual([
        { path: 'data.a', change: 'changed', before: '1', after: '2' },
        { path: 'data.c', change: 'added', after: '3' },
        { path: 'data.b', change: 'removed', before: '2' },
      ]);
      expect(changed.stored['data'] as Record<string, string>).toEqual({ a: '2', c: '3' });
      const after = await port.get(changed.ref, signal);
      expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
      expect(after?.['data']).toEqual({ a: '1', b: '2' });

      const same = await dry.apply(configMap('dry', { a: '1', b: '2' }));
      expect(same).toMatchObject({ outcome: 'unchanged', changes: [] });

      const created = await dry.apply(configMap('dry-new', { x: 'y' }));
      expect(created).toMatchObject({ outcome: 'created', dryRun: true });
      expect(created.changes.find((change) => change.path === 'data')).toEqual({
        path: 'data',
        change: 'added',
        after: { x: 'y' },
      });
      expect(await port.get(created.ref, signal)).toBeUndefined();
      // Every write went as a dry run.
      expect(calls.filter((call) => /^(create|patch|replace)/.test(call) && !call.endsWith('(dry run)'))).toEqual([]);
    });

    it('fails naming the object when neither its group version nor an equivalent is served', async () => {
      const { kube, calls } = recording(port);
      const failure = await createApplier(kube, { signal })
        .apply({ apiVersion: 'networking.k8s.io/v1beta1', kind: 'IngressClass', metadata: { name: 'nginx' } })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ApiVersionNotServedError);
      expect(failure).toMatchObject({
        object: 'IngressClass nginx',
        writtenApiVersion: 'networking.k8s.io/v1beta1',
        servedApiVersions: old ? [] : ['networking.k8s.io/v1'],
      });
      expect((failure as Error).message).toMatch(
        old ? /it serves no IngressClass at all$/ : /it serves IngressClass as networking.k8s.io\/v1$/,
      );
      expect(calls).toEqual([]);
    });
  },
);

function ingress(): KubeObject {
  return {
    apiVersion: 'extensions/v1beta1',
    kind: 'Ingress',
    metadata: { name: 'pai', namespace: 'default' },
    spec: {
      rules: [
        { http: { paths: [{ path: '/rest-server', backend: { serviceName: 'rest-server', servicePort: 9186 } }] } },
      ],
    },
  };
}

await describeEachK8sVersion(
  'apply: 1.15 with the ServerSideApply feature gate on',
  (version) => {
    let env: K8sTestEnv;
    let port: KubeApi;
    beforeAll(async () => {
      env = await startK8sTestEnv({
        nodes: [{ name: 'pai-worker-01' }],
        version,
        featureGates: { ServerSideApply: true },
      });
      port = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    });
    afterAll(async () => {
      await env?.stop();
    });

    it('applies server-side; a port without protocol (500) goes client-side for that object only', async () => {
      const { kube, calls } = recording(port);
      const applier = createApplier(kube, { signal });
      const before = await applier.apply(configMap('gate-1', { a: '1' }));
      expect(before).toMatchObject({ outcome: 'created', strategy: 'server-side', notes: [] });

      const noProtocol = deployment('no-protocol', { app: 'no-protocol' }, [], { containerPort: 8080 });
      const fallback = await applier.apply(noProtocol);
      expect(fallback).toMatchObject({ outcome: 'created', strategy: 'client-side' });
      expect(fallback.notes).toEqual([expect.stringMatching(/^server-side apply refused this object \(500/)]);
      expect(applier.serverSideApply).toBe('on');

      const after = await applier.apply(configMap('gate-2', { a: '1' }));
      expect(after).toMatchObject({ outcome: 'created', strategy: 'server-side', notes: [] });

      // The same Deployment again: refused server-side again, and client-side there is nothing to do.
      await settled(port, fallback.ref);
      calls.length = 0;
      const repeated = await applier.apply(noProtocol);
      expect(repeated).toMatchObject({ outcome: 'unchanged', strategy: 'client-side' });
      expect(calls).toEqual(['get Deployment/no-protocol', 'patch apply Deployment/no-protocol']);

      // With protocol written, the same kind applies server-side.
      const withProtocol = await applier.apply(deployment('with-protocol', { app: 'with-protocol' }, []));
      expect(withProtocol).toMatchObject({ outcome: 'created', strategy: 'server-side', notes: [] });
    });

    it('prunes a field it owned and removed, server-side, and dry-runs server-side', async () => {
      const applier = createApplier(port, { signal });
      await applier.apply(configMap('gate-prune', { a: '1', b: '2' }));
      const dry = await createApplier(port, { signal, dryRun: true }).apply(configMap('gate-prune', { a: '1' }));
      expect(dry).toMatchObject({ outcome: 'configured', strategy: 'server-side', dryRun: true });
      expect(dry.changes).toEqual([{ path: 'data.b', change: 'removed', before: '2' }]);
      const ref = dry.ref;
      expect((await port.get(ref, signal))?.['data']).toEqual({ a: '1', b: '2' });

      const pruned = await applier.apply(configMap('gate-prune', { a: '1' }));
      expect(pruned).toMatchObject({ outcome: 'configured', strategy: 'server-side' });
      expect((await port.get(ref, signal))?.['data']).toEqual({ a: '1' });
    });
  },
  ['1.15'],
);
