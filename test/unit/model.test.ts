import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../../src/config/json-schema.js';
import { layoutFieldHints, layoutKnownKeys } from '../../src/config/layout-schema.js';
import { normalizeConfig } from '../../src/config/normalize-config.js';
import { FindingSink } from '../../src/findings/sink.js';
import { selectByLimit } from '../../src/model/limit.js';
import { UsageError } from '../../src/errors.js';

const nowhere = { file: 'config.yaml', locate: () => ({ file: 'config.yaml', line: 1, column: 1 }) };

function normalize(raw: Record<string, unknown>, dir = '/etc/pai') {
  const sink = new FindingSink({ layoutSource: nowhere, configSource: nowhere });
  return { config: normalizeConfig(raw, dir, '', sink), findings: sink.findings };
}

describe('the typed cluster config', () => {
  it('decides every default in one place', () => {
    const { config } = normalize({ user: 'pai', docker_image_tag: 'v1.8.0' });
    expect(config.clusterId).toBe('pai');
    expect(config.ssh).toEqual({ user: 'pai', port: 22, portSet: false, keyFile: undefined, password: undefined });
    expect(config.registry).toMatchObject({ domain: 'docker.io', namespace: 'openpai', tag: 'v1.8.0' });
    expect(config.hivedScheduler).toBe(true);
    expect(config.dockerCache).toEqual({ enabled: false });
    expect(config.hostDaemonPorts).toEqual({ start: 40000, end: 65535, startSet: false });
    expect(config.dockerDataRoot).toBe('/mnt/docker');
  });

  it('resolves the key path, reads "true" strings and numbers as the consumers do', () => {
    const { config, findings } = normalize({
      user: 'pai',
      docker_image_tag: 'v1.8.0',
      ssh_key_file_path: 'keys/id_ed25519',
      ssh_port: 2222,
      password: 12345,
      'qos-switch': 'True',
      enable_marketplace: true,
      cluster_id: 'gpu-east',
    });
    expect(config.ssh.keyFile).toEqual({ asWritten: 'keys/id_ed25519', path: '/etc/pai/keys/id_ed25519' });
    expect(config.ssh).toMatchObject({ port: 2222, portSet: true, password: '12345' });
    expect(config.qosSwitch).toBe(true);
    expect(config.marketplace).toBe(true);
    expect(config.clusterId).toBe('gpu-east');
    expect(findings).toEqual([]);
  });

  it('reports a flag that is neither true nor false, and falls back to the default for a wrong type', () => {
    const { config, findings } = normalize({
      user: 'pai',
      docker_image_tag: 'v1.8.0',
      'qos-switch': 'yes',
      ssh_port: 'twenty-two',
    });
    expect(findings.map((finding) => finding.code)).toEqual(['invalid-flag']);
    expect(config.qosSwitch).toBe(false);
    expect(config.ssh.port).toBe(22);
    expect(config.ssh.portSet).toBe(false);
  });

  it('knows the docker cache backend and whether it was named', () => {
    expect(normalize({ enable_docker_cache: true }).config.dockerCache).toMatchObject({
      enabled: true,
      backendSet: false,
      storage: { backend: 'azure', accountName: '', containerName: 'dockerregistry' },
    });
    expect(
      normalize({ enable_docker_cache: true, docker_cache_storage_backend: 'filesystem', docker_cache_htpasswd: 'x' })
        .config.dockerCache,
    ).toMatchObject({
      backendSet: true,
      storage: { backend: 'filesystem', mountPath: '/var/lib/registry' },
      htpasswd: 'x',
    });
  });

  it('lists the kubespray variables config.yaml sets, extra vars last, with the field behind each', () => {
    const { config } = normalize({
      openpai_kube_network_plugin: 'weave',
      kubelet_custom_flags: { 'serialize-image-pulls': 'false' },
      openpai_kubespray_extra_var: { kube_proxy_mode: 'iptables' },
    });
    expect(config.kubespray).toEqual([
      { name: 'kube_network_plugin', value: 'weave', layer: 'config', configPath: ['openpai_kube_network_plugin'] },
      {
        name: 'kubelet_custom_flags',
        value: ['--serialize-image-pulls=false'],
        layer: 'config',
        configPath: ['kubelet_custom_flags'],
      },
      {
        name: 'kube_proxy_mode',
        value: 'iptables',
        layer: 'extra-var',
        configPath: ['openpai_kubespray_extra_var', 'kube_proxy_mode'],
      },
    ]);
    expect(normalize({ openpai_kubespray_extra_var: { ansible_become_password: 'x' } }).config.holdsSecret).toBe(true);
    expect(normalize({ user: 'pai' }).config.holdsSecret).toBe(false);
  });
});

