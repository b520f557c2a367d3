import { describe, expect, it } from 'vitest';
import { drainNode, DrainTimeoutError, evictable, evictionApiVersion } from '../../src/cluster/drain.js';
import { describeChange, diffMachines, parseStoredLayout } from '../../src/cluster/machine-diff.js';
import type { Machine } from '../../src/model/cluster.js';
import { withoutMachines } from '../../src/phase/phases/machine-remove.js';
import type { KubeApi, KubeObject } from '../../src/ports/kube-api.js';

const machine = (hostname: string, ip: string, extra: Partial<Machine> = {}): Machine => ({
  index: 0,
  hostname,
  ip,
  machineType: 'cpu',
  master: false,
  worker: true,
  storage: false,
  ...extra,
});

describe('the layout against the stored one', () => {
  it('by hostname: added, removed, changed (ip, role, sku) and kept', () => {
    const before = [
      machine('m', '10.0.0.1', { master: true, worker: false }),
      machine('a', '10.0.0.2'),
      machine('b', '10.0.0.3'),
    ];
    const after = [
      machine('m', '10.0.0.1', { master: true, worker: false }),
      machine('a', '10.0.0.9', { machineType: 'gpu' }),
      machine('c', '10.0.0.4'),
    ];
    const diff = diffMachines(before, after);
    expect(diff.added.map((m) => m.hostname)).toEqual(['c']);
    expect(diff.removed.map((m) => m.hostname)).toEqual(['b']);
    expect(diff.kept.map((m) => m.hostname)).toEqual(['m']);
    expect(diff.changed.map(describeChange)).toEqual(['a: ip 10.0.0.2 → 10.0.0.9, sku cpu → gpu']);
  });

  it('reads a stored layout with the same model, string or boolean flags', () => {
    const layout = parseStoredLayout(
      'machine-sku: {cpu: {mem: 1Gi, cpu: {vcore: 1}}}\nmachine-list:\n  - {hostname: m, hostip: 10.0.0.1, machine-type: cpu, pai-master: "true"}\n  - {hostname: w, hostip: 10.0.0.2, machine-type: cpu, pai-worker: true}\n',
    );
    expect(layout.machines.map((m) => [m.hostname, m.master, m.worker])).toEqual([
      ['m', true, false],
      ['w', false, true],
    ]);
  });
});

describe('layout.yaml without the removed machines', () => {
  it('drops their machine-list entries and keeps every comment and the rest as written', () => {
    const text = [
      '# the lab',
      'machine-sku:',
      '  cpu: {mem: 1Gi, cpu: {vcore: 1}}',
      'machine-list:',
      '  - hostname: m   # the master',
      '    hostip: 10.0.0.1',
      '    pai-master: "true"',
      '  - hostname: w1',
      '    hostip: 10.0.0.2',
      '  - hostname: w2',
      '    hostip: 10.0.0.3',
      '',
    ].join('\n');
    const out = withoutMachines(text, new Set(['w1']));
    expect(out).toContain('# the lab');
    expect(out).toBe(text.replace('  - hostname: w1\n    hostip: 10.0.0.2\n', ''));
    expect(withoutMachines(text, new Set(['w2']))).toBe(text.replace('  - hostname: w2\n    hostip: 10.0.0.3\n', ''));
    expect(withoutMachines(text, new Set())).toBe(text);
    expect(withoutMachines('machine-list: [{hostname: a}, {hostname: b}]\n', new Set(['a']))).toBe(
      'machine-list: [ { hostname: b } ]\n',
    );
  });
});

describe('drain', () => {
  const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(extra['metadata'] as object) },
    status: { phase: 'Running', ...(extra['status'] as object) },
  });

  it('moves every pod but those of DaemonSets, mirror pods and finished ones; Eviction by server version', () => {
    expect(evictable(pod('web'))).toBe(true);
    expect(evictable(pod('ds', { metadata: { ownerReferences: [{ kind: 'DaemonSet' }] } }))).toBe(false);
    expect(evictable(pod('static', { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }))).toBe(false);
    expect(evictable(pod('done', { status: { phase: 'Succeeded' } }))).toBe(false);
    expect([15, 21, 22, 36].map(evictionApiVersion)).toEqual([
      'policy/v1beta1',
      'policy/v1beta1',
      'policy/v1',
      'policy/v1',
    ]);
  });

  /** A node with pods whose evictions a budget blocks `blocked` times each before it allows them. */
  function cluster(pods: KubeObject[], blocked: number) {
    const tries = new Map<string, number>();
    const calls: string[] = [];
    let live = [...pods];
    const api = {
      server: 'https://test',
      get: async () => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' } }),
      patch: async (_ref: unknown, patch: { body: unknown }) => {
        calls.push(`patch ${JSON.stringify(patch.body)}`);
        return {} as KubeObject;
      },
      list: async () => live,
      evict: async (target: { name: string }) => {
        const n = (tries.get(target.name) ?? 0) + 1;
        tries.set(target.name, n);
        if (n <= blocked) return 'blocked' as const;
        live = live.filter((p) => p.metadata.name !== target.name);
        return 'evicted' as const;
      },
    } as unknown as KubeApi;
    return { api, calls, tries };
  }

  it('cordons, asks again while a PodDisruptionBudget blocks, and ends when the pods are gone', async () => {
    const { api, calls, tries } = cluster(
      [pod('web'), pod('ds', { metadata: { ownerReferences: [{ kind: 'DaemonSet' }] } })],
      2,
    );
    const result = await drainNode(api, 'w1', {
      timeoutMs: 5_000,
      pollMs: 1,
      signal: new AbortController().signal,
      evictionApiVersion: 'policy/v1',
    });
    expect(calls).toEqual(['patch {"spec":{"unschedulable":true}}']);
    expect(tries.get('web')).toBe(3);
    expect(tries.has('ds')).toBe(false);
    expect(result).toEqual({
      node: 'w1',
      found: true,
      evicted: ['default/web'],
      left: ['default/ds'],
      // No ownerReferences: nothing recreates it.
      unmanaged: ['default/web'],
    });
  });

  it('a budget that never allows it: a timeout naming the pods held', async () => {
    const { api } = cluster([pod('db')], Number.POSITIVE_INFINITY);
    const drained = drainNode(api, 'w1', {
      timeoutMs: 20,
      pollMs: 5,
      signal: new AbortController().signal,
      evictionApiVersion: 'policy/v1',
    });
    await expect(drained).rejects.toBeInstanceOf(DrainTimeoutError);
    await expect(drained).rejects.toThrow(/1 pod\(s\) still there, 1 held by a PodDisruptionBudget \(default\/db\)/);
  });
});
