import { describe, expect, it } from 'vitest';
import { describeChanges, formatChange } from '../../src/cluster/apply/changes.js';
import { jsonCovers, jsonEqual, type JsonObject } from '../../src/cluster/apply/json.js';
import {
  clientSideApplyPatch,
  LAST_APPLIED_ANNOTATION,
  lastAppliedText,
  readLastApplied,
  withLastApplied,
  withoutLastApplied,
} from '../../src/cluster/apply/last-applied.js';
import { applyMergePatch, isEmptyPatch, threeWayMergePatch } from '../../src/cluster/apply/three-way-patch.js';
import type { KubeObject } from '../../src/ports/kube-api.js';

const configMap = (data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'default', ...extra },
  data,
});

/** The live object after a client-side apply created `manifest`: the server's fields added. */
const stored = (manifest: KubeObject, serverFields: JsonObject = {}): KubeObject => {
  const object = withLastApplied(manifest);
  return {
    ...object,
    ...serverFields,
    metadata: { ...object.metadata, resourceVersion: '100', uid: 'u-1', creationTimestamp: '2026-01-01T00:00:00Z' },
  };
};

describe('threeWayMergePatch', () => {
  it('is empty when modified equals original and current holds it (server fields alongside)', () => {
    const manifest = { data: { a: '1' }, spec: { replicas: 1 } };
    const current = { data: { a: '1' }, spec: { replicas: 1, revisionHistoryLimit: 10 }, status: { x: 1 } };
    expect(threeWayMergePatch(manifest, manifest, current)).toEqual({});
  });

  it('sets fields that differ from current, added or changed', () => {
    expect(threeWayMergePatch({ data: { a: '1' } }, { data: { a: '2', b: '3' } }, { data: { a: '1' } })).toEqual({
      data: { a: '2', b: '3' },
    });
  });

  it('prunes a field the last apply set and the manifest dropped, nested too', () => {
    const original = { metadata: { labels: { app: 'x', tier: 'web' } }, spec: { a: { b: 1, c: 2 } } };
    const modified = { metadata: { labels: { app: 'x' } }, spec: { a: { b: 1 } } };
    const current = { metadata: { labels: { app: 'x', tier: 'web', other: 'y' } }, spec: { a: { b: 1, c: 2, d: 4 } } };
    const patch = threeWayMergePatch(original, modified, current);
    expect(patch).toEqual({ metadata: { labels: { tier: null } }, spec: { a: { c: null } } });
    // What others set (other, d) stays.
    expect(applyMergePatch(current, patch)).toEqual({
      metadata: { labels: { app: 'x', other: 'y' } },
      spec: { a: { b: 1, d: 4 } },
    });
  });

  it('prunes a whole subtree dropped from the manifest, and nothing already gone', () => {
    const original = { spec: { a: { b: 1 }, gone: 'x' } };
    expect(threeWayMergePatch(original, { spec: {} }, { spec: { a: { b: 1 } } })).toEqual({ spec: { a: null } });
  });

  it('prunes nothing without an original (not applied before): fields it does not know stay', () => {
    expect(threeWayMergePatch(undefined, { data: { a: '1' } }, { data: { a: '1', b: '2' } })).toEqual({});
  });

  it('does not prune what someone else added (in current, never in original)', () => {
    expect(threeWayMergePatch({ data: { a: '1' } }, { data: { a: '1' } }, { data: { a: '1', z: '9' } })).toEqual({});
  });

  it('restores a value someone changed in the live object (drift)', () => {
    expect(threeWayMergePatch({ spec: { replicas: 2 } }, { spec: { replicas: 2 } }, { spec: { replicas: 5 } })).toEqual(
      { spec: { replicas: 2 } },
    );
  });

  it('replaces a list whole when the manifest changed it, even inside an element', () => {
    const containers = (env: Array<{ name: string; value: string }>) => [{ name: 'main', image: 'i:1', env }];
    const original = {
      spec: {
        containers: containers([
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ]),
      },
    };
    const modified = { spec: { containers: containers([{ name: 'A', value: '1' }]) } };
    const current = {
      spec: {
        containers: [
          {
            name: 'main',
            image: 'i:1',
            imagePullPolicy: 'IfNotPresent',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
        ],
      },
    };
    expect(threeWayMergePatch(original, modified, current)).toEqual({ spec: { containers: modified.spec.containers } });
  });

  it('sends no list when the manifest did not change it and the live one covers it with server defaults', () => {
    const ports = [{ containerPort: 80 }];
    const current = { spec: { ports: [{ containerPort: 80, protocol: 'TCP' }] } };
    expect(threeWayMergePatch({ spec: { ports } }, { spec: { ports } }, current)).toEqual({});
  });

  it('sends a list the live object no longer covers (an element edited or removed by someone)', () => {
    const ports = [{ containerPort: 80 }, { containerPort: 81 }];
    expect(
      threeWayMergePatch({ spec: { ports } }, { spec: { ports } }, { spec: { ports: [{ containerPort: 80 }] } }),
    ).toEqual({ spec: { ports } });
    expect(
      threeWayMergePatch(
        { spec: { ports } },
        { spec: { ports } },
        { spec: { ports: [{ containerPort: 80 }, { containerPort: 82 }] } },
      ),
    ).toEqual({ spec: { ports } });
  });

  it('sends a list new to the manifest, and prunes a list dropped from it', () => {
    expect(threeWayMergePatch({}, { args: ['a'] }, { args: ['a'] })).toEqual({ args: ['a'] });
    expect(threeWayMergePatch({ args: ['a'] }, {}, { args: ['a'] })).toEqual({ args: null });
  });

  it('treats a null in the manifest as "must be absent"', () => {
    expect(threeWayMergePatch(undefined, { data: { a: null } }, { data: { a: '1' } })).toEqual({ data: { a: null } });
    expect(threeWayMergePatch(undefined, { data: { a: null } }, { data: {} })).toEqual({});
  });

  it('asks nothing for an empty manifest object the server does not store', () => {
    expect(threeWayMergePatch({}, { metadata: { annotations: {} } }, { metadata: {} })).toEqual({});
  });

  it('asks nothing for an empty list the server does not store (env: [] comes back as no env)', () => {
    const containers = [{ name: 'main', env: [], nodeSelector: {} }];
    const current = { containers: [{ name: 'main', imagePullPolicy: 'Always' }] };
    expect(threeWayMergePatch({ containers }, { containers }, current)).toEqual({});
    // But a list with elements is not covered by nothing.
    const withEnv = [{ name: 'main', env: [{ name: 'A', value: '1' }] }];
    expect(threeWayMergePatch({ containers: withEnv }, { containers: withEnv }, current)).toEqual({
      containers: withEnv,
    });
  });

  it('builds an object from scratch where current has none or another type, leaving out nulls', () => {
    expect(threeWayMergePatch(undefined, { spec: { a: { b: 1, c: null } } }, {})).toEqual({ spec: { a: { b: 1 } } });
    expect(threeWayMergePatch(undefined, { spec: { a: { b: 1, c: null } } }, { spec: { a: 'text' } })).toEqual({
      spec: { a: { b: 1 } },
    });
  });

  it('replaces a scalar by a different type and a number quantity covers its canonical string', () => {
    expect(threeWayMergePatch(undefined, { a: 1 }, { a: '1' })).toEqual({});
    expect(threeWayMergePatch(undefined, { a: 'x' }, { a: { nested: 1 } })).toEqual({ a: 'x' });
    expect(threeWayMergePatch(undefined, { a: false }, { a: true })).toEqual({ a: false });
  });

  it('gives a patch that, applied to current, holds modified (a property over a few shapes)', () => {
    const cases: Array<[JsonObject | undefined, JsonObject, JsonObject]> = [
      [{ a: { b: [1, 2], c: 'x' } }, { a: { b: [1], d: true } }, { a: { b: [1, 2], c: 'x', e: 0 } }],
      [undefined, { a: { b: { c: { d: 1 } } } }, { a: 3 }],
      [{ k: 'v', l: { m: 1 } }, { l: { n: 2 } }, { k: 'v', l: { m: 1 }, s: 's' }],
    ];
    for (const [original, modified, current] of cases) {
      const result = applyMergePatch(current, threeWayMergePatch(original, modified, current));
      expect(jsonCovers(result, modified)).toBe(true);
      // A second computation over the result asks for nothing.
      expect(threeWayMergePatch(modified, modified, result as JsonObject)).toEqual({});
    }
  });
});

describe('applyMergePatch (RFC 7386)', () => {
  it('merges objects, deletes nulls, replaces lists and scalars', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({
      a: 'z',
      c: { d: 'e' },
    });
    expect(applyMergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
    expect(applyMergePatch({ a: 'x' }, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
    expect(applyMergePatch({ a: 1 }, ['x'])).toEqual(['x']);
  });
});

describe('json helpers', () => {
  it('compares structurally, in any key order', () => {
    expect(jsonEqual({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
  });

  it('covers: more keys in live are fine, more list elements are not', () => {
    expect(jsonCovers({ a: 1, b: 2 }, { a: 1 })).toBe(true);
    expect(jsonCovers([{ a: 1, x: 0 }], [{ a: 1 }])).toBe(true);
    expect(jsonCovers([{ a: 1 }, { a: 2 }], [{ a: 1 }])).toBe(false);
    expect(jsonCovers({}, { a: null })).toBe(true);
    expect(jsonCovers(undefined, [])).toBe(true);
    expect(jsonCovers(undefined, { a: {}, b: [] })).toBe(true);
    expect(jsonCovers(undefined, { a: { b: 1 } })).toBe(false);
    expect(jsonCovers('x', [])).toBe(false);
    expect(jsonCovers('2', 2)).toBe(true);
    expect(jsonCovers('2.0', 2)).toBe(false);
    expect(jsonCovers(2, '2')).toBe(false);
  });
});

describe('the last-applied annotation', () => {
  it('records the manifest as JSON, without the annotation itself', () => {
    const manifest = configMap({ a: '1' }, { annotations: { note: 'x', [LAST_APPLIED_ANNOTATION]: 'old' } });
    const annotated = withLastApplied(manifest);
    const recorded = JSON.parse(annotated.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? '') as KubeObject;
    expect(recorded).toEqual(configMap({ a: '1' }, { annotations: { note: 'x' } }));
    expect(lastAppliedText(manifest)).toBe(JSON.stringify(recorded));
    // The input is not changed.
    expect(manifest.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).toBe('old');
  });

  it('drops an annotations map left empty', () => {
    const manifest = configMap({}, { annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } });
    expect(withoutLastApplied(manifest).metadata).toEqual({ name: 'c', namespace: 'default' });
  });

  it('reads absent, unreadable and recorded annotations', () => {
    expect(readLastApplied(configMap({}))).toEqual({ state: 'absent' });
    expect(readLastApplied(configMap({}, { annotations: { [LAST_APPLIED_ANNOTATION]: '{oops' } }))).toEqual({
      state: 'unreadable',
    });
    expect(readLastApplied(configMap({}, { annotations: { [LAST_APPLIED_ANNOTATION]: '[1]' } }))).toEqual({
      state: 'unreadable',
    });
    expect(readLastApplied(stored(configMap({ a: '1' })))).toEqual({ state: 'read', manifest: configMap({ a: '1' }) });
  });
});

describe('clientSideApplyPatch', () => {
  it('is empty for a second apply of the same manifest (live carries server fields)', () => {
    const manifest = configMap({ a: '1' }, { labels: { app: 'x' } });
    expect(isEmptyPatch(clientSideApplyPatch(manifest, stored(manifest)))).toBe(true);
  });

  it('prunes a removed data key and rewrites the annotation', () => {
    const before = configMap({ a: '1', b: '2' });
    const after = configMap({ a: '1' });
    const patch = clientSideApplyPatch(after, stored(before));
    expect(patch).toEqual({
      data: { b: null },
      metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedText(after) } },
    });
    const result = applyMergePatch(stored(before) as unknown as JsonObject, patch) as unknown as KubeObject;
    expect(result['data']).toEqual({ a: '1' });
    expect(isEmptyPatch(clientSideApplyPatch(after, result))).toBe(true);
  });

  it('only rewrites the annotation when the live object already holds the manifest', () => {
    const manifest = configMap({ a: '1' });
    const live = { ...manifest, metadata: { ...manifest.metadata, resourceVersion: '5' } };
    expect(clientSideApplyPatch(manifest, live)).toEqual({
      metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedText(manifest) } },
    });
  });

  it('keeps the annotation (and others) when the manifest dropped all of its annotations', () => {
    const before = configMap({}, { annotations: { mine: '1' } });
    const after = configMap({});
    const live = stored(before);
    live.metadata.annotations = { ...live.metadata.annotations, theirs: 'x' };
    const patch = clientSideApplyPatch(after, live);
    expect(patch).toEqual({
      metadata: { annotations: { mine: null, [LAST_APPLIED_ANNOTATION]: lastAppliedText(after) } },
    });
    const result = applyMergePatch(live as unknown as JsonObject, patch) as unknown as KubeObject;
    expect(Object.keys(result.metadata.annotations ?? {}).sort()).toEqual([LAST_APPLIED_ANNOTATION, 'theirs']);
  });

  it('prunes nothing against an unreadable annotation, but rewrites it', () => {
    const live = {
      ...configMap({ a: '1', b: '2' }),
      metadata: { name: 'c', namespace: 'default', annotations: { [LAST_APPLIED_ANNOTATION]: 'x' } },
    };
    const manifest = configMap({ a: '1' });
    expect(clientSideApplyPatch(manifest, live)).toEqual({
      metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedText(manifest) } },
    });
  });

  it('takes the original given (an annotation converted to another group version) over the stored one', () => {
    const manifest = configMap({ a: '1' });
    const live = stored(configMap({ a: '1', b: '2' }));
    const original = configMap({ a: '1' }) as unknown as JsonObject;
    // Nothing pruned (the given original has no b), but the stored record still differs: rewritten.
    expect(clientSideApplyPatch(manifest, live, original)).toEqual({
      metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedText(manifest) } },
    });
  });

  it('prunes a Deployment label and env var, and the list is not sent again after', () => {
    const deployment = (labels: Record<string, string>, env: Array<{ name: string; value: string }>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default', labels },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: { containers: [{ name: 'main', image: 'i:1', env }] },
        },
      },
    });
    const before = deployment({ app: 'd', tier: 'web' }, [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    const after = deployment({ app: 'd' }, [{ name: 'A', value: '1' }]);
    const live = stored(before);
    const patch = clientSideApplyPatch(after, live);
    expect(patch['metadata']).toEqual({
      labels: { tier: null },
      annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedText(after) },
    });
    expect(patch['spec']).toEqual({
      template: { spec: { containers: [{ name: 'main', image: 'i:1', env: [{ name: 'A', value: '1' }] }] } },
    });
    // The server stores the list with its defaults; the next apply asks for nothing.
    const result = applyMergePatch(live as unknown as JsonObject, patch) as unknown as KubeObject;
    const template = (result['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template;
    template.spec.containers[0] = { ...template.spec.containers[0], imagePullPolicy: 'IfNotPresent', resources: {} };
    expect(isEmptyPatch(clientSideApplyPatch(after, result))).toBe(true);
  });
});

