import { describe, expect, it } from 'vitest';
import {
  ApiVersionNotServedError,
  apiVersionOf,
  convertToApiVersion,
  mapToServedVersion,
} from '../../src/cluster/apply/api-versions.js';
import { ConversionError } from '../../src/cluster/apply/conversion.js';
import type { KubeObject, ServedResource } from '../../src/ports/kube-api.js';

/** A served list from `apiVersion Kind` words (namespaced unless listed in CLUSTER_SCOPED). */
const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'CSIDriver',
  'VolumeAttachment',
  'PriorityClass',
  'CustomResourceDefinition',
  'Namespace',
]);
function serving(...entries: string[]): ServedResource[] {
  return entries.map((entry) => {
    const [apiVersion = '', kind = ''] = entry.split(' ');
    const slash = apiVersion.indexOf('/');
    return {
      group: slash < 0 ? '' : apiVersion.slice(0, slash),
      version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
      kind,
      plural: `${kind.toLowerCase()}s`,
      namespaced: !CLUSTER_SCOPED.has(kind),
      verbs: ['get', 'create', 'patch'],
    };
  });
}

/** What a current server (1.22 on) serves of the kinds below, and what 1.15 serves. */
const CURRENT = serving(
  'v1 ConfigMap',
  'v1 Service',
  'batch/v1 CronJob',
  'batch/v1 Job',
  'rbac.authorization.k8s.io/v1 Role',
  'rbac.authorization.k8s.io/v1 ClusterRole',
  'rbac.authorization.k8s.io/v1 RoleBinding',
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding',
  'storage.k8s.io/v1 StorageClass',
  'storage.k8s.io/v1 CSIDriver',
  'storage.k8s.io/v1 VolumeAttachment',
  'scheduling.k8s.io/v1 PriorityClass',
  'policy/v1 PodDisruptionBudget',
  'apps/v1 Deployment',
  'apps/v1 DaemonSet',
  'apps/v1 StatefulSet',
  'apps/v1 ReplicaSet',
  'networking.k8s.io/v1 Ingress',
  'networking.k8s.io/v1 IngressClass',
  'apiextensions.k8s.io/v1 CustomResourceDefinition',
  'events.k8s.io/v1 Event',
  'v1 Event',
);
const V115 = serving(
  'v1 ConfigMap',
  'batch/v1 Job',
  'batch/v1beta1 CronJob',
  'rbac.authorization.k8s.io/v1 ClusterRole',
  'rbac.authorization.k8s.io/v1beta1 ClusterRole',
  'storage.k8s.io/v1 StorageClass',
  'storage.k8s.io/v1beta1 StorageClass',
  'storage.k8s.io/v1beta1 CSIDriver',
  'scheduling.k8s.io/v1 PriorityClass',
  'scheduling.k8s.io/v1beta1 PriorityClass',
  'policy/v1beta1 PodDisruptionBudget',
  'extensions/v1beta1 Deployment',
  'extensions/v1beta1 Ingress',
  'networking.k8s.io/v1beta1 Ingress',
  'apps/v1 Deployment',
  'apps/v1beta1 Deployment',
  'apiextensions.k8s.io/v1beta1 CustomResourceDefinition',
);

const object = (
  apiVersion: string,
  kind: string,
  rest: Record<string, unknown> = {},
  namespace?: string,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', ...(namespace !== undefined ? { namespace } : {}) },
  ...rest,
});

