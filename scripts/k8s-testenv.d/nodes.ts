import type { V1Node, V1NodeList } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiConnection, ApiResponse } from './api-connection.js';

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

/** `pai-worker-001` … (at least `minWidth` digits, more when `count` needs them) — shaped like layout hostnames. */
export function numberedNodes(count: number, prefix = 'pai-worker-', minWidth = 3): TestNodeSpec[] {
  const width = Math.max(minWidth, String(count).length);
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

const CREATE_ATTEMPTS = 4;

/**
 * Creates the nodes (status included: the API accepts status on create), `concurrency` at a time over one
 * connection. An overloaded server's 429/5xx is retried; a 409 on a retry means the first attempt got through.
 */
export async function createNodes(api: ApiConnection, specs: TestNodeSpec[], concurrency = 32): Promise<void> {
  let next = 0;
  let failed = false;
  const create = async (spec: TestNodeSpec, index: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      let response: ApiResponse | Error;
      try {
        response = await api.request('POST', '/api/v1/nodes', nodeManifest(spec, index));
      } catch (error) {
        response = error instanceof Error ? error : new Error(String(error));
      }
      if (!(response instanceof Error)) {
        if (response.status === 201 || (response.status === 409 && attempt > 1)) return;
        if (response.status !== 429 && response.status < 500) {
          throw new Error(`creating node ${spec.name}: HTTP ${response.status} ${statusMessage(response.body)}`);
        }
      }
      if (attempt >= CREATE_ATTEMPTS) {
        const why =
          response instanceof Error ? response.message : `HTTP ${response.status} ${statusMessage(response.body)}`;
        throw new Error(`creating node ${spec.name}: ${why} (${attempt} attempts)`);
      }
      await sleep(250 * attempt);
    }
  };
  const worker = async (): Promise<void> => {
    for (let index = next++; index < specs.length && !failed; index = next++) {
      try {
        await create(specs[index] as TestNodeSpec, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
}

export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Waits until every named node is Ready: one list, then a watch from its resourceVersion (listing again only when
 * the watch ends early), so the wait costs the server the same for 1 node as for 1,000.
 */
export async function waitForNodesReady(api: ApiConnection, names: string[], timeoutMs: number): Promise<void> {
  const wanted = new Set(names);
  const ready = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  const note = (node: V1Node, deleted: boolean): void => {
    const name = node.metadata?.name ?? '';
    if (!wanted.has(name)) return;
    if (!deleted && isNodeReady(node)) ready.add(name);
    else ready.delete(name);
  };
  while (ready.size < wanted.size && Date.now() < deadline) {
    const list = await api.request('GET', '/api/v1/nodes');
    if (list.status !== 200) throw new Error(`listing nodes: HTTP ${list.status} ${statusMessage(list.body)}`);
    const nodes = JSON.parse(list.body) as V1NodeList;
    ready.clear();
    for (const node of nodes.items) note(node, false);
    const remainingMs = deadline - Date.now();
    if (ready.size === wanted.size || remainingMs <= 0) break;
    const watch = new URLSearchParams({
      watch: 'true',
      resourceVersion: nodes.metadata?.resourceVersion ?? '',
      timeoutSeconds: String(Math.ceil(remainingMs / 1000)),
    });
    const started = Date.now();
    await api.stream(
      `/api/v1/nodes?${watch}`,
      (line) => {
        const event = JSON.parse(line) as { type: string; object: V1Node };
        if (event.type === 'ERROR') return true; // e.g. 410 Gone: list again
        if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
          note(event.object, event.type === 'DELETED');
        }
        return ready.size === wanted.size;
      },
      remainingMs + 5_000,
    );
    if (Date.now() - started < 1_000) await sleep(250); // a watch that ends at once: do not spin
  }
  if (ready.size === wanted.size) return;
  const missing = names.filter((name) => !ready.has(name));
  const sample = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '');
  throw new Error(`${missing.length} of ${names.length} kwok nodes not Ready after ${timeoutMs} ms (${sample})`);
}

/** The message of a Status body, else the start of the body. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}
