import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { orderServices, ServiceCycleError } from '../../src/openpai/service-catalog.js';
import { ManifestError, parseManifests, takesDeployRules, withDeployRules } from '../../src/openpai/tree/manifests.js';
import { readOpenpaiTree } from '../../src/openpai/tree/read-tree.js';
import { MissingTemplateError, renderService } from '../../src/openpai/tree/render-service.js';
import { parseServiceDefinition, ServiceDefinitionError } from '../../src/openpai/tree/service-definition.js';

describe('service.yaml', () => {
  it('reads prerequisites, templates, cluster types and deploy rules (operators in any case)', () => {
    const definition = parseServiceDefinition(
      'node-exporter',
      [
        'cluster-type: [yarn, k8s]',
        'prerequisite: [cluster-configuration, drivers]',
        'template-list: [node-exporter.yaml]',
        'start-script: start.sh',
        'deploy-rules:',
        '  - notin: no-nodeexporter',
        '  - IN: pai-worker',
      ].join('\n'),
      'src/node-exporter/deploy/service.yaml',
    );
    expect(definition).toEqual({
      name: 'node-exporter',
      clusterTypes: ['yarn', 'k8s'],
      prerequisites: ['cluster-configuration', 'drivers'],
      templates: ['node-exporter.yaml'],
      deployRules: [
        { operator: 'NotIn', label: 'no-nodeexporter' },
        { operator: 'In', label: 'pai-worker' },
      ],
    });
  });

  it('an empty file is a service with nothing declared', () => {
    expect(parseServiceDefinition('x', '', 'x.yaml')).toMatchObject({ prerequisites: [], templates: [] });
  });

  it.each([
    ['prerequisite: cluster-configuration', /prerequisite must be a list of names/],
    ['deploy-rules: [{near: pai-master}]', /deploy-rules\[0\] must be/],
    ['deploy-rules: [{in: a, notin: b}]', /deploy-rules\[0\] must be/],
    ['- a list', /must be a mapping/],
    ['a: [unclosed', /not valid YAML/],
  ])('refuses %s with the file named', (text, message) => {
    const parse = () => parseServiceDefinition('svc', text, 'src/svc/deploy/service.yaml');
    expect(parse).toThrow(ServiceDefinitionError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(/src\/svc\/deploy\/service.yaml/);
  });
});

describe('service order', () => {
  const service = (name: string, ...prerequisites: string[]) => ({ name, prerequisites });

  it('layers by prerequisites, sorted within a layer, unknown prerequisites ignored', () => {
    const plan = orderServices([
      service('webportal', 'rest-server', 'cluster-configuration'),
      service('rest-server', 'cluster-configuration', 'yarn-frameworklauncher'),
      service('node-exporter', 'cluster-configuration', 'drivers'),
      service('cluster-configuration'),
    ]);
    expect(plan.layers).toEqual([['cluster-configuration'], ['node-exporter', 'rest-server'], ['webportal']]);
  });

  it('a skipped service still orders what depends on it through its own prerequisites', () => {
    const plan = orderServices([service('a'), service('b', 'a'), service('c', 'b')], new Map([['b', 'not enabled']]));
    expect(plan.layers).toEqual([['a'], ['c']]);
    expect(plan.skipped).toEqual([{ name: 'b', reason: 'not enabled' }]);
  });

  it('a cycle is an error naming the services in it, and only those', () => {
    const services = [
      service('root'),
      service('a', 'root', 'c'),
      service('b', 'a'),
      service('c', 'b'),
      service('d', 'c'),
    ];
    let error: unknown;
    try {
      orderServices(services);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ServiceCycleError);
    const cycle = (error as ServiceCycleError).cycle;
    expect(new Set(cycle)).toEqual(new Set(['a', 'b', 'c']));
    expect(cycle[0]).toBe(cycle.at(-1));
    expect((error as Error).message).toMatch(/a → c → b → a/);
  });

  it('a service that needs itself is a cycle of one', () => {
    expect(() => orderServices([service('a', 'a')])).toThrow(/a → a/);
  });
});

describe('manifests', () => {
  const daemonSet = [
    'apiVersion: apps/v1',
    'kind: DaemonSet',
    'metadata: {name: node-exporter}',
    'spec:',
    '  template:',
    '    spec:',
    '      affinity: {podAffinity: {}}',
    '      containers: [{name: x, image: y}]',
  ].join('\n');

  it('reads every non-empty document and unpacks a List', () => {
    const text = `---\n${daemonSet}\n---\n# empty\n---\napiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - {apiVersion: v1, kind: Secret, metadata: {name: b}}\n`;
    expect(parseManifests('svc', 'x.yaml', text).map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'DaemonSet/node-exporter',
      'ConfigMap/a',
      'Secret/b',
    ]);
  });

  it.each([
    ['kind: ConfigMap\nmetadata: {name: a}', /document 1 has no apiVersion and kind/],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {}', /document 1 \(ConfigMap\) has no metadata.name/],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- 1', /document 2 is not a Kubernetes object/],
    ['a: [b', /document 1 is not valid YAML/],
  ])('refuses %j naming the service and the file', (text, message) => {
    expect(() => parseManifests('rest-server', 'rest-server.yaml', text)).toThrow(ManifestError);
    expect(() => parseManifests('rest-server', 'rest-server.yaml', text)).toThrow(message);
    expect(() => parseManifests('rest-server', 'rest-server.yaml', text)).toThrow(
      /service rest-server: rest-server.yaml/,
    );
  });

  it('deploy rules replace the pod affinity of workloads, one term of all rules, as paictl did', () => {
    const [object] = parseManifests('svc', 'x.yaml', daemonSet);
    const ruled = withDeployRules(object!, [
      { operator: 'NotIn', label: 'no-nodeexporter' },
      { operator: 'In', label: 'pai-worker' },
    ]);
    expect((ruled['spec'] as { template: { spec: { affinity: unknown } } }).template.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'no-nodeexporter', operator: 'NotIn', values: ['true'] },
                { key: 'pai-worker', operator: 'In', values: ['true'] },
              ],
            },
          ],
        },
      },
    });
    // The input is not changed.
    expect((object!['spec'] as { template: { spec: { affinity: unknown } } }).template.spec.affinity).toEqual({
      podAffinity: {},
    });
  });

  it('a Pod gets the affinity in its own spec; other kinds and no rules are left alone', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } };
    const rules = [{ operator: 'In' as const, label: 'pai-master' }];
    expect(withDeployRules(pod, rules)['spec']).toHaveProperty('affinity.nodeAffinity');
    const map = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(withDeployRules(map, rules)).toBe(map);
    expect(withDeployRules(pod, [])).toBe(pod);
  });

  it("paictl's rule: yaml in the name and not delete", () => {
    expect(takesDeployRules('node-exporter.yaml')).toBe(true);
    expect(takesDeployRules('auth-configmap/oidc.yaml')).toBe(true);
    expect(takesDeployRules('delete-batch-job.yaml')).toBe(false);
    expect(takesDeployRules('start.sh')).toBe(false);
  });
});