describe('mapToServedVersion: as written when served', () => {
  it('returns the same object, with no notes', () => {
    const manifest = object('batch/v1beta1', 'CronJob', { spec: { schedule: '* * * * *' } }, 'default');
    const mapping = mapToServedVersion(manifest, V115);
    expect(mapping.object).toBe(manifest);
    expect(mapping.notes).toEqual([]);
    expect(mapping.writtenApiVersion).toBe('batch/v1beta1');
    expect(mapping.resource).toMatchObject({
      group: 'batch',
      version: 'v1beta1',
      plural: 'cronjobs',
      namespaced: true,
    });
  });

  it('keeps an old group version the server still serves (no upgrade behind the user’s back)', () => {
    expect(mapToServedVersion(object('extensions/v1beta1', 'Deployment', { spec: {} }), V115).notes).toEqual([]);
    expect(mapToServedVersion(object('rbac.authorization.k8s.io/v1beta1', 'ClusterRole'), V115).notes).toEqual([]);
  });

  it('names the core group version without a group', () => {
    expect(apiVersionOf({ group: '', version: 'v1' })).toBe('v1');
    expect(apiVersionOf({ group: 'apps', version: 'v1' })).toBe('apps/v1');
  });
});

describe('mapToServedVersion: same-shaped equivalents', () => {
  const cases: Array<[string, string, string, ServedResource[]]> = [
    ['CronJob', 'batch/v1beta1', 'batch/v1', CURRENT],
    ['CronJob', 'batch/v1', 'batch/v1beta1', V115],
    ['Role', 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1', CURRENT],
    ['ClusterRole', 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1', CURRENT],
    ['RoleBinding', 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1', CURRENT],
    ['ClusterRoleBinding', 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1', CURRENT],
    ['StorageClass', 'storage.k8s.io/v1beta1', 'storage.k8s.io/v1', CURRENT],
    ['CSIDriver', 'storage.k8s.io/v1beta1', 'storage.k8s.io/v1', CURRENT],
    ['CSIDriver', 'storage.k8s.io/v1', 'storage.k8s.io/v1beta1', V115],
    ['VolumeAttachment', 'storage.k8s.io/v1beta1', 'storage.k8s.io/v1', CURRENT],
    ['PriorityClass', 'scheduling.k8s.io/v1beta1', 'scheduling.k8s.io/v1', CURRENT],
    ['Ingress', 'networking.k8s.io/v1beta1', 'extensions/v1beta1', serving('extensions/v1beta1 Ingress')],
    ['Ingress', 'extensions/v1beta1', 'networking.k8s.io/v1beta1', serving('networking.k8s.io/v1beta1 Ingress')],
  ];
  it.each(cases)('%s %s → %s, only the apiVersion changed', (kind, from, to, served) => {
    const manifest = object(from, kind, { spec: { a: { b: [1] } }, rules: [{ verbs: ['get'] }] });
    const mapping = mapToServedVersion(manifest, served);
    expect(mapping.object).toEqual({ ...manifest, apiVersion: to });
    expect(mapping.notes).toEqual([`${from} → ${to} (the same fields)`]);
    expect(manifest.apiVersion).toBe(from);
  });

  it('refuses a batch/v1 CronJob with a time zone on a server with only batch/v1beta1', () => {
    const manifest = object('batch/v1', 'CronJob', { spec: { schedule: '0 0 * * *', timeZone: 'UTC' } }, 'ns');
    const failure = captureError(() => mapToServedVersion(manifest, V115));
    expect(failure).toBeInstanceOf(ConversionError);
    expect(failure.message).toBe(
      "CronJob ns/x is written as batch/v1 and cannot be applied as batch/v1beta1: spec.timeZone has no equivalent there (the schedule runs in the controller manager's time zone)",
    );
  });

  it('says when a PodDisruptionBudget selector changes meaning, both ways', () => {
    const empty = object('policy/v1beta1', 'PodDisruptionBudget', { spec: { minAvailable: 1, selector: {} } });
    expect(mapToServedVersion(empty, CURRENT).notes).toEqual([
      'policy/v1beta1 → policy/v1 (the same fields)',
      'its selector is empty: policy/v1beta1 protected no pod with it, policy/v1 protects every pod of the namespace',
    ]);
    const selecting = object('policy/v1beta1', 'PodDisruptionBudget', {
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } },
    });
    expect(mapToServedVersion(selecting, CURRENT)).toMatchObject({
      object: { apiVersion: 'policy/v1', spec: selecting['spec'] },
      notes: ['policy/v1beta1 → policy/v1 (the same fields)'],
    });
    const newer = object('policy/v1', 'PodDisruptionBudget', { spec: { maxUnavailable: 1 } });
    expect(mapToServedVersion(newer, V115).notes[1]).toMatch(/policy\/v1beta1 protects none/);
    const policy = object('policy/v1', 'PodDisruptionBudget', {
      spec: { selector: { matchLabels: { a: 'b' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    expect(() => mapToServedVersion(policy, V115)).toThrow(/unhealthyPodEvictionPolicy has no equivalent/);
  });
});

describe('mapToServedVersion: workloads to apps/v1', () => {
  const template = {
    metadata: { labels: { app: 'web', tier: 'front' } },
    spec: { containers: [{ name: 'm', image: 'i' }] },
  };

  it.each([
    ['Deployment', 'extensions/v1beta1'],
    ['Deployment', 'apps/v1beta1'],
    ['Deployment', 'apps/v1beta2'],
    ['DaemonSet', 'extensions/v1beta1'],
    ['DaemonSet', 'apps/v1beta2'],
    ['StatefulSet', 'apps/v1beta1'],
    ['StatefulSet', 'apps/v1beta2'],
    ['ReplicaSet', 'extensions/v1beta1'],
    ['ReplicaSet', 'apps/v1beta2'],
  ])('%s %s: the selector taken from the pod template when missing, and said so', (kind, from) => {
    const manifest = object(from, kind, { spec: { template } }, 'default');
    const mapping = mapToServedVersion(manifest, CURRENT);
    expect(mapping.object.apiVersion).toBe('apps/v1');
    expect(mapping.object['spec']).toEqual({ template, selector: { matchLabels: { app: 'web', tier: 'front' } } });
    expect(mapping.notes[0]).toBe(`${from} → apps/v1`);
    expect(mapping.notes[1]).toBe(
      `spec.selector set to the pod template's labels (app=web,tier=front): apps/v1 requires it, ${from} defaulted it so`,
    );
    // The manifest itself is not changed.
    expect(manifest['spec']).toEqual({ template });
  });

  it('keeps a selector that is written, and says which defaults differ from extensions/v1beta1', () => {
    const selector = { matchLabels: { app: 'web' } };
    const manifest = object('extensions/v1beta1', 'Deployment', {
      spec: { selector, template, rollbackTo: { revision: 2 } },
    });
    const mapping = mapToServedVersion(manifest, CURRENT);
    expect(mapping.object['spec']).toEqual({ selector, template });
    expect(mapping.notes).toEqual([
      'extensions/v1beta1 → apps/v1',
      'spec.rollbackTo dropped: apps/v1 has no rollback request (roll back with a rollout instead)',
      'no spec.revisionHistoryLimit: apps/v1 keeps 10 old ReplicaSets, extensions/v1beta1 kept all',
      'no spec.progressDeadlineSeconds: apps/v1 reports a rollout stuck after 600 s, extensions/v1beta1 never',
      'rolling update without maxSurge/maxUnavailable: apps/v1 takes 25% each, extensions/v1beta1 took 1',
    ]);
    const explicit = object('extensions/v1beta1', 'Deployment', {
      spec: {
        selector,
        template,
        revisionHistoryLimit: 3,
        progressDeadlineSeconds: 60,
        strategy: { type: 'Recreate' },
      },
    });
    expect(mapToServedVersion(explicit, CURRENT).notes).toEqual(['extensions/v1beta1 → apps/v1']);
  });

  it('drops a DaemonSet templateGeneration and says the update strategy default changed', () => {
    const manifest = object('extensions/v1beta1', 'DaemonSet', { spec: { template, templateGeneration: 4 } });
    const mapping = mapToServedVersion(manifest, CURRENT);
    expect(mapping.object['spec']).not.toHaveProperty('templateGeneration');
    expect(mapping.notes.slice(2)).toEqual([
      'spec.templateGeneration dropped: deprecated, apps/v1 has no such field',
      'no spec.updateStrategy: apps/v1 rolls pods on a change (RollingUpdate), extensions/v1beta1 waited (OnDelete)',
    ]);
    const statefulSet = object('apps/v1beta1', 'StatefulSet', {
      spec: { template, updateStrategy: { type: 'OnDelete' } },
    });
    expect(mapToServedVersion(statefulSet, CURRENT).notes).toHaveLength(2);
  });

  it('refuses a workload without a selector whose template has no labels', () => {
    const manifest = object('extensions/v1beta1', 'Deployment', { spec: { template: { spec: {} } } }, 'pai');
    expect(() => mapToServedVersion(manifest, CURRENT)).toThrow(
      'Deployment pai/x is written as extensions/v1beta1 and cannot be applied as apps/v1: apps/v1 requires spec.selector, and the pod template has no labels to take it from',
    );
    expect(() => mapToServedVersion(object('apps/v1beta2', 'ReplicaSet'), CURRENT)).toThrow(/it has no spec/);
  });
});

describe('mapToServedVersion: Ingress to networking.k8s.io/v1', () => {
  it('converts the backends, the default backend and the path types', () => {
    const manifest = object(
      'extensions/v1beta1',
      'Ingress',
      {
        spec: {
          backend: { serviceName: 'fallback', servicePort: 80 },
          tls: [{ hosts: ['pai.example'], secretName: 'tls' }],
          rules: [
            {
              host: 'pai.example',
              http: {
                paths: [
                  { path: '/rest-server', backend: { serviceName: 'rest-server', servicePort: 9186 } },
                  { path: '/', pathType: 'Prefix', backend: { serviceName: 'webportal', servicePort: 'http' } },
                  { path: '/q', backend: { serviceName: 'quoted', servicePort: '8080' } },
                ],
              },
            },
            { host: 'empty.example' },
          ],
        },
      },
      'default',
    );
    const mapping = mapToServedVersion(manifest, CURRENT);
    expect(mapping.object).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'x', namespace: 'default' },
      spec: {
        defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
        tls: [{ hosts: ['pai.example'], secretName: 'tls' }],
        rules: [
          {
            host: 'pai.example',
            http: {
              paths: [
                {
                  path: '/rest-server',
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: 'rest-server', port: { number: 9186 } } },
                },
                { path: '/', pathType: 'Prefix', backend: { service: { name: 'webportal', port: { name: 'http' } } } },
                {
                  path: '/q',
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: 'quoted', port: { number: 8080 } } },
                },
              ],
            },
          },
          { host: 'empty.example' },
        ],
      },
    });
    expect(mapping.notes).toEqual([
      'extensions/v1beta1 → networking.k8s.io/v1',
      'spec.backend written as spec.defaultBackend',
      '3 path backend(s): serviceName/servicePort written as service.name/service.port',
      '2 path(s) without pathType given ImplementationSpecific, how extensions/v1beta1 matched them',
    ]);
  });

  it('prefers the same-shaped networking.k8s.io/v1beta1 when both are served', () => {
    const served = serving('networking.k8s.io/v1beta1 Ingress', 'networking.k8s.io/v1 Ingress');
    const manifest = object('extensions/v1beta1', 'Ingress', {
      spec: { backend: { serviceName: 's', servicePort: 1 } },
    });
    expect(mapToServedVersion(manifest, served).object).toEqual({
      ...manifest,
      apiVersion: 'networking.k8s.io/v1beta1',
    });
  });

  it('converts networking.k8s.io/v1beta1 too, keeps a resource backend, refuses a backend without a service', () => {
    const resource = { apiGroup: 'example.com', kind: 'Bucket', name: 'b' };
    const manifest = object('networking.k8s.io/v1beta1', 'Ingress', {
      spec: { rules: [{ http: { paths: [{ path: '/b', backend: { resource } }] } }] },
    });
    const mapping = mapToServedVersion(manifest, CURRENT);
    expect(mapping.object['spec']).toEqual({
      rules: [{ http: { paths: [{ path: '/b', pathType: 'ImplementationSpecific', backend: { resource } }] } }],
    });
    const broken = object('extensions/v1beta1', 'Ingress', {
      spec: { rules: [{ http: { paths: [{ backend: { serviceName: 'a' } }] } }] },
    });
    expect(() => mapToServedVersion(broken, CURRENT)).toThrow(
      'Ingress x is written as extensions/v1beta1 and cannot be applied as networking.k8s.io/v1: spec.rules[0].http.paths[0].backend has no servicePort',
    );
  });
});

