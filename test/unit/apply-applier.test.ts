import { describe, expect, it } from 'vitest';
import { createApplier } from '../../src/cluster/apply/apply.js';
import { type JsonObject } from '../../src/cluster/apply/json.js';
import { LAST_APPLIED_ANNOTATION, withLastApplied } from '../../src/cluster/apply/last-applied.js';
import { applyMergePatch } from '../../src/cluster/apply/three-way-patch.js';
import { PaiDeployError } from '../../src/errors.js';
import { KubeApiError, type KubeApi, type KubeObject, type ServedResource } from '../../src/ports/kube-api.js';

const signal = new AbortController().signal;

const SERVED: ServedResource[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, verbs: [] },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, verbs: [] },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    namespaced: false,
    verbs: [],
  },
];

type ServerSide = (object: KubeObject) => KubeApiError | undefined;

/**
 * An API server in memory: objects by kind/namespace/name, resourceVersion counted up on every change, a merge
 * patch conditional on the resourceVersion it carries. `serverSide` answers a server-side apply: an error, or
 * undefined to store the body.
 */
function fakeKube(serverSide: ServerSide, options: { conflicts?: number } = {}) {
  const objects = new Map<string, KubeObject>();
  const calls: string[] = [];
  let version = 0;
  let conflicts = options.conflicts ?? 0;
  const key = (ref: { kind: string; name: string; namespace?: string }) =>
    `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
  const store = (object: KubeObject): KubeObject => {
    version += 1;
    const saved = structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: String(version) } });
    objects.set(key({ ...object.metadata, kind: object.kind }), saved);
    return structuredClone(saved);
  };
  const kube: KubeApi = {
    server: 'https://fake',
    version: () => Promise.resolve({ gitVersion: 'v1.15.12', major: '1', minor: '15' }),
    served: () => Promise.resolve(SERVED),
    get(ref) {
      calls.push(`get ${ref.name}`);
      const found = objects.get(key(ref));
      return Promise.resolve(found && structuredClone(found));
    },
    list: () => Promise.resolve([]),
    create(object, options) {
      calls.push(`create ${object.metadata.name}${options.dryRun ? ' dry' : ''}`);
      if (objects.has(key({ ...object.metadata, kind: object.kind }))) {
        return Promise.reject(new KubeApiError('POST', 409, 'AlreadyExists', 'exists'));
      }
      return Promise.resolve(options.dryRun ? object : store(object));
    },
    replace: () => Promise.reject(new Error('not used')),
    patch(ref, patch, options) {
      calls.push(`patch ${patch.type} ${ref.name}`);
      const live = objects.get(key(ref));
      if (patch.type === 'apply') {
        const refusal = serverSide(patch.body);
        if (refusal) return Promise.reject(refusal);
        return Promise.resolve(store(patch.body));
      }
      if (live === undefined) return Promise.reject(new KubeApiError('PATCH', 404, 'NotFound', 'gone'));
      const wanted = (patch.body['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (conflicts > 0 || (wanted !== undefined && wanted !== live.metadata.resourceVersion)) {
        conflicts -= 1;
        // Someone else wrote meanwhile.
        store({ ...live, metadata: { ...live.metadata, labels: { ...live.metadata.labels, touched: 'yes' } } });
        return Promise.reject(new KubeApiError('PATCH', 409, 'Conflict', 'the object has been modified'));
      }
      const { resourceVersion: _rv, ...metadataPatch } = (patch.body['metadata'] ?? {}) as JsonObject;
      const body = { ...patch.body, metadata: metadataPatch };
      const result = applyMergePatch(live as unknown as JsonObject, body as JsonObject) as unknown as KubeObject;
      return Promise.resolve(options.dryRun ? result : store(result));
    },
    delete: () => Promise.resolve(false),
  };
  return { kube, calls, objects, put: store };
}

const cm = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

const unsupported = () => new KubeApiError('PATCH', 415, 'UnsupportedMediaType', '415: Unsupported Media Type');

describe('createApplier: which strategy', () => {
  it('switches to client-side for the rest after the first 415, trying server-side only once', async () => {
    const { kube, calls } = fakeKube(unsupported);
    const applier = createApplier(kube, { signal });
    const first = await applier.apply(cm('a', { x: '1' }));
    const second = await applier.apply(cm('b', { x: '1' }));
    expect([first.strategy, second.strategy, applier.serverSideApply]).toEqual(['client-side', 'client-side', 'off']);
    expect(first.notes).toHaveLength(1);
    expect(second.notes).toEqual([]);
    expect(calls).toEqual(['get a', 'patch apply a', 'create a', 'get b', 'create b']);
  });

  it('remembers the 415 for the connection: another applier over the same KubeApi does not ask again', async () => {
    const { kube, calls } = fakeKube(unsupported);
    await createApplier(kube, { signal }).apply(cm('a', {}));
    const dry = createApplier(kube, { signal, dryRun: true });
    expect(dry.serverSideApply).toBe('off');
    calls.length = 0;
    const result = await dry.apply(cm('b', {}));
    expect(result).toMatchObject({ strategy: 'client-side', notes: [] });
    expect(calls).toEqual(['get b', 'create b dry']);
    // A new connection (another KubeApi) starts untried.
    expect(createApplier(fakeKube(unsupported).kube, { signal }).serverSideApply).toBe('untried');
  });

  it('takes a 500 "omits key field" as this object only, and goes on server-side', async () => {
    const omits = (object: KubeObject) =>
      object.metadata.name === 'odd'
        ? new KubeApiError(
            'PATCH',
            500,
            '',
            'failed to create typed patch object: .spec.ports: element 0: associative list with keys has an element that omits key field "protocol"',
          )
        : undefined;
    const { kube } = fakeKube(omits);
    const applier = createApplier(kube, { signal });
    const results = await applier.applyEach([cm('a', {}), cm('odd', {}), cm('c', {})]);
    expect(results.map((result) => result.strategy)).toEqual(['server-side', 'client-side', 'server-side']);
    expect(results[1]?.notes).toEqual([expect.stringMatching(/^server-side apply refused this object \(500/)]);
    expect(applier.serverSideApply).toBe('on');
  });

  it('passes every other refusal on, without a fallback', async () => {
    const invalid = () => new KubeApiError('PATCH', 422, 'Invalid', 'data: Invalid value');
    const other500 = () => new KubeApiError('PATCH', 500, 'InternalError', 'etcd timed out');
    for (const refusal of [invalid, other500]) {
      const { kube, calls } = fakeKube(refusal);
      await expect(createApplier(kube, { signal }).apply(cm('a', {}))).rejects.toBeInstanceOf(KubeApiError);
      expect(calls).toEqual(['get a', 'patch apply a']);
    }
  });

  it('keeps a last-applied record current when applying server-side over a client-side applied object', async () => {
    const { kube, put, objects } = fakeKube(() => undefined);
    put(withLastApplied(cm('a', { x: '1', y: '2' })));
    const result = await createApplier(kube, { signal }).apply(cm('a', { x: '1' }));
    expect(result.strategy).toBe('server-side');
    const record = objects.get('ConfigMap/default/a')?.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
    expect(JSON.parse(record ?? '')).toEqual(cm('a', { x: '1' }));
  });
});

describe('createApplier: client-side', () => {
  it('reads again and recomputes after a Conflict, up to three attempts', async () => {
    const { kube, calls, put } = fakeKube(unsupported, { conflicts: 1 });
    put(withLastApplied(cm('a', { x: '1', y: '2' })));
    const result = await createApplier(kube, { signal }).apply(cm('a', { x: '1' }));
    expect(result.outcome).toBe('configured');
    expect(result.stored['data']).toEqual({ x: '1' });
    // The other writer's label survives.
    expect(result.stored.metadata.labels).toEqual({ touched: 'yes' });
    expect(calls).toEqual(['get a', 'patch apply a', 'patch merge a', 'get a', 'patch merge a']);

    const stubborn = fakeKube(unsupported, { conflicts: 3 });
    stubborn.put(withLastApplied(cm('a', { x: '1', y: '2' })));
    await expect(createApplier(stubborn.kube, { signal }).apply(cm('a', { x: '1' }))).rejects.toMatchObject({
      reason: 'Conflict',
    });
  });

  it('patches an object created meanwhile (AlreadyExists) instead of failing', async () => {
    const { kube, put } = fakeKube(unsupported);
    const racing: KubeApi = {
      ...kube,
      get: async (ref, s) => {
        const found = await kube.get(ref, s);
        // The object appears between the read and the create.
        if (found === undefined) put(cm('a', { x: 'theirs' }));
        return found;
      },
    };
    const result = await createApplier(racing, { signal }).apply(cm('a', { x: 'mine' }));
    expect(result.outcome).toBe('configured');
    expect(result.stored['data']).toEqual({ x: 'mine' });
  });

  it('prunes against a last-applied annotation kubectl wrote at an older group version', async () => {
    const { kube, put } = fakeKube(unsupported);
    const template = { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'm', image: 'i' }] } };
    const old: KubeObject = {
      apiVersion: 'extensions/v1beta1',
      kind: 'Deployment',
      metadata: { name: 'w', namespace: 'default' },
      spec: { template, paused: true },
    };
    put({
      ...withLastApplied(old),
      apiVersion: 'apps/v1',
      spec: { ...(old['spec'] as object), selector: { matchLabels: { app: 'w' } } },
    });
    const result = await createApplier(kube, { signal }).apply({
      ...old,
      apiVersion: 'apps/v1',
      spec: { template, selector: { matchLabels: { app: 'w' } } },
    });
    expect(result.changes).toEqual([{ path: 'spec.paused', change: 'removed', before: true }]);
  });

  it('says so when the last-applied annotation is unreadable, prunes nothing, and rewrites it', async () => {
    const { kube, put, objects } = fakeKube(unsupported, { conflicts: 1 });
    const live = cm('a', { x: '1', y: '2' });
    put({ ...live, metadata: { ...live.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: '{cut sho' } } });
    const result = await createApplier(kube, { signal }).apply(cm('a', { x: '1' }));
    expect(
      result.notes.filter((note) => note.startsWith('its last-applied annotation is no JSON object')),
    ).toHaveLength(1);
    expect(result.stored['data']).toEqual({ x: '1', y: '2' });
    const record = objects.get('ConfigMap/default/a')?.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
    expect(JSON.parse(record ?? '')).toEqual(cm('a', { x: '1' }));
  });

  it('dry-runs every write', async () => {
    const { kube, calls, put, objects } = fakeKube(unsupported);
    put(withLastApplied(cm('a', { x: '1' })));
    const dry = createApplier(kube, { signal, dryRun: true });
    const changed = await dry.apply(cm('a', { x: '2' }));
    const created = await dry.apply(cm('b', { x: '2' }));
    expect([changed.outcome, created.outcome]).toEqual(['configured', 'created']);
    expect(changed.changes).toEqual([{ path: 'data.x', change: 'changed', before: '1', after: '2' }]);
    expect(calls).toContain('create b dry');
    expect([...objects.keys()]).toEqual(['ConfigMap/default/a']);
    expect(objects.get('ConfigMap/default/a')?.['data']).toEqual({ x: '1' });
  });
});

describe('createApplier: the manifest', () => {
  it('puts a namespaced object without a namespace in default and drops a cluster-scoped one’s, saying so', async () => {
    const { kube } = fakeKube(() => undefined);
    const applier = createApplier(kube, { signal });
    const namespaced = await applier.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } });
    expect(namespaced.ref).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'default' });
    expect(namespaced.notes).toEqual(['no metadata.namespace: applied in default']);
    const clusterRole = await applier.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'r', namespace: 'default' },
    });
    expect(clusterRole.ref).toEqual({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'r' });
    expect(clusterRole.notes).toEqual(['metadata.namespace dropped: ClusterRole is not namespaced']);
  });

  it('refuses an object without apiVersion, kind or name, before any request', async () => {
    const { kube, calls } = fakeKube(() => undefined);
    const failure = await createApplier(kube, { signal })
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'x-' } } as unknown as KubeObject)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaiDeployError);
    expect((failure as Error).message).toBe('cannot apply the ConfigMap manifest: no metadata.name');
    await expect(
      createApplier(kube, { signal }).apply({ metadata: { name: 'n', namespace: 'ns' } } as unknown as KubeObject),
    ).rejects.toThrow('cannot apply the kind-less manifest ns/n: no apiVersion, no kind');
    expect(calls).toEqual([]);
  });
});
