import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  alertManagerSettings,
  cfgValue,
  devicePluginDevices,
  dockerCacheEnabled,
  flag,
  hivedConfigured,
  k8sRbacNotFalse,
  k8sRbacTrue,
  machines,
  pylonSsl,
  registrySettings,
  requireString,
  truthy,
} from '../../src/openpai/services/objects/cfg.js';
import {
  namespace,
  paiDaemonPriority,
  paiJobMinimalPriority,
  versionConfigMaps,
} from '../../src/openpai/services/objects/cluster-objects.js';
import {
  configMapFromFiles,
  configMapFromFolder,
  folderFiles,
  isConfigMapKey,
  minifyJson,
} from '../../src/openpai/services/objects/configmaps.js';
import {
  DEVICE_PLUGINS,
  devicePluginObjects,
  devicePluginsFor,
  unsupportedDeviceTypes,
} from '../../src/openpai/services/objects/device-plugins.js';
import { ClusterCfgError, ServiceFileError } from '../../src/openpai/services/objects/errors.js';
import {
  generateSshKeyPair,
  JOB_SSH_SECRET_REF,
  jobSshSecret,
  opensshPublicKey,
} from '../../src/openpai/services/objects/job-ssh-key.js';
import { isWorkload, parseObjects, refIn, refsOf } from '../../src/openpai/services/objects/manifests.js';
import {
  dockerConfigJson,
  DOCKER_HUB_SERVER,
  registryServer,
  registrySecrets,
} from '../../src/openpai/services/objects/registry-secret.js';
import type { ServiceFiles } from '../../src/openpai/services/recipe.js';
import { memoryFiles } from '../fixtures/openpai-recipes/files.js';