describe('describeChanges', () => {
  const live: KubeObject = {
    ...configMap({ a: '1', b: '2' }, { labels: { 'app.kubernetes.io/name': 'x' } }),
    metadata: {
      name: 'c',
      namespace: 'default',
      labels: { 'app.kubernetes.io/name': 'x' },
      resourceVersion: '1',
      uid: 'u',
      managedFields: [{ manager: 'pai-deploy' }],
      annotations: { [LAST_APPLIED_ANNOTATION]: '{}' },
    },
    list: [1, 2],
    same: [{ a: 1 }],
  };

  it('reports added, changed and removed fields, ignoring bookkeeping, status and the annotation', () => {
    const after: KubeObject = {
      ...live,
      metadata: {
        ...live.metadata,
        labels: { 'app.kubernetes.io/name': 'y' },
        resourceVersion: '2',
        managedFields: [],
        generation: 2,
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"x":1}' },
      },
      data: { a: '1', c: '3' },
      status: { phase: 'x' },
      list: [1],
      same: [{ a: 2 }],
      extra: { deep: true },
    };
    const changes = describeChanges(live, after);
    expect(changes).toEqual([
      { path: 'metadata.labels["app.kubernetes.io/name"]', change: 'changed', before: 'x', after: 'y' },
      { path: 'data.c', change: 'added', after: '3' },
      { path: 'data.b', change: 'removed', before: '2' },
      { path: 'list', change: 'changed', before: [1, 2], after: [1] },
      { path: 'same[0].a', change: 'changed', before: 1, after: 2 },
      { path: 'extra', change: 'added', after: { deep: true } },
    ]);
    expect(changes.map(formatChange)).toEqual([
      '~ metadata.labels["app.kubernetes.io/name"]: "x" → "y"',
      '+ data.c: "3"',
      '- data.b',
      '~ list: [1,2] → [1]',
      '~ same[0].a: 1 → 2',
      '+ extra: {"deep":true}',
    ]);
  });

  it('is empty for the same object, and lists the top-level fields of a created one', () => {
    expect(describeChanges(live, { ...live, metadata: { ...live.metadata, resourceVersion: '9' } })).toEqual([]);
    expect(describeChanges(undefined, configMap({ a: '1' })).map((change) => change.path)).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'data',
    ]);
  });
});
