/**
 * The object model's behaviour beyond the golden cases: where findings point, the order of keys, services
 * pai-deploy does not know, sections OpenPAI ignores, pai-deploy's own render as input, and the Python 2 helpers
 * (the expected values below are what Python 2.7.18 printed for the same calls).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../../src/config/load-cluster.js';
import {
  buildClusterModel,
  dockerCredentials,
  OPENPAI_PARSERS,
  type ClusterModelInput,
  type SourceText,
} from '../../src/openpai/model/index.js';
import {
  pyFloatStr,
  pyInt,
  pyJsonDumps,
  PythonFailure,
  pyUrlencodeDoseq,
  pyUrljoinQuery,
  pyUrlPort,
} from '../../src/openpai/model/python.js';
import { renderOpenpaiLayout, renderServicesConfiguration } from '../../src/render/cluster-cfg.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const SHAPED = join(FIXTURES, 'openpai-shaped/src');
const QUICK_START = join(FIXTURES, 'openpai-model/cases/quick-start');

function shapedDefaults(): Map<string, SourceText> {
  const out = new Map<string, SourceText>();
  for (const service of readdirSync(SHAPED).sort()) {
    try {
      out.set(service, {
        path: `src/${service}/config/${service}.yaml`,
        text: readFileSync(join(SHAPED, service, 'config', `${service}.yaml`), 'utf8'),
      });
    } catch {
      // a folder of the fixture tree without defaults (deploy/ only)
    }
  }
  return out;
}

const DEFAULTS = shapedDefaults();
const LAYOUT = readFileSync(join(QUICK_START, 'layout.yaml'), 'utf8');
const SERVICES = readFileSync(join(QUICK_START, 'services-configuration.yaml'), 'utf8');

function build(changes: { layout?: string; services?: string; defaults?: Map<string, SourceText> } = {}) {
  const input: ClusterModelInput = {
    layout: { path: 'layout.yaml', text: changes.layout ?? LAYOUT },
    servicesConfiguration: { path: 'services-configuration.yaml', text: changes.services ?? SERVICES },
    defaults: changes.defaults ?? DEFAULTS,
    alertTemplates: ['general'],
  };
  return buildClusterModel(input);
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('buildClusterModel', () => {
  it('runs one parser per service with defaults: the 25 of OpenPAI v1.8.0', () => {
    expect([...OPENPAI_PARSERS.keys()]).toHaveLength(25);
    const { model, findings } = build();
    expect(findings).toEqual([]);
    expect(Object.keys(model!)).toEqual(['layout', ...DEFAULTS.keys()]);
  });

  it('keeps the order OpenPAI builds keys in (defaults, then new keys; derived values last)', () => {
    const model = build().model!;
    expect(Object.keys(model['rest-server']!).slice(0, 3)).toEqual(['uri', 'server-port', 'rate-limit-api-per-min']);
    expect(Object.keys(model['rest-server']!).slice(-2)).toEqual(['default-computing-device-type', 'etcd-uris']);
    expect(Object.keys(model.cluster!['docker-registry'])).toEqual([
      'namespace',
      'domain',
      'tag',
      'secret-name',
      'prefix',
      'username',
      'password',
      'base64code',
      'credential',
    ]);
    expect(Object.keys(model.layout['machine-list'])).toEqual([
      'pai-master-01',
      'pai-gpu-01',
      'pai-gpu-02',
      'pai-cpu-01',
    ]);
    expect(Object.keys(model.layout)).toEqual(['machine-sku', 'kubernetes', 'machine-list']);
  });

  it('is pure: the same input gives the same model, and the model is plain JSON', () => {
    const a = build().model;
    const b = build().model;
    expect(a).toEqual(b);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('places a finding on the offending value, with a hint', () => {
    const services = SERVICES.replace(
      'default-pai-admin-password: admin-password\n',
      'default-pai-admin-password: admin-password\n  debugging-reservation-seconds: -5\n',
    );
    const { model, findings } = build({ services });
    expect(model).toBeUndefined();
    expect(findings).toMatchObject([
      {
        severity: 'error',
        code: 'model-rest-server-reservation',
        file: 'services-configuration.yaml',
        line: lineOf(services, 'debugging-reservation-seconds'),
        column: 34,
        path: 'rest-server.debugging-reservation-seconds',
      },
    ]);
    expect(findings[0]!.hint).toMatch(/seconds/);
  });

  it('points a key missing from both sides at the section, and a defaults problem at the defaults file', () => {
    const defaults = new Map(DEFAULTS);
    defaults.set('grafana', { path: 'src/grafana/config/grafana.yaml', text: 'service_type: common\n' });
    const { findings } = build({ defaults });
    expect(findings).toMatchObject([
      { code: 'model-missing-key', file: 'services-configuration.yaml', line: lineOf(SERVICES, 'cluster:') },
    ]);
    defaults.set('grafana', { path: 'src/grafana/config/grafana.yaml', text: 'service_type: common\nport: 3000.0\n' });
    expect(build({ defaults }).findings).toMatchObject([
      { code: 'model-not-int', file: 'src/grafana/config/grafana.yaml', line: 2, column: 7 },
    ]);
  });

  it('names both machines of a duplicate hostname, in layout.yaml', () => {
    const layout = LAYOUT.replace('hostname: pai-gpu-02', 'hostname: pai-gpu-01');
    expect(build({ layout }).findings).toMatchObject([
      {
        code: 'model-duplicate-hostname',
        file: 'layout.yaml',
        line: lineOf(layout, 'hostip: 10.0.0.12') - 1,
        message: expect.stringContaining('machine-list[1]') as string,
      },
    ]);
  });

  it('warns where a role is a YAML boolean, which OpenPAI does not count', () => {
    const { model, findings } = build({ layout: LAYOUT.replace('pai-worker: "true"', 'pai-worker: true') });
    expect(model).toBeDefined();
    expect(findings).toMatchObject([
      { severity: 'warning', code: 'model-role-not-string-true', path: 'machine-list[1].pai-worker' },
    ]);
  });

  it('gives a service it has no parser for its defaults with the section over them, and says so', () => {
    const defaults = new Map(DEFAULTS);
    defaults.set('my-service', { path: 'src/my-service/config/my-service.yaml', text: 'a: 1\nb: [1]\n' });
    const { model, findings } = build({ defaults, services: `${SERVICES}my-service:\n  b: two\n  c: 3\n` });
    expect(model!['my-service']).toEqual({ a: 1, b: 'two', c: 3 });
    expect(findings).toMatchObject([
      { severity: 'warning', code: 'model-unknown-service', file: 'src/my-service/config/my-service.yaml' },
    ]);
  });

  it('warns about a section no service reads, suggesting the service meant', () => {
    const services = `${SERVICES}rest_server:\n  server-port: 9999\n`;
    const { model, findings } = build({ services });
    expect(model!['rest-server']!['server-port']).toBe(9186);
    expect(findings).toMatchObject([
      {
        severity: 'warning',
        code: 'model-section-ignored',
        line: lineOf(services, 'rest_server:'),
        message: expect.stringContaining('did you mean rest-server?') as string,
      },
    ]);
  });

  it('keeps the caller’s defaults untouched (parsers mutate copies)', () => {
    const before = JSON.stringify([...DEFAULTS]);
    build({ services: `${SERVICES}device-plugin: {}\n` });
    build({ layout: LAYOUT.replace('type: nvidia.com/gpu', 'type: amd.com/gpu') });
    expect(JSON.stringify([...DEFAULTS])).toBe(before);
    const devices = build().model!['device-plugin']!.devices;
    expect(devices).toEqual(['nvidia.com/gpu']);
  });

  it('reports a file it cannot parse and builds nothing', () => {
    const { model, findings } = build({ services: 'cluster: [\n' });
    expect(model).toBeUndefined();
    expect(findings[0]).toMatchObject({ severity: 'error', file: 'services-configuration.yaml' });
  });
});

describe("pai-deploy's own render as input", () => {
  it('builds a model from what render writes for the example and a variant with every option', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pai-model-render-'));
    try {
      const config = join(dir, 'config.yaml');
      writeFileSync(
        config,
        [
          'user: pai',
          'password: "x"',
          'docker_image_tag: v1.8.0',
          'cluster_id: rendered',
          'docker_registry_domain: reg.example.com',
          'docker_registry_namespace: ns',
          'docker_registry_username: u',
          'docker_registry_password: p',
          'enable_docker_cache: true',
          'docker_cache_storage_backend: azure',
          'docker_cache_azure_account_name: acct',
          'docker_cache_azure_account_key: key',
          '',
        ].join('\n'),
      );
      for (const configPath of [join(import.meta.dirname, '../../examples/config.yaml'), config]) {
        const loaded = await loadCluster(
          { kind: 'yaml', path: join(import.meta.dirname, '../../examples/layout.yaml') },
          configPath,
        );
        const spec = loaded.input!;
        const { model, findings } = build({
          layout: renderOpenpaiLayout(spec),
          services: renderServicesConfiguration(spec),
        });
        expect(findings).toEqual([]);
        expect(model!.cluster!.common['cluster-id']).toBe(spec.config.clusterId);
        expect(model!['rest-server']!.uri).toBe('http://10.0.0.10:9186');
        if (configPath === config) {
          expect(model!.cluster!['docker-registry'].prefix).toBe('reg.example.com/ns/');
          expect(model!['docker-cache']!).toMatchObject({
            enabled: true,
            storage_backend: 'azure',
            uri: 'http://10.0.0.10:30500',
          });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dockerCredentials', () => {
  it('is {} without both a username and a password', () => {
    expect(dockerCredentials('docker.io', 'u', '')).toEqual({ base64code: 'e30=', credential: '{}' });
    expect(dockerCredentials('docker.io', null, null)).toEqual({ base64code: 'e30=', credential: '{}' });
  });

  it('keys Docker Hub as docker does, other registries as given', () => {
    for (const domain of ['docker.io', 'public', ''])
      expect(dockerCredentials(domain, 'u', 'p').registry).toBe('https://index.docker.io/v1/');
    const own = dockerCredentials('reg.example.com:5000', 'u', 12345);
    expect(JSON.parse(own.credential)).toEqual({
      auths: { 'reg.example.com:5000': { auth: Buffer.from('u:12345').toString('base64') } },
    });
    expect(Buffer.from(own.base64code, 'base64').toString()).toBe(own.credential);
  });
});

describe('Python 2 semantics', () => {
  it("str() of floats (Python 2.7's 12 significant digits)", () => {
    const cases: [number, string][] = [
      [0.1 + 0.2, '0.3'],
      [1e16, '1e+16'],
      [1e11, '1e+11'],
      [123456789012.5, '1.23456789012e+11'],
      [123456.7, '123456.7'],
      [-0, '-0.0'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1234567890.12345, '1234567890.12'],
      [1e22, '1e+22'],
      [Infinity, 'inf'],
    ];
    for (const [value, text] of cases) expect(pyFloatStr(value)).toBe(text);
  });

  it('int() of strings and numbers', () => {
    expect(pyInt(' 12 ')).toBe(12);
    expect(pyInt('\t7\n')).toBe(7);
    expect(pyInt('+5')).toBe(5);
    expect(pyInt(2.9)).toBe(2);
    expect(pyInt(-2.9)).toBe(-2);
    expect(pyInt(true)).toBe(1);
    for (const text of ['10L', '1_0', '0x10', '1.5', '\u00a012']) expect(pyInt(text)).toBeInstanceOf(PythonFailure);
    expect(pyInt(null)).toMatchObject({ type: 'TypeError' });
  });

  it('json.dumps with its default separators and ASCII escapes', () => {
    expect(pyJsonDumps({ a: [1, 2.5, true, null, '\u00e9\u007f\n'], b: 'x' })).toBe(
      '{"a": [1, 2.5, true, null, "\\u00e9\\u007f\\n"], "b": "x"}',
    );
  });

  it('urlencode(doseq) and urljoin(base, "?query")', () => {
    expect(pyUrlencodeDoseq({ 'a b': 'c/d+e' })).toBe('a+b=c%2Fd%2Be');
    expect(pyUrlencodeDoseq({ n: [1, 'x'] })).toBe('n=1&n=x');
    expect(pyUrlencodeDoseq({ t: true, z: null, f: 1.5, d: { k: 1 } })).toBe('t=True&z=None&f=1.5&d=k');
    expect(pyUrlencodeDoseq({ q: 'a~b c*' })).toBe('q=a%7Eb+c%2A');
    expect(pyUrljoinQuery('http://h:1/p;x?q=1#f', 'a=b')).toBe('http://h:1/p;x?a=b');
    expect(pyUrljoinQuery('http://h', 'a=b')).toBe('http://h?a=b');
    expect(pyUrljoinQuery('/rel/path', 'a=b')).toBe('/rel/path?a=b');
    expect(pyUrljoinQuery('HTTP://H/x', 'a=b')).toBe('http://H/x?a=b');
    expect(pyUrljoinQuery('h/x', '')).toBe('h/x');
  });

  it('urlparse(url).port', () => {
    expect(pyUrlPort('https://1.2.3.4:9090/x')).toBe(9090);
    expect(pyUrlPort('https://h/')).toBeNull();
    expect(pyUrlPort('https://u@h:070')).toBe(70);
  });
});
