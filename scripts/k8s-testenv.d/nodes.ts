import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';

/** A simulated machine. Quantities use Kubernetes notation ("16", "500m", "64Gi"). */
export interface TestNodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  /** Allocatable `nvidia.com/gpu`; omitted from the node when 0. */
  gpu?: number;
  pods?: number;
  labels?: Record<string, string>;
  /** InternalIP; default: a distinct address in AUTO_ADDRESS_PREFIX.0.0/16, by position. */
  address?: string;
}

export const NODE_DEFAULTS = { cpu: '32', memory: '128Gi', gpu: 0, pods: 110 } as const;
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const AUTO_ADDRESS_PREFIX = '10.150';

/** `pai-worker-001` … — shaped like layout hostnames. */
export function numberedNodes(count: number, prefix = 'pai-worker-'): TestNodeSpec[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}${String(i + 1).padStart(width, '0')}` }));
}

/** Distinct InternalIPs for nodes given without one: 10.150.0.1, … 10.150.0.250, 10.150.1.1, … */
export function autoAddress(index: number): string {
  if (index < 0 || index >= 250 * 256) throw new Error(`no automatic address for node #${index}`);
  return `${AUTO_ADDRESS_PREFIX}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

export function nodeManifest(spec: TestNodeSpec, index: number): V1Node {
  const resources: Record<string, string> = {
    cpu: spec.cpu ?? NODE_DEFAULTS.cpu,
    memory: spec.memory ?? NODE_DEFAULTS.memory,
    pods: String(spec.pods ?? NODE_DEFAULTS.pods),
    'ephemeral-storage': '1Ti',
  };
  const gpu = spec.gpu ?? NODE_DEFAULTS.gpu;
  if (gpu > 0) resources['nvidia.com/gpu'] = String(gpu);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...spec.labels,
      },
    },
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [
        { type: 'InternalIP', address: spec.address ?? autoAddress(index) },
        { type: 'Hostname', address: spec.name },
      ],
    },
  };
}

/** Creates the nodes (status included: the API accepts status on create) a few at a time. */
export async function createNodes(kubeconfig: KubeConfig, specs: TestNodeSpec[], concurrency = 16): Promise<void> {
  const core = kubeconfig.makeApiClient(CoreV1Api);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < specs.length; index = next++) {
      await core.createNode({ body: nodeManifest(specs[index] as TestNodeSpec, index) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
}

export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export async function waitForNodesReady(kubeconfig: KubeConfig, names: string[], timeoutMs: number): Promise<void> {
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const wanted = new Set(names);
  const deadline = Date.now() + timeoutMs;
  let notReady = names.length;
  while (Date.now() < deadline) {
    const list = await core.listNode();
    const ready = list.items.filter((node) => wanted.has(node.metadata?.name ?? '') && isNodeReady(node)).length;
    notReady = wanted.size - ready;
    if (notReady === 0) return;
    await sleep(500);
  }
  throw new Error(`${notReady} of ${names.length} kwok nodes not Ready after ${timeoutMs} ms`);
}
