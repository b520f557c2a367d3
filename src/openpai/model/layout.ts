/**
 * The `layout` part of the model (paictl's mainParser/layout.py): machine-sku as written, the Kubernetes URLs,
 * and machine-list keyed by hostname. Its checks are OpenPAI's own, and lenient: any other key of a machine is
 * kept (templates still read the legacy `k8s-role`, `nodename`, `no-nodeexporter`...).
 */
import { quote } from '../../findings/finding.js';
import type { Report } from './context.js';
import { isMaster } from './parser.js';
import { pyFormat, PythonFailure, pyStr } from './python.js';
import type { LayoutModel, ModelMap, ModelValue } from './types.js';
import { clone, get, has, isMap, put } from './values.js';

/** The layout once its checks passed: its machines, and the one master's IP. */
export interface CheckedLayout {
  root: ModelMap;
  machines: ModelMap[];
  masterIp: ModelValue;
}

/** OpenPAI's validation_pre of the layout, plus the shape its code assumes (a list of mappings with hostnames). */
export function checkLayout(value: ModelValue | undefined, report: Report): CheckedLayout | undefined {
  if (!isMap(value)) {
    report.error(
      'model-layout-not-mapping',
      { file: 'layout', path: [] },
      `layout.yaml must be a mapping with machine-sku and machine-list, not ${quote(value)}`,
      'Write layout.yaml as OpenPAI v1.5+ documents it (pai-deploy render writes one).',
    );
    return undefined;
  }
  const list = get(value, 'machine-list');
  if (!Array.isArray(list)) {
    report.error(
      'model-layout-machine-list',
      { file: 'layout', path: has(value, 'machine-list') ? ['machine-list'] : [], part: 'value' },
      has(value, 'machine-list')
        ? `machine-list must be a list of machines, not ${quote(list)}`
        : 'layout.yaml has no machine-list, and OpenPAI reads it',
      'List the machines under machine-list, each with hostname, hostip, machine-type and its roles.',
    );
    return undefined;
  }
  let ok = true;
  if (!has(value, 'machine-sku')) {
    ok = false;
    report.error(
      'model-layout-machine-sku',
      { file: 'layout', path: [] },
      'layout.yaml has no machine-sku, and OpenPAI copies it into the model',
      'Describe each machine type under machine-sku (mem, cpu.vcore, computing-device).',
    );
  }
  const hosts: ModelMap[] = [];
  const indexes: number[] = [];
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  list.forEach((host, index) => {
    if (!isMap(host) || !has(host, 'hostname')) {
      ok = false;
      report.error(
        'model-machine-without-hostname',
        { file: 'layout', path: ['machine-list', index] },
        isMap(host) ? 'the machine has no hostname' : `a machine must be a mapping, not ${quote(host)}`,
        'Give every machine of machine-list a hostname (it becomes its Kubernetes node name and its key in the model).',
      );
      return;
    }
    hosts.push(host);
    indexes.push(index);
    const name = host['hostname']!;
    if (isMap(name) || Array.isArray(name)) {
      ok = false;
      report.error(
        'model-machine-hostname-type',
        { file: 'layout', path: ['machine-list', index, 'hostname'] },
        `a hostname must be a name, not ${quote(name)}`,
        'Write the hostname as a plain string.',
      );
      return;
    }
    const key = hostKey(name);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else {
      ok = false;
      if (!duplicates.includes(key)) duplicates.push(key);
      report.error(
        'model-duplicate-hostname',
        { file: 'layout', path: ['machine-list', index, 'hostname'] },
        `hostname ${quote(name)} is already used by machine-list[${first}]`,
        'Every machine needs its own hostname: OpenPAI keys machine-list by it (the later machine would replace the earlier).',
      );
    }
  });
  if (!ok) return undefined;
  flagWarnings(hosts, indexes, report);
  const masters = hosts.filter(isMaster);
  if (masters.length !== 1) {
    report.error(
      masters.length === 0 ? 'model-no-master' : 'model-several-masters',
      {
        file: 'layout',
        path: masters.length === 0 ? ['machine-list'] : ['machine-list', indexes[hosts.indexOf(masters[1]!)]!],
      },
      masters.length === 0
        ? 'no machine has pai-master: "true"'
        : `${masters.length} machines have pai-master: "true"; OpenPAI v1.8.0 supports one`,
      masters.length === 0
        ? 'Mark exactly one machine with pai-master: "true" (the string; OpenPAI compares with it).'
        : 'Keep pai-master: "true" on one machine: every service URL is built from the master\'s IP.',
    );
    return undefined;
  }
  const master = masters[0]!;
  if (!has(master, 'hostip')) {
    report.error(
      'model-master-without-hostip',
      { file: 'layout', path: ['machine-list', indexes[hosts.indexOf(master)]!] },
      'the master has no hostip, and OpenPAI builds every service URL from it',
      "Give the master its hostip (the address the cluster's machines reach it at).",
    );
    return undefined;
  }
  const ip = master['hostip']!;
  try {
    pyStr(ip, true);
  } catch (error) {
    if (!(error instanceof PythonFailure)) throw error;
    report.error(
      'model-non-ascii',
      { file: 'layout', path: ['machine-list', indexes[hosts.indexOf(master)]!, 'hostip'] },
      `the master's hostip ${quote(ip)} is not ASCII: OpenPAI's parsers fail formatting it into a URL under Python 2`,
      'Write the IP address (ASCII digits and dots).',
    );
    return undefined;
  }
  return { root: value, machines: hosts, masterIp: ip };
}

/** A role written as a YAML boolean or in capitals: OpenPAI's object model compares with the string "true". */
function flagWarnings(hosts: readonly ModelMap[], indexes: readonly number[], report: Report): void {
  hosts.forEach((host, at) => {
    for (const flag of ['pai-master', 'pai-worker'] as const) {
      const value = get(host, flag);
      const looksTrue =
        value === true || (typeof value === 'string' && value !== 'true' && value.trim().toLowerCase() === 'true');
      if (!looksTrue) continue;
      report.warning(
        'model-role-not-string-true',
        { file: 'layout', path: ['machine-list', indexes[at]!, flag] },
        `${quote(value)} is not the string "true", so OpenPAI's object model does not count this machine as ${flag === 'pai-master' ? 'the master' : 'a worker'}`,
        `Write ${flag}: "true" (quoted); pai-deploy accepts true, OpenPAI's parsers compare with the string.`,
      );
    }
  });
}

/** The text a hostname is keyed by in the model: json.dumps's, as the YAML reader keys mappings. */
function hostKey(name: ModelValue): string {
  if (typeof name === 'string') return name;
  if (typeof name === 'number' || typeof name === 'boolean' || name === null) return JSON.stringify(name);
  return pyStr(name);
}

/** OpenPAI's layout run(): the layout part of the model. */
export function layoutModel(layout: CheckedLayout): LayoutModel {
  const root = layout.root;
  let kubernetes: ModelValue;
  if (has(root, 'kubernetes')) kubernetes = clone(root['kubernetes']!);
  else {
    const url = (port: number) => pyFormat`https://${layout.masterIp}:${port}`;
    kubernetes = { 'api-servers-url': url(6443), 'dashboard-url': url(9090) };
  }
  const machineList: { [hostname: string]: ModelMap } = {};
  for (const host of layout.machines) put(machineList, hostKey(host['hostname']!), clone(host));
  return { 'machine-sku': clone(get(root, 'machine-sku') ?? null), kubernetes, 'machine-list': machineList };
}