const temp = mkdtempSync(join(tmpdir(), 'pai-deploy-recipe-objects-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const has = (command: string) => spawnSync(command, ['--help'], { stdio: 'ignore' }).error === undefined;
const decode = (base64: unknown) => Buffer.from(String(base64), 'base64').toString('utf8');
const ctx = (cfg: Record<string, unknown>) => ({ service: 'test-svc', cfg });

describe('cfg accessors', () => {
  it('reads nested values and names the missing key, never the value', () => {
    const cfg = { cluster: { 'docker-registry': { domain: 'docker.io', password: 's3cr3t-value' } } };
    expect(cfgValue(cfg, ['cluster', 'docker-registry', 'domain'])).toBe('docker.io');
    expect(cfgValue(cfg, ['cluster', 'nope', 'x'])).toBeUndefined();
    const error = (() => {
      try {
        registrySettings(ctx(cfg));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ClusterCfgError);
    expect((error as ClusterCfgError).key).toBe('cluster.docker-registry.secret-name');
    expect((error as ClusterCfgError).message).toContain('test-svc');
    expect((error as ClusterCfgError).hint).toBeTruthy();
  });

  it('refuses a password without a username without printing it', () => {
    const cfg = { cluster: { 'docker-registry': { domain: 'r.io', 'secret-name': 's', password: 'hunter2-pw' } } };
    expect(() => registrySettings(ctx(cfg))).toThrow(ClusterCfgError);
    try {
      registrySettings(ctx(cfg));
    } catch (error) {
      const text = `${(error as ClusterCfgError).message} ${(error as ClusterCfgError).hint ?? ''}`;
      expect(text).toContain('cluster.docker-registry.username');
      expect(text).not.toContain('hunter2-pw');
    }
  });

  it('types: numbers as text, other types refused', () => {
    expect(requireString(ctx({ a: { b: 5000 } }), ['a', 'b'])).toBe('5000');
    expect(() => requireString(ctx({ a: { b: ['x'] } }), ['a', 'b'])).toThrow(/must be a string, not a list/);
    expect(() => requireString(ctx({ a: { b: '' } }), ['a', 'b'])).toThrow(/is empty/);
  });

  it("flags are 'true' or true; Jinja truthiness for if-tests", () => {
    expect(flag({ a: 'true' }, ['a'])).toBe(true);
    expect(flag({ a: true }, ['a'])).toBe(true);
    expect(flag({ a: 'false' }, ['a'])).toBe(false);
    expect(flag({ a: 'True' }, ['a'])).toBe(false);
    expect(flag({}, ['a'])).toBe(false);
    expect(truthy({ a: [] }, ['a'])).toBe(false);
    expect(truthy({ a: {} }, ['a'])).toBe(false);
    expect(truthy({ a: 'x' }, ['a'])).toBe(true);
    expect(dockerCacheEnabled(ctx({ 'docker-cache': { enabled: true } }))).toBe(true);
    expect(dockerCacheEnabled(ctx({ 'docker-cache': { enabled: 'false' } }))).toBe(false);
    expect(dockerCacheEnabled(ctx({}))).toBe(false);
  });

  it("k8s-rbac: rest-server's == 'true' and k8s-dashboard's != 'false' differ on a missing key", () => {
    expect(k8sRbacTrue(ctx({}))).toBe(false);
    expect(k8sRbacNotFalse(ctx({}))).toBe(true);
    const off = { cluster: { common: { 'k8s-rbac': 'false' } } };
    expect(k8sRbacNotFalse(ctx(off))).toBe(false);
  });

  it('hived is configured when its config text is longer than one character', () => {
    expect(hivedConfigured(ctx({ hivedscheduler: { config: '' } }))).toBe(false);
    expect(hivedConfigured(ctx({ hivedscheduler: { config: '\n' } }))).toBe(false);
    expect(hivedConfigured(ctx({ hivedscheduler: { config: 'physicalCluster: {}\n' } }))).toBe(true);
    expect(hivedConfigured(ctx({}))).toBe(false);
  });

  it('machines from the object model mapping and from a layout list', () => {
    const mapping = {
      layout: {
        'machine-list': {
          m1: { hostname: 'm1', 'machine-type': 'cpu', 'pai-master': 'true' },
          w1: { hostname: 'w1', 'machine-type': 'gpu', 'pai-worker': true, 'pai-storage': 'true' },
        },
      },
    };
    expect(machines(ctx(mapping))).toEqual([
      { hostname: 'm1', machineType: 'cpu', paiMaster: true, paiWorker: false, paiStorage: false },
      { hostname: 'w1', machineType: 'gpu', paiMaster: false, paiWorker: true, paiStorage: true },
    ]);
    const list = { layout: { 'machine-list': [{ hostname: 'a', 'machine-type': 'x', 'pai-worker': 'true' }] } };
    expect(machines(ctx(list))[0]?.paiWorker).toBe(true);
    expect(() => machines(ctx({ layout: {} }))).toThrow(/layout\.machine-list is missing/);
  });

  it("device types: the configured list (default nvidia.com/gpu) plus the workers' sku types", () => {
    const layout = (extra: Record<string, unknown> = {}) => ({
      layout: {
        'machine-sku': {
          cpu: { mem: '1Gi' },
          amd: { 'computing-device': { type: 'amd.com/gpu', count: 2 } },
          dtu: { 'computing-device': { type: 'enflame.com/dtu', count: 4 } },
        },
        'machine-list': {
          m: { hostname: 'm', 'machine-type': 'cpu', 'pai-master': 'true' },
          a: { hostname: 'a', 'machine-type': 'amd', 'pai-worker': 'true' },
          // a non-worker's sku does not count (device_plugin.py looks at workers only)
          d: { hostname: 'd', 'machine-type': 'dtu' },
        },
      },
      ...extra,
    });
    expect(devicePluginDevices(ctx(layout()))).toEqual(['nvidia.com/gpu', 'amd.com/gpu']);
    expect(devicePluginDevices(ctx(layout({ 'device-plugin': { devices: ['rdma/hca'] } })))).toEqual([
      'rdma/hca',
      'amd.com/gpu',
    ]);
    expect(() => devicePluginDevices(ctx(layout({ 'device-plugin': { devices: 'nvidia.com/gpu' } })))).toThrow(
      /device-plugin\.devices must be a list/,
    );
  });

  it('pylon ssl and alert-manager settings', () => {
    expect(pylonSsl(ctx({ pylon: {} }))).toBeUndefined();
    expect(pylonSsl(ctx({ pylon: { ssl: {} } }))).toBeUndefined();
    expect(pylonSsl(ctx({ pylon: { ssl: { crt_path: '/a/c.crt', key_path: '/a/c.key' } } }))).toEqual({
      crtPath: '/a/c.crt',
      keyPath: '/a/c.key',
    });
    expect(() => pylonSsl(ctx({ pylon: { ssl: { crt_path: '/a' } } }))).toThrow(/pylon\.ssl\.key_path is missing/);
    const am = (handler: Record<string, unknown>, actions: string[]) => ({
      'alert-manager': { 'alert-handler': handler, 'actions-available': actions, 'cluster-utilization': {} },
    });
    expect(alertManagerSettings(ctx(am({ configured: false }, ['email-admin']))).emailTemplates).toBeUndefined();
    expect(alertManagerSettings(ctx(am({ configured: true }, ['cordon-nodes']))).emailTemplates).toBeUndefined();
    expect(alertManagerSettings(ctx(am({ configured: true }, ['email-admin']))).emailTemplates).toBe('from-folder');
    expect(
      alertManagerSettings(ctx(am({ configured: true, 'email-configs': { templates: ['a'] } }, ['email-admin'])))
        .emailTemplates,
    ).toEqual(['a']);
  });
});

describe('manifests', () => {
  it('parses documents in order, skips empty ones, unpacks Lists, makes namespaces explicit', () => {
    const text = [
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n',
      '# rendered away\n',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: cr}\n- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: {name: ds, namespace: kube-system}\n',
    ].join('---\n');
    const objects = parseObjects('svc', 'x.yaml', text);
    expect(objects.map(refIn)).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'cr' },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', namespace: 'kube-system' },
    ]);
    expect(
      objects
        .map(refIn)
        .filter(isWorkload)
        .map((ref) => ref.name),
    ).toEqual(['ds']);
  });

  it('errors name the service, the file and the document', () => {
    expect(() => parseObjects('svc', 'bad.yaml', 'kind: [\n')).toThrow(ServiceFileError);
    expect(() => parseObjects('svc', 'bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n')).toThrow(
      /svc: deploy\/bad\.yaml: document 1 \(ConfigMap\) has no metadata\.name/,
    );
    expect(() => refsOf({ service: 'svc', files: memoryFiles({}) }, 'gone.yaml')).toThrow(
      /deploy\/gone\.yaml: is missing from the deploy folder/,
    );
  });
});

