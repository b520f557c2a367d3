import type { Layout } from '../model/cluster.js';
import type { KubeApi } from '../ports/kube-api.js';
import { desiredLabels, labelChange, type LabelChange } from './node-labels.js';
import type { NodeCheck, NodeView } from './nodes.js';
import { readStoredConfig } from './stored-config.js';

/** Device resources a node advertises (device plugins' extended resources, as OpenPAI's layouts name them). */
const DEVICE_RESOURCES = ['nvidia.com/gpu', 'amd.com/gpu', 'enflame.com/dtu'];

export interface NodeStatus {
  name: string;
  inLayout: boolean;
  ready: boolean;
  why: string | undefined;
  /** pai-master / pai-worker / pai-storage labels that are `true`. */
  roles: string[];
  /** Allocatable devices by resource name (only those present). */
  devices: Record<string, number>;
  kubeletVersion: string | undefined;
  /** What `cluster label` would change on this node (layout machines only). */
  labelDrift: LabelChange | undefined;
}

export interface ClusterStatus {
  server: string;
  version: string;
  nodes: NodeStatus[];
  /** Layout machines without a node. */
  missing: string[];
  stored: {
    clusterId: string | undefined;
    /** ConfigMap pai-version's PAI.VERSION: the OpenPAI release the services were started from. */
    release: string | undefined;
    keys: string[];
    /** For each file pai-deploy pushes: whether the stored copy differs from the local one (absent = not stored). */
    differs: Record<string, boolean | 'absent'>;
  };
}

export async function clusterStatus(
  api: KubeApi,
  version: string,
  layout: Layout,
  nodes: readonly NodeView[],
  check: NodeCheck,
  localFiles: Record<string, string>,
  signal: AbortSignal,
): Promise<ClusterStatus> {
  const [stored, versionMap] = await Promise.all([
    readStoredConfig(api, signal),
    api.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'pai-version', namespace: 'default' }, signal),
  ]);
  const machines = new Map(layout.machines.map((machine) => [machine.hostname, machine]));
  const nodeStatus = nodes.map((node): NodeStatus => {
    const machine = machines.get(node.name);
    const devices: Record<string, number> = {};
    for (const resource of DEVICE_RESOURCES) {
      const value = node.allocatable[resource];
      if (value !== undefined) devices[resource] = Number.parseInt(value, 10) || 0;
    }
    return {
      name: node.name,
      inLayout: machine !== undefined,
      ready: node.ready,
      why: node.readyDetail,
      roles: ['pai-master', 'pai-worker', 'pai-storage'].filter((label) => node.labels[label] === 'true'),
      devices,
      kubeletVersion: node.kubeletVersion,
      labelDrift: machine ? labelChange(node.labels, desiredLabels(layout, machine)) : undefined,
    };
  });
  const differs: Record<string, boolean | 'absent'> = {};
  for (const [key, text] of Object.entries(localFiles)) {
    differs[key] = key in stored.files ? stored.files[key] !== text : 'absent';
  }
  const versionData = (versionMap?.['data'] ?? {}) as Record<string, string>;
  return {
    server: api.server,
    version,
    nodes: nodeStatus,
    missing: check.missing,
    stored: {
      clusterId: stored.clusterId,
      // OpenPAI's version file ends with a newline, and the ConfigMap keeps it.
      release: versionData['PAI.VERSION']?.trim(),
      keys: Object.keys(stored.files).sort(),
      differs,
    },
  };
}