describe('the layout schema', () => {
  it('is the source of the known keys and the hints', () => {
    expect(layoutKnownKeys['machine-list[]']).toEqual([
      'hostname',
      'hostip',
      'machine-type',
      'pai-master',
      'pai-worker',
      'pai-storage',
    ]);
    expect(layoutKnownKeys['machine-sku.*.computing-device']).toEqual(['type', 'model', 'count']);
    expect(layoutFieldHints['machine-sku.*.mem']).toMatch(/quantity/);
  });
});

describe('the published JSON Schemas', () => {
  it('describe every key, with defaults, and close the fixed mappings', () => {
    const config = jsonSchema('config') as {
      properties: Record<string, { description?: string; default?: unknown }>;
      required: string[];
      additionalProperties: unknown;
    };
    expect(config.required).toEqual(['user', 'docker_image_tag']);
    expect(config.properties['ssh_port']).toMatchObject({ type: 'integer', default: 22, maximum: 65535 });
    expect(config.properties['cluster_id']?.default).toBe('pai');
    expect(Object.values(config.properties).every((property) => typeof property.description === 'string')).toBe(true);
    expect(config.additionalProperties).toBe(false);
    const layout = jsonSchema('layout') as {
      properties: Record<string, { items?: { additionalProperties?: unknown }; additionalProperties?: unknown }>;
    };
    expect(layout.properties['machine-list']?.items?.additionalProperties).toBe(false);
    // What the rules check, an editor checks as it is typed.
    type Field = { pattern?: string; enum?: unknown[] };
    const machine = (layout.properties['machine-list']?.items as { properties: Record<string, Field> }).properties;
    const matches = (field: Field | undefined, value: string) => new RegExp(field?.pattern ?? '').test(value);
    expect(matches(machine['hostname'], 'pai-gpu-01')).toBe(true);
    expect(matches(machine['hostname'], 'PAI-Worker1')).toBe(false);
    expect(matches(machine['hostip'], '10.0.0.11')).toBe(true);
    expect(matches(machine['hostip'], '10.0.0.300')).toBe(false);
    expect(machine['pai-worker']?.enum).not.toContain('yes');
    // SKU names are the user's: that mapping stays open, each SKU closed.
    expect(layout.properties['machine-sku']?.additionalProperties).toMatchObject({ additionalProperties: false });
  });
});

describe('--limit', () => {
  const machines = [
    { hostname: 'pai-master-01', ip: '10.0.0.10' },
    { hostname: 'pai-gpu-01', ip: '10.0.0.11' },
    { hostname: 'pai-gpu-02', ip: '10.0.0.12' },
  ];
  it('selects by name, IP or glob, and excludes with !', () => {
    expect(selectByLimit(machines, undefined)).toEqual(machines);
    expect(selectByLimit(machines, ['pai-gpu-*']).map((m) => m.hostname)).toEqual(['pai-gpu-01', 'pai-gpu-02']);
    expect(selectByLimit(machines, ['10.0.0.10', 'pai-gpu-02']).map((m) => m.hostname)).toEqual([
      'pai-master-01',
      'pai-gpu-02',
    ]);
    expect(selectByLimit(machines, ['!pai-master-01']).map((m) => m.hostname)).toEqual(['pai-gpu-01', 'pai-gpu-02']);
  });
  it('refuses a pattern that matches no machine, with a suggestion', () => {
    expect(() => selectByLimit(machines, ['pai-gpu-03x'])).toThrow(UsageError);
    expect(() => selectByLimit(machines, ['pai-gpu-0l'])).toThrow(/did you mean "pai-gpu-01"/);
  });
});