describe('ConfigMaps from folders', () => {
  const files = memoryFiles({
    'conf/b.conf': 'b\n',
    'conf/a.conf.template': '{{ a }}',
    'conf/a.conf': 'a rendered\n',
    'conf/runtime.tmpl.template': 'kept: rendered at run time by the service itself',
    'conf/sub/deeper': 'not taken',
    'other.yaml': 'x',
  });
  const c = { service: 'svc', files };

  it('takes the files directly in the folder, drops templates paictl rendered, sorts by name', () => {
    expect(folderFiles(c, 'conf').map(([name]) => name)).toEqual(['a.conf', 'b.conf', 'runtime.tmpl.template']);
    const cm = configMapFromFolder(c, 'conf-cm', 'conf/');
    expect(cm).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'conf-cm', namespace: 'default' },
      data: {
        'a.conf': 'a rendered\n',
        'b.conf': 'b\n',
        'runtime.tmpl.template': 'kept: rendered at run time by the service itself',
      },
    });
  });

  it('include, transform, namespace, empty folders', () => {
    const cm = configMapFromFolder(c, 'x', 'conf', {
      namespace: 'kube-system',
      include: (name) => name.endsWith('.conf'),
      transform: (text) => text.toUpperCase(),
    });
    expect(cm.metadata.namespace).toBe('kube-system');
    expect(cm['data']).toEqual({ 'a.conf': 'A RENDERED\n', 'b.conf': 'B\n' });
    expect(() => configMapFromFolder(c, 'x', 'empty')).toThrow(/deploy\/empty: has no files for ConfigMap x/);
    expect(configMapFromFolder(c, 'x', 'empty', { allowEmpty: true })['data']).toEqual({});
  });

  it('named files with chosen keys; invalid keys refused', () => {
    expect(configMapFromFiles(c, 'named', [{ key: 'k-1.conf', path: 'conf/b.conf' }])['data']).toEqual({
      'k-1.conf': 'b\n',
    });
    expect(() => configMapFromFiles(c, 'named', [{ key: 'a b', path: 'conf/b.conf' }])).toThrow(
      /cannot be a ConfigMap key/,
    );
    expect(() => configMapFromFiles(c, 'named', [{ key: 'k', path: 'nope' }])).toThrow(ServiceFileError);
    expect(isConfigMapKey('.')).toBe(false);
    expect(isConfigMapKey('PAI.VERSION')).toBe(true);
  });

  it.skipIf(!has('kubectl'))('matches kubectl create configmap --from-file=DIR/ on the same folder', () => {
    const dir = join(temp, 'kubectl-folder');
    mkdirSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dir, 'rules.yml'), 'groups:\n- name: x\n');
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'unicode.txt'), 'grüße ✓\n');
    writeFileSync(join(dir, 'nested', 'skipped'), 'kubectl does not descend');
    const disk: ServiceFiles = {
      read: (path) => readFileSync(join(temp, path), 'utf8'),
      list: (sub) =>
        walk(join(temp, sub ?? ''))
          .map((file) => relative(temp, file))
          .sort(),
      readService: () => undefined,
    };
    const ours = configMapFromFolder({ service: 'svc', files: disk }, 'cm', 'kubectl-folder');
    const theirs = JSON.parse(
      execFileSync('kubectl', ['create', 'configmap', 'cm', `--from-file=${dir}/`, '--dry-run=client', '-o', 'json'], {
        encoding: 'utf8',
      }),
    ) as { data: Record<string, string> };
    expect(ours['data']).toEqual(theirs.data);
  });

  it('minifies JSON as minify.py did (separators without spaces, non-ASCII escaped)', () => {
    const text = '{\n  "title": "Clusterview ✓",\n  "panels": [ { "id": 1, "x": 0.5 } ],\n  "empty": {}\n}\n';
    expect(minifyJson(text)).toBe('{"title":"Clusterview \\u2713","panels":[{"id":1,"x":0.5}],"empty":{}}');
  });

  it.skipIf(!has('python3'))('minifies like Python json.dumps(separators=(",", ":"))', () => {
    const text = JSON.stringify({ a: ['é', 'ü', { b: null, c: true, d: 'x"y\\z\n' }], long: 'ü'.repeat(3) }, null, 2);
    const python = execFileSync(
      'python3',
      ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), separators=(",", ":")))'],
      { input: text, encoding: 'utf8' },
    );
    expect(minifyJson(text)).toBe(python);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe('registry secrets', () => {
  it('files Docker Hub under its v1 index URL, others under their domain', () => {
    for (const domain of ['docker.io', 'public', '', 'index.docker.io'])
      expect(registryServer(domain)).toBe(DOCKER_HUB_SERVER);
    expect(registryServer('myreg.azurecr.io')).toBe('myreg.azurecr.io');
    expect(registryServer('10.0.0.1:5000')).toBe('10.0.0.1:5000');
  });

  it('writes the docker config document docker login would have: auths with auth = base64(user:pass)', () => {
    const json = JSON.parse(dockerConfigJson({ server: 'r.io', username: 'u', password: 'p:w' })) as {
      auths: Record<string, { username: string; password: string; auth: string }>;
    };
    expect(json.auths['r.io']).toEqual({
      username: 'u',
      password: 'p:w',
      auth: Buffer.from('u:p:w').toString('base64'),
    });
    expect(dockerConfigJson(undefined)).toBe('{}');
  });

  it('one secret in default and one in kube-system, of type kubernetes.io/dockerconfigjson', () => {
    const secrets = registrySecrets({
      domain: 'docker.io',
      secretName: 'pai-secret',
      credentials: { username: 'alice', password: 'pw' },
    });
    expect(secrets.map((s) => [s.metadata.namespace, s.metadata.name, s['type']])).toEqual([
      ['default', 'pai-secret', 'kubernetes.io/dockerconfigjson'],
      ['kube-system', 'pai-secret', 'kubernetes.io/dockerconfigjson'],
    ]);
    const data = secrets[0]!['data'] as Record<string, string>;
    expect(JSON.parse(decode(data['.dockerconfigjson']))).toEqual({
      auths: {
        [DOCKER_HUB_SERVER]: { username: 'alice', password: 'pw', auth: Buffer.from('alice:pw').toString('base64') },
      },
    });
    const anonymous = registrySecrets({ domain: 'docker.io', secretName: 's', credentials: undefined });
    expect(decode((anonymous[1]!['data'] as Record<string, string>)['.dockerconfigjson'])).toBe('{}');
  });
});

