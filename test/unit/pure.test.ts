import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../src/model/cluster.js';
import { normalizeConfig } from '../../src/config/normalize-config.js';
import { didYouMean } from '../../src/findings/did-you-mean.js';
import { parseQuantity } from '../../src/config/quantity.js';
import { computeEffectiveVars } from '../../src/kubespray/effective-vars.js';
import {
  cidrContains,
  cidrsOverlap,
  isNetworkRange,
  parseCidr,
  parseIp,
  parseIpv4,
  unusableHostAddress,
} from '../../src/net/ip.js';
import { planServices, serviceCatalog } from '../../src/openpai/service-catalog.js';
import { checkKubesprayGroups } from '../../src/rules/kubespray-rules.js';
import { FindingSink } from '../../src/findings/sink.js';

const nowhere = { file: 'x', locate: () => ({ file: 'x', line: 1, column: 1 }) };

describe('IP and CIDR arithmetic', () => {
  it('parses strict IPv4 and IPv6', () => {
    expect(parseIpv4('10.0.0.1')?.value).toBe(0x0a000001n);
    for (const bad of ['10.0.0', '10.0.0.1.2', '256.0.0.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', 'a.b.c.d'])
      expect(parseIpv4(bad)).toBeUndefined();
    expect(parseIp('fd00::1')?.value).toBe((0xfd00n << 112n) | 1n);
    expect(parseIp('::ffff:10.0.0.1')?.value).toBe((0xffffn << 32n) | 0x0a000001n);
    expect(parseIp('1::2::3')).toBeUndefined();
  });
  it('decides network ranges as Ansible ipaddr("net") does', () => {
    expect(isNetworkRange(parseCidr('10.233.0.0/18')!)).toBe(true);
    expect(isNetworkRange(parseCidr('10.233.0.5/18')!)).toBe(false);
    expect(isNetworkRange(parseCidr('10.233.0.0/32')!)).toBe(false);
    expect(parseCidr('10.233.0.0')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(isNetworkRange(parseCidr('fd00:10::/64')!)).toBe(true);
  });
  it('tells containment from overlap', () => {
    const services = parseCidr('10.192.0.0/13')!;
    expect(cidrContains(services, parseCidr('10.193.0.0/16')!)).toBe(true);
    expect(cidrContains(parseCidr('10.193.0.0/16')!, services)).toBe(false);
    expect(cidrsOverlap(parseCidr('10.193.0.0/16')!, services)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.200.0.0/13')!, services)).toBe(false);
  });
  it('names unusable host addresses', () => {
    expect(unusableHostAddress(parseIp('127.0.0.1')!)).toMatch(/loopback/);
    expect(unusableHostAddress(parseIp('239.1.1.1')!)).toMatch(/multicast/);
    expect(unusableHostAddress(parseIp('0.1.2.3')!)).toMatch(/this network/);
    expect(unusableHostAddress(parseIp('255.255.255.255')!)).toMatch(/broadcast/);
    expect(unusableHostAddress(parseIp('169.254.1.1')!)).toMatch(/link-local/);
    expect(unusableHostAddress(parseIp('10.0.0.1')!)).toBeUndefined();
  });
});

describe('Kubernetes quantities', () => {
  it('parses binary, decimal and exponent suffixes', () => {
    expect(parseQuantity('60Gi')).toBe(60 * 2 ** 30);
    expect(parseQuantity('500M')).toBe(5e8);
    expect(parseQuantity('1.5e9')).toBe(1.5e9);
    expect(parseQuantity('128974848')).toBe(128974848);
    for (const bad of ['60 Gi', '60GB', 'Gi', '', ' 1Gi']) expect(parseQuantity(bad)).toBeUndefined();
  });
});

describe('did you mean', () => {
  it('suggests close names and stays quiet otherwise', () => {
    expect(didYouMean('machine_type', ['hostname', 'machine-type'])).toBe('machine-type');
    expect(didYouMean('kube_proxy_mod', ['kube_proxy_mode', 'kube_version'])).toBe('kube_proxy_mode');
    expect(didYouMean('hsotname', ['hostname', 'hostip'])).toBe('hostname');
    expect(didYouMean('completely_different', ['hostname', 'hostip'])).toBeUndefined();
  });
});

/** A typed config from raw config.yaml values, as the loader builds it. */
function configOf(raw: Record<string, unknown>) {
  return normalizeConfig(raw, '/', '', new FindingSink({ layoutSource: nowhere, configSource: nowhere }));
}

describe('effective kubespray variables', () => {
  it('layers kubespray defaults < OpenPAI defaults < config < extra vars', () => {
    const vars = computeEffectiveVars(
      configOf({
        openpai_kube_network_plugin: 'weave',
        openpai_kubespray_extra_var: { kube_pods_subnet: '10.1.0.0/16' },
      }),
    );
    expect(vars.get('kube_version')).toMatchObject({ value: 'v1.15.11', layer: 'kubespray-default' });
    expect(vars.get('kube_service_addresses')).toMatchObject({ value: '10.192.0.0/13', layer: 'openpai-default' });
    expect(vars.get('docker_dns_servers_strict')).toMatchObject({ value: false, layer: 'openpai-default' });
    expect(vars.get('kube_network_plugin')).toMatchObject({
      value: 'weave',
      layer: 'config',
      configPath: ['openpai_kube_network_plugin'],
    });
    expect(vars.get('kube_pods_subnet')).toMatchObject({
      value: '10.1.0.0/16',
      layer: 'extra-var',
      configPath: ['openpai_kubespray_extra_var', 'kube_pods_subnet'],
    });
  });
});

describe('kubespray group assertions on an inventory', () => {
  const vars = computeEffectiveVars(configOf({ openpai_kubespray_extra_var: {} }));
  const run = (groups: Parameters<typeof checkKubesprayGroups>[0], extra: Record<string, unknown> = {}) => {
    const sink = new FindingSink({ layoutSource: nowhere, configSource: nowhere });
    checkKubesprayGroups(
      groups,
      extra['cluster_id'] ? computeEffectiveVars(configOf({ openpai_kubespray_extra_var: extra })) : vars,
      sink,
    );
    return sink.findings.map((finding) => finding.code);
  };
  const groups = {
    'kube-master': ['m'],
    'kube-node': ['m', 'w'],
    etcd: ['m'],
    'calico-rr': [],
    gpu: ['w'],
    devices: new Map(),
  };
  it('accepts OpenPAI groups', () => expect(run(groups)).toEqual([]));
  it('rejects an even etcd group', () => expect(run({ ...groups, etcd: ['m', 'w'] })).toEqual(['etcd-even']));
  it('rejects empty groups', () => expect(run({ ...groups, 'kube-node': [] })).toEqual(['kubespray-empty-group']));
  it('needs cluster_id for calico route reflectors, and them inside k8s-cluster', () => {
    expect(run({ ...groups, 'calico-rr': ['rr'] })).toEqual(['calico-rr-cluster-id', 'calico-rr-outside-cluster']);
    expect(run({ ...groups, 'calico-rr': ['w'] }, { cluster_id: '1.0.0.1' })).toEqual([]);
  });
});

describe('OpenPAI service start order', () => {
  const input = (config: Record<string, unknown>, storage = false) =>
    ({
      config: configOf(config),
      layout: { machines: [{ storage }], skus: new Map(), kubernetes: undefined },
    }) as unknown as ClusterSpec;
  it('starts every service after its prerequisites, deterministically', () => {
    const plan = planServices(input({ enable_docker_cache: true }, true));
    const position = new Map(plan.layers.flatMap((layer, index) => layer.map((name) => [name, index] as const)));
    for (const spec of serviceCatalog) {
      if (!position.has(spec.name)) continue;
      for (const prerequisite of spec.prerequisites) {
        if (position.has(prerequisite)) expect(position.get(prerequisite)!).toBeLessThan(position.get(spec.name)!);
      }
    }
    expect(plan.layers[0]).toEqual(['cluster-configuration']);
    expect(plan.layers.flat()).toContain('storage-manager');
    expect(planServices(input({ enable_docker_cache: true }, true))).toEqual(plan);
  });
  it('keeps ordering through a skipped prerequisite and skips what the config turns off', () => {
    const plan = planServices(input({ enable_hived_scheduler: false }));
    const flat = plan.layers.flat();
    expect(flat.indexOf('cluster-configuration')).toBeLessThan(flat.indexOf('k8s-dashboard'));
    expect(plan.layers[0]).toEqual(['cluster-configuration']);
    expect(plan.skipped.map((s) => s.name)).toEqual(
      expect.arrayContaining(['docker-cache', 'hivedscheduler', 'storage-manager']),
    );
    expect(flat).not.toContain('hivedscheduler');
  });
  it('refuses a dependency cycle', () => {
    expect(() =>
      planServices(input({}), [
        { name: 'a', prerequisites: ['b'] },
        { name: 'b', prerequisites: ['a'] },
      ]),
    ).toThrow(/cycle/);
  });
});

describe('the fast YAML emitter', () => {
  it('round-trips through YAML 1.1 and 1.2 readers for awkward scalars', async () => {
    const { emitYaml } = await import('../../src/render/yaml-emit.js');
    const { parse } = await import('yaml');
    const awkward = [
      'yes',
      'No',
      'on',
      'OFF',
      'y',
      'n',
      '~',
      'null',
      '0755',
      '0x1F',
      '1e3',
      '1_000',
      '12:30:00',
      '2001-12-14',
      '10.0',
      '.5',
      '-1',
      '+1',
      '',
      ' lead',
      'trail ',
      'a: b',
      'a #b',
      '#c',
      '- x',
      '[x]',
      '{x}',
      '*a',
      '&a',
      '!t',
      '|',
      '>',
      '%',
      '@',
      '`',
      '"q"',
      "'s'",
      'multi\nline',
      'tab\there',
      '10.0.0.1',
      '10.0.0.0/13',
      'nvidia.com/gpu',
      'pai-master-01',
      'é',
      '=',
      '<<',
      'NaN',
      '.inf',
    ];
    const value = {
      list: awkward,
      map: Object.fromEntries(awkward.filter((s) => s !== '').map((s, i) => [s, i])),
      nested: [{ a: [], b: {} }, [1, true, null, 2.5]],
      empty: '',
    };
    const text = emitYaml(value);
    expect(parse(text, { version: '1.1' })).toEqual(value);
    expect(parse(text)).toEqual(value);
  });
});