describe('mapToServedVersion: CustomResourceDefinition to apiextensions.k8s.io/v1', () => {
  const names = { plural: 'frameworks', singular: 'framework', kind: 'Framework' };
  const schema = { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } } };

  it('moves version, schema, printer columns and subresources into each version', () => {
    const manifest = object('apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', {
      spec: {
        group: 'frameworkcontroller.microsoft.com',
        version: 'v1',
        scope: 'Namespaced',
        names,
        validation: { openAPIV3Schema: schema },
        additionalPrinterColumns: [{ name: 'Age', type: 'date', JSONPath: '.metadata.creationTimestamp' }],
        subresources: { status: {} },
        preserveUnknownFields: false,
      },
    });
    const mapping = mapToServedVersion(manifest, CURRENT);
    expect(mapping.object).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'x' },
      spec: {
        group: 'frameworkcontroller.microsoft.com',
        scope: 'Namespaced',
        names,
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: schema },
            additionalPrinterColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }],
            subresources: { status: {} },
          },
        ],
      },
    });
    expect(mapping.notes).toEqual([
      'apiextensions.k8s.io/v1beta1 → apiextensions.k8s.io/v1',
      'additionalPrinterColumns per version, JSONPath written as jsonPath',
      'spec.subresources given to each version',
    ]);
    expect(mapping.resource.namespaced).toBe(false);
  });

  it('gives a CRD without a schema one that accepts any fields, and says so', () => {
    const manifest = object('apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', {
      spec: {
        group: 'g.example',
        scope: 'Cluster',
        names,
        versions: [
          { name: 'v2', served: true, storage: true },
          { name: 'v1', served: true, storage: false },
        ],
      },
    });
    const mapping = mapToServedVersion(manifest, CURRENT);
    const anything = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    expect((mapping.object['spec'] as { versions: unknown }).versions).toEqual([
      { name: 'v2', served: true, storage: true, schema: anything },
      { name: 'v1', served: true, storage: false, schema: anything },
    ]);
    expect(mapping.notes[1]).toBe(
      'no schema: v1 requires one, given {type: object, x-kubernetes-preserve-unknown-fields: true} (accepts any fields, as the apiextensions.k8s.io/v1beta1 CRD did)',
    );
  });

  it('keeps unknown fields as v1beta1 did by default, types an untyped root, and converts per-version columns', () => {
    const manifest = object('apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', {
      spec: {
        group: 'g.example',
        scope: 'Namespaced',
        names,
        validation: { openAPIV3Schema: { properties: { spec: { type: 'object' } } } },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            additionalPrinterColumns: [{ name: 'N', type: 'integer', JSONPath: '.spec.n', priority: 1 }],
          },
        ],
        conversion: { strategy: 'Webhook', webhookClientConfig: { url: 'https://c.example/convert' } },
      },
    });
    const mapping = mapToServedVersion(manifest, CURRENT);
    const spec = mapping.object['spec'] as Record<string, unknown>;
    expect(spec['versions']).toEqual([
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: { spec: { type: 'object' } },
          },
        },
        additionalPrinterColumns: [{ name: 'N', type: 'integer', jsonPath: '.spec.n', priority: 1 }],
      },
    ]);
    expect(spec['conversion']).toEqual({
      strategy: 'Webhook',
      webhook: { clientConfig: { url: 'https://c.example/convert' }, conversionReviewVersions: ['v1beta1'] },
    });
    expect(spec).not.toHaveProperty('validation');
    expect(mapping.notes.slice(1)).toEqual([
      'schema root without type given type: object (v1 requires a structural schema)',
      'schema root given x-kubernetes-preserve-unknown-fields: true: the v1beta1 CRD kept fields its schema does not name (preserveUnknownFields defaulted to true), v1 would prune them',
      'additionalPrinterColumns per version, JSONPath written as jsonPath',
      'conversion webhook settings moved under spec.conversion.webhook',
    ]);
  });

  it('refuses a CRD that names no version', () => {
    const manifest = object('apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', { spec: { names } });
    expect(() => mapToServedVersion(manifest, CURRENT)).toThrow(/it has neither spec.version nor spec.versions/);
  });
});