describe('job SSH key pair', () => {
  const pair = generateSshKeyPair({ bits: 2048 });

  it('is an RSA pair: PKCS#1 PEM private key, ssh-rsa public key line, matching', () => {
    expect(pair.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
    expect(pair.publicKey).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+ job-ssh-secret@pai-deploy\n$/);
    const derived = opensshPublicKey(createPublicKey(createPrivateKey(pair.privateKey)));
    expect(`${derived} job-ssh-secret@pai-deploy\n`).toBe(pair.publicKey);
  });

  it('a new pair every time (the recipe makes one only when the secret is missing)', () => {
    expect(generateSshKeyPair({ bits: 2048 }).publicKey).not.toBe(pair.publicKey);
  });

  it.skipIf(!has('ssh-keygen'))('ssh-keygen -y derives the same public key from the private key', () => {
    const file = join(temp, 'id_rsa');
    writeFileSync(file, pair.privateKey, { mode: 0o600 });
    chmodSync(file, 0o600);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim().split(' ');
    expect(derived.slice(0, 2)).toEqual(pair.publicKey.trim().split(' ').slice(0, 2));
    // and the key is the size asked for
    writeFileSync(join(temp, 'id_rsa.pub'), pair.publicKey);
    expect(execFileSync('ssh-keygen', ['-l', '-f', join(temp, 'id_rsa.pub')], { encoding: 'utf8' })).toMatch(/^2048 /);
  });

  it("is stored as OpenPAI's secret-create.sh stored it: job-ssh-secret, ssh-privatekey and ssh-publickey", () => {
    const secret = jobSshSecret(pair);
    expect(secret.metadata).toEqual({ name: 'job-ssh-secret', namespace: 'default' });
    expect(JOB_SSH_SECRET_REF).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      name: 'job-ssh-secret',
      namespace: 'default',
    });
    const data = secret['data'] as Record<string, string>;
    expect(Object.keys(data)).toEqual(['ssh-privatekey', 'ssh-publickey']);
    expect(decode(data['ssh-privatekey'])).toBe(pair.privateKey);
    expect(decode(data['ssh-publickey'])).toBe(pair.publicKey);
  });
});

