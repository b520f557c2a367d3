import { describe, expect, it } from 'vitest';
import { runServices, ServicesFailedError } from '../../src/cluster/services/run-services.js';
import { ServiceStepError, type WorkloadWaiter } from '../../src/cluster/services/run-steps.js';
import type { ServiceRecipe } from '../../src/openpai/services/recipe.js';
import type { OpenpaiTree, TreeFile } from '../../src/openpai/tree/openpai-tree.js';
import type { ServiceDefinition } from '../../src/openpai/tree/service-definition.js';
import { KubeApiError, type KubeApi, type KubeObject, type ServedResource } from '../../src/ports/kube-api.js';

/**
 * The order and failure rules of runServices over an in-memory API (the applier and the steps are the real ones;
 * only the server is a stand-in: the integration tests run the same against kube-apiserver).
 */
const served: ServedResource[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, verbs: ['get', 'patch'] },
];

function memoryApi(options: { refuse?: string } = {}): KubeApi & { writes: string[] } {
  const writes: string[] = [];
  const stored = new Map<string, KubeObject>();
  return {
    writes,
    server: 'https://memory',
    version: () => Promise.resolve({ gitVersion: 'v1.36.0', major: '1', minor: '36' }),
    served: () => Promise.resolve(served),
    get: (ref) => Promise.resolve(stored.get(ref.name)),
    list: () => Promise.resolve([...stored.values()]),
    create: (object) => {
      writes.push(`create ${object.metadata.name}`);
      stored.set(object.metadata.name, object);
      return Promise.resolve(object);
    },
    replace: (object) => Promise.resolve(object),
    patch: async (ref, patch) => {
      // The services of a layer run at once: let the others start before this one answers.
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (ref.name === options.refuse) throw new KubeApiError(`PATCH ${ref.name}`, 422, 'Invalid', 'refused');
      writes.push(`apply ${ref.name}`);
      const body = (patch as { body: KubeObject }).body;
      const object = { ...body, metadata: { ...body.metadata, resourceVersion: '1' } };
      stored.set(ref.name, object);
      return object;
    },
    delete: (ref) => Promise.resolve(stored.delete(ref.name)),
  };
}

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {a: "{{ x }}"}\n`;

function tree(services: Array<{ name: string; prerequisites?: string[]; template?: string }>): OpenpaiTree {
  const definitions: ServiceDefinition[] = services.map(({ name, prerequisites = [] }) => ({
    name,
    clusterTypes: ['k8s'],
    prerequisites,
    templates: [`${name}.yaml`],
    deployRules: [],
  }));
  const files = new Map(
    services.map(({ name, template }) => [
      name,
      new Map<string, TreeFile>([
        [`${name}.yaml.template`, { path: `${name}.yaml.template`, text: template ?? configMap(name) }],
      ]),
    ]),
  );
  return {
    dir: '/tree',
    services: definitions,
    defaults: new Map(),
    deployFiles: (name) => files.get(name) ?? new Map(),
    serviceFile: () => undefined,
  };
}

const applyOwnFile = (service: string): ServiceRecipe => ({
  service,
  start: () => [{ kind: 'apply-files', paths: [`${service}.yaml`] }],
  stop: () => [],
  delete: () => [],
});

const waiter: WorkloadWaiter = { ready: () => Promise.resolve(), gone: () => Promise.resolve() };
const render = (source: string) => {
  if (source.includes('{% bad')) throw new Error('template error');
  return source.replace('{{ x }}', 'rendered');
};

function options(api: KubeApi, openpai: OpenpaiTree) {
  return {
    operation: 'start' as const,
    api,
    tree: openpai,
    cfg: {},
    render,
    recipeFor: applyOwnFile,
    waiter,
    dryRun: false,
    signal: new AbortController().signal,
    timeoutMs: 1000,
  };
}

describe('runServices', () => {
  it('runs layer after layer, the services of a layer at once', async () => {
    const api = memoryApi();
    const result = await runServices(
      options(
        api,
        tree([{ name: 'base' }, { name: 'b', prerequisites: ['base'] }, { name: 'a', prerequisites: ['base'] }]),
      ),
    );
    expect(result.plan.layers).toEqual([['base'], ['a', 'b']]);
    expect(api.writes[0]).toBe('apply base');
    expect(new Set(api.writes.slice(1))).toEqual(new Set(['apply a', 'apply b']));
    expect(result.outcomes.map((outcome) => `${outcome.service} ${outcome.outcome}`)).toEqual([
      'base changed',
      'a changed',
      'b changed',
    ]);
  });

  it('a template that does not render fails before anything is written', async () => {
    const api = memoryApi();
    const run = runServices(
      options(api, tree([{ name: 'base' }, { name: 'late', prerequisites: ['base'], template: '{% bad %}' }])),
    );
    await expect(run).rejects.toThrow('template error');
    expect(api.writes).toEqual([]);
  });

  it('a failure lets its layer finish and stops before the next; two failures are both named', async () => {
    const api = memoryApi({ refuse: 'a' });
    const openpai = tree([{ name: 'a' }, { name: 'b' }, { name: 'next', prerequisites: ['a', 'b'] }]);
    await expect(runServices(options(api, openpai))).rejects.toThrow(ServiceStepError);
    await expect(runServices(options(api, openpai))).rejects.toThrow(/service a: apply a.yaml: configmap a: .*422/);
    expect(api.writes).toContain('apply b');
    expect(api.writes).not.toContain('apply next');

    const twice = memoryApi({ refuse: 'a' });
    const both = tree([{ name: 'a' }, { name: 'c', template: configMap('a') }]);
    const error = await runServices(options(twice, both)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServicesFailedError);
    expect((error as ServicesFailedError).failures.map((failure) => failure.service)).toEqual(['a', 'c']);
  });

  it('stop runs the layers backwards; a second start changes nothing', async () => {
    const api = memoryApi();
    const openpai = tree([{ name: 'base' }, { name: 'top', prerequisites: ['base'] }]);
    await runServices(options(api, openpai));
    // Server-side apply sends the manifest again; the server's answer (the same resourceVersion) says unchanged.
    const again = await runServices(options(api, openpai));
    expect(again.outcomes.map((outcome) => outcome.outcome)).toEqual(['unchanged', 'unchanged']);
    const stop = await runServices({ ...options(api, openpai), operation: 'stop' });
    expect(stop.plan.layers).toEqual([['top'], ['base']]);
  });

  it('stages local files into the deploy folder before anything is written; a missing one stops it all', async () => {
    const seen: Array<string | undefined> = [];
    const staging = (service: string): ServiceRecipe => ({
      ...applyOwnFile(service),
      stagedFiles: () => (service === 'web' ? [{ source: '/etc/tls/site.crt', path: 'https-config/site.crt' }] : []),
      start: (context) => {
        seen.push(context.files.read('https-config/site.crt'));
        expect(context.files.list('https-config')).toEqual(service === 'web' ? ['https-config/site.crt'] : []);
        return applyOwnFile(service).start(context);
      },
    });
    const openpai = tree([{ name: 'base' }, { name: 'web', prerequisites: ['base'] }]);
    const api = memoryApi();
    await runServices({ ...options(api, openpai), recipeFor: staging, readLocalFile: () => 'CERT' });
    expect(seen).toEqual([undefined, 'CERT']);

    const empty = memoryApi();
    const missing = runServices({
      ...options(empty, openpai),
      recipeFor: staging,
      readLocalFile: (path) => {
        throw new Error(`no ${path}`);
      },
    });
    await expect(missing).rejects.toThrow('no /etc/tls/site.crt');
    expect(empty.writes).toEqual([]);
  });
});
