import { describe, expect, it } from 'vitest';
import { deviceLabelValue, labelChange } from '../../src/cluster/node-labels.js';
import { checkNodes, nodeView } from '../../src/cluster/nodes.js';
import { planPush, pulledFiles, UnsafeConfigKeyError } from '../../src/cluster/stored-config.js';
import type { Layout, Machine } from '../../src/model/cluster.js';
import type { KubeObject } from '../../src/ports/kube-api.js';

const machine = (hostname: string): Machine =>
  ({ hostname, ip: '10.0.0.1', machineType: 'm', master: false, worker: true, storage: false }) as Machine;
const layout = (...hostnames: string[]): Layout =>
  ({ kubernetes: undefined, skus: new Map(), machines: hostnames.map(machine) }) as Layout;

function node(name: string, conditions: Array<Record<string, string>>, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec, status: { conditions } };
}

describe('node readiness', () => {
  it('says why a node is not Ready, from its Ready condition, and what else is wrong with a Ready one', () => {
    expect(
      nodeView(
        node('a', [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' }]),
      ).readyDetail,
    ).toBe('Ready=False (KubeletNotReady): PLEG is not healthy');
    expect(nodeView(node('b', [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }])).readyDetail).toBe(
      'Ready=Unknown (NodeStatusUnknown)',
    );
    expect(nodeView(node('c', [])).readyDetail).toMatch(/no Ready condition/);
    const pressured = nodeView(
      node(
        'd',
        [
          { type: 'Ready', status: 'True' },
          { type: 'DiskPressure', status: 'True', message: 'ephemeral storage low' },
          { type: 'MemoryPressure', status: 'False' },
        ],
        { unschedulable: true },
      ),
    );
    expect(pressured).toMatchObject({
      ready: true,
      problems: ['DiskPressure: ephemeral storage low'],
      unschedulable: true,
    });
  });

  it('sorts layout machines into ready, missing, not ready and degraded, and names the nodes it does not know', () => {
    const nodes = [
      nodeView(node('w1', [{ type: 'Ready', status: 'True' }])),
      nodeView(node('w2', [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }])),
      nodeView(node('w4', [{ type: 'Ready', status: 'True' }], { unschedulable: true })),
      nodeView(node('extra', [{ type: 'Ready', status: 'True' }])),
    ];
    expect(checkNodes(layout('w1', 'w2', 'w3', 'w4'), nodes)).toEqual({
      ready: ['w1', 'w4'],
      missing: ['w3'],
      notReady: [{ name: 'w2', why: 'Ready=False (KubeletNotReady)' }],
      degraded: [{ name: 'w4', why: 'cordoned (unschedulable)' }],
      unknown: ['extra'],
    });
  });
});

describe('node labels', () => {
  it('sets what differs, removes managed labels the layout no longer gives, and leaves the rest alone', () => {
    expect(
      labelChange({ 'pai-master': 'true', 'no-nodeexporter': 'true', 'pai-worker': 'false' }, { 'pai-worker': 'true' }),
    ).toEqual({
      'pai-master': null,
      'pai-worker': 'true',
    });
    expect(labelChange({ 'pai-worker': 'true', other: 'x' }, { 'pai-worker': 'true' })).toBeUndefined();
  });

  it('spells a device type as a label value', () => {
    expect(deviceLabelValue('nvidia.com/gpu')).toBe('nvidia.com_gpu');
    expect(deviceLabelValue('enflame.com/dtu')).toBe('enflame.com_dtu');
    expect(deviceLabelValue('weird type!/x')).toBe('weird-type-_x');
    expect(deviceLabelValue(`a${'b'.repeat(80)}`)).toHaveLength(63);
  });
});

describe('the stored configuration', () => {
  it('plans a push as added / changed / unchanged keys, keeps the others, and names the cluster when it differs', () => {
    const stored = {
      clusterId: 'pai',
      files: { 'layout.yaml': 'a', 'config.yaml': 'b', 'legacy.yaml': 'c' },
      resourceVersion: '7',
    };
    expect(planPush(stored, { 'layout.yaml': 'a', 'config.yaml': 'B', 'new.yaml': 'n' }, 'pai')).toEqual({
      keys: { 'layout.yaml': 'unchanged', 'config.yaml': 'changed', 'new.yaml': 'added' },
      kept: ['legacy.yaml'],
      storedId: 'pai',
      writesId: false,
    });
    expect(planPush({ clusterId: undefined, files: {}, resourceVersion: undefined }, {}, 'lab').writesId).toBe(true);
  });

  it('pulls every key as a 0600 file and refuses a key that is not a plain file name', () => {
    const files = pulledFiles({ clusterId: 'pai', files: { 'z.yaml': '1', 'a.yaml': '2' }, resourceVersion: '1' });
    expect(files.map((file) => [file.path, file.mode])).toEqual([
      ['a.yaml', 0o600],
      ['z.yaml', 0o600],
    ]);
    for (const key of ['../escape', '.hidden', 'dir/file', '..']) {
      expect(() => pulledFiles({ clusterId: 'pai', files: { [key]: 'x' }, resourceVersion: '1' })).toThrow(
        UnsafeConfigKeyError,
      );
    }
  });
});