describe('cluster objects', () => {
  it('priority classes with the values of OpenPAI v1.8.0', () => {
    expect(paiDaemonPriority()).toMatchObject({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'pai-daemon-priority' },
      value: 1000000,
      globalDefault: false,
    });
    expect(paiJobMinimalPriority()).toMatchObject({
      metadata: { name: 'pai-job-minimal-priority' },
      value: -1100000000,
    });
  });

  it('version ConfigMaps hold the version files byte for byte', () => {
    expect(versionConfigMaps().map((cm) => [cm.metadata.name, cm['data']])).toEqual([
      ['pai-version', { 'PAI.VERSION': 'v1.8.0\n' }],
      ['k8s-version', { 'K8S.VERSION': 'v1.7.0-1.15.x' }],
    ]);
    expect(namespace('pai-storage')).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'pai-storage' },
    });
  });
});

describe('device plugins shipped with pai-deploy', () => {
  it('each manifest parses into the objects OpenPAI named, in kube-system, with the socket directory mounted', () => {
    const names = DEVICE_PLUGINS.map((plugin) =>
      devicePluginObjects(plugin).map(
        (object) => `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`,
      ),
    );
    expect(names).toEqual([
      ['DaemonSet/kube-system/nvidia-device-plugin-daemonset'],
      ['DaemonSet/kube-system/amdgpu-device-plugin-daemonset'],
      ['DaemonSet/kube-system/enflame-device-plugin-daemonset'],
      ['ConfigMap/kube-system/rdma-devices', 'DaemonSet/kube-system/rdma-sriov-dp-ds'],
    ]);
    for (const plugin of DEVICE_PLUGINS) {
      for (const ds of devicePluginObjects(plugin).filter((object) => object.kind === 'DaemonSet')) {
        const spec = ds['spec'] as {
          selector: { matchLabels: Record<string, string> };
          template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
        };
        expect(ds.apiVersion).toBe('apps/v1');
        // apps/v1 requires a selector matching the template's labels
        expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
        const pod = spec.template.spec as {
          priorityClassName: string;
          tolerations: Array<{ key: string }>;
          volumes: Array<{ name: string; hostPath?: { path: string } }>;
          containers: Array<{ image: string; volumeMounts: Array<{ name: string; mountPath: string }> }>;
        };
        expect(pod.priorityClassName).toBe('system-node-critical');
        expect(pod.tolerations.map((t) => t.key)).toContain('CriticalAddonsOnly');
        const socketVolume = pod.volumes.find((v) => v.hostPath?.path === '/var/lib/kubelet/device-plugins');
        expect(socketVolume).toBeDefined();
        expect(pod.containers[0]!.volumeMounts).toContainEqual({
          name: socketVolume!.name,
          mountPath: '/var/lib/kubelet/device-plugins',
        });
      }
    }
  });

  it('images as the vendors published them (OpenPAI applied their manifests unchanged: no registry prefix)', () => {
    const images = DEVICE_PLUGINS.flatMap((plugin) =>
      devicePluginObjects(plugin)
        .filter((object) => object.kind === 'DaemonSet')
        .map(
          (ds) =>
            (ds['spec'] as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
              .containers[0]!.image,
        ),
    );
    expect(images).toEqual([
      'nvidia/k8s-device-plugin:1.0.0-beta4',
      'rocm/k8s-device-plugin:latest',
      'enflame/k8s-device-plugin:latest',
      'rdma/k8s-rdma-sriov-dev-plugin:latest',
    ]);
  });

  it("the NVIDIA plugin tolerates GPU nodes' taint", () => {
    const ds = devicePluginObjects(DEVICE_PLUGINS[0]!)[0]!;
    const yaml = parse(JSON.stringify(ds)) as { spec: { template: { spec: { tolerations: unknown[] } } } };
    expect(yaml.spec.template.spec.tolerations).toContainEqual({
      key: 'nvidia.com/gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  });

  it("chosen by device type, in OpenPAI's order, RDMA after the tree's host-device plugin", () => {
    const pick = (devices: string[]) => {
      const { before, after } = devicePluginsFor(devices);
      return [before.map((p) => p.deviceType), after.map((p) => p.deviceType)];
    };
    expect(pick(['nvidia.com/gpu'])).toEqual([['nvidia.com/gpu'], []]);
    expect(pick(['rdma/hca', 'enflame.com/dtu', 'nvidia.com/gpu', 'amd.com/gpu'])).toEqual([
      ['nvidia.com/gpu', 'amd.com/gpu', 'enflame.com/dtu'],
      ['rdma/hca'],
    ]);
    expect(pick([])).toEqual([[], []]);
    expect(unsupportedDeviceTypes(['nvidia.com/gpu', 'example.com/npu'])).toEqual(['example.com/npu']);
  });
});