describe('the tree on disk and a rendered service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-tree-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('src/cluster/config/cluster.yaml', 'cluster:\n  common: {}\n');
  write('src/b/deploy/service.yaml', 'prerequisite: [a]\ntemplate-list: [b.yaml, sub/c.json]\n');
  write('src/b/deploy/b.yaml.template', 'name: {{ cluster_cfg["b"]["x"] }}');
  write('src/b/deploy/sub/c.json.template', '{}');
  write('src/b/deploy/rbac.yaml', 'static: true\n');
  // Not in the template-list: rendered later by the service's own container (pylon's nginx templates).
  write('src/b/deploy/nginx.conf.template', 'listen {{ port }};');
  write('src/b/config/b.yaml', 'x: 1\n');
  write('src/b/config/b.md', 'doc');
  write('src/a/deploy/service.yaml', 'cluster-type: [k8s]\n');
  write('src/yarn-only/deploy/service.yaml', 'cluster-type: [yarn]\n');
  write('src/notes/README.md', 'not a service');

  it('finds the Kubernetes services sorted, their deploy files and every defaults file', () => {
    const tree = readOpenpaiTree(dir);
    expect(tree.services.map((service) => service.name)).toEqual(['a', 'b']);
    expect([...tree.defaults.keys()]).toEqual(['b', 'cluster']);
    expect(tree.defaults.get('cluster')?.path).toBe(join(dir, 'src/cluster/config/cluster.yaml'));
    expect([...tree.deployFiles('b').keys()]).toEqual([
      'b.yaml.template',
      'nginx.conf.template',
      'rbac.yaml',
      'service.yaml',
      'sub/c.json.template',
    ]);
    expect(tree.serviceFile('b', 'config/b.md')?.text).toBe('doc');
    expect(tree.serviceFile('b', 'config/none')).toBeUndefined();
  });

  it('renders the template list with cluster_cfg only; rendered sources leave the folder, other templates stay', () => {
    const tree = readOpenpaiTree(dir);
    const calls: string[] = [];
    const rendered = renderService(tree, tree.services[1]!, { b: { x: 7 } }, (source, context, { name }) => {
      calls.push(name);
      expect(Object.keys(context)).toEqual(['cluster_cfg']);
      return source.replace(
        '{{ cluster_cfg["b"]["x"] }}',
        String((context['cluster_cfg'] as { b: { x: number } }).b.x),
      );
    });
    expect(calls).toEqual([join(dir, 'src/b/deploy/b.yaml.template'), join(dir, 'src/b/deploy/sub/c.json.template')]);
    expect(rendered.files.read('b.yaml')).toBe('name: 7');
    expect(rendered.files.list()).toEqual(['b.yaml', 'nginx.conf.template', 'rbac.yaml', 'service.yaml', 'sub/c.json']);
    expect(rendered.files.read('nginx.conf.template')).toBe('listen {{ port }};');
    expect(rendered.files.list('sub')).toEqual(['sub/c.json']);
    expect([...rendered.rendered]).toEqual(['b.yaml', 'sub/c.json']);
    expect(rendered.files.readService('config/b.yaml')).toBe('x: 1\n');
  });

  it('a template the service.yaml lists but the folder lacks is named', () => {
    const tree = readOpenpaiTree(dir);
    const broken = { ...tree.services[1]!, templates: ['gone.yaml'] };
    expect(() => renderService(tree, broken, {}, (s) => s)).toThrow(MissingTemplateError);
    expect(() => renderService(tree, broken, {}, (s) => s)).toThrow(/deploy\/gone.yaml.template does not exist/);
  });

  it('a directory without src/ is refused with what to do', () => {
    const read = () => readOpenpaiTree(join(dir, 'src', 'notes'));
    expect(read).toThrow(/cannot read .*notes\/src: /);
    expect(read).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/not look like an OpenPAI source tree/) }),
    );
  });
});