describe('mapToServedVersion: nothing applicable', () => {
  it('names the object, the apiVersion written and the versions the server serves the kind at', () => {
    const failure = captureError(() =>
      mapToServedVersion(object('networking.k8s.io/v1beta1', 'IngressClass', {}, undefined), CURRENT),
    );
    expect(failure).toBeInstanceOf(ApiVersionNotServedError);
    expect(failure).toMatchObject({
      object: 'IngressClass x',
      writtenApiVersion: 'networking.k8s.io/v1beta1',
      servedApiVersions: ['networking.k8s.io/v1'],
      message:
        'IngressClass x is written as networking.k8s.io/v1beta1, which the Kubernetes API server does not serve, and pai-deploy knows no equivalent it serves: it serves IngressClass as networking.k8s.io/v1',
      hint: 'Rewrite the manifest as networking.k8s.io/v1.',
    });
  });

  it('lists every group version of the kind, and says when the kind is not served at all', () => {
    const event = captureError(() => mapToServedVersion(object('events.k8s.io/v1beta1', 'Event', {}, 'ns'), CURRENT));
    expect(event).toMatchObject({ object: 'Event ns/x', servedApiVersions: ['events.k8s.io/v1', 'v1'] });
    const custom = captureError(() =>
      mapToServedVersion(object('frameworkcontroller.microsoft.com/v1', 'Framework', {}, 'default'), CURRENT),
    );
    expect(custom.message).toMatch(
      /Framework default\/x is written as frameworkcontroller.microsoft.com\/v1, .*it serves no Framework at all$/,
    );
    expect((custom as ApiVersionNotServedError).hint).toMatch(/CustomResourceDefinition applied/);
  });

  it('fails where a conversion exists but its target is not served either (1.15 has no apiextensions v1 to go back to)', () => {
    const crd = object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { spec: {} });
    expect(captureError(() => mapToServedVersion(crd, V115))).toMatchObject({
      servedApiVersions: ['apiextensions.k8s.io/v1beta1'],
    });
    const deployment = object('apps/v1beta2', 'Deployment', { spec: {} });
    expect(captureError(() => mapToServedVersion(deployment, serving('extensions/v1beta1 Deployment')))).toBeInstanceOf(
      ApiVersionNotServedError,
    );
  });
});

describe('convertToApiVersion', () => {
  it('converts to a named group version, or says it cannot', () => {
    const cronJob = object('batch/v1beta1', 'CronJob', { spec: { schedule: '@daily' } });
    expect(convertToApiVersion(cronJob, 'batch/v1')?.object).toEqual({ ...cronJob, apiVersion: 'batch/v1' });
    expect(convertToApiVersion(cronJob, 'batch/v1beta1')?.object).toBe(cronJob);
    expect(convertToApiVersion(cronJob, 'batch/v2')).toBeUndefined();
    expect(convertToApiVersion(object('extensions/v1beta1', 'Deployment', { spec: {} }), 'apps/v1')).toBeUndefined();
  });
});

function captureError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a failure');
}
