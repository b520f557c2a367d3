import { PaiDeployError } from '../errors.js';
import type { Layout } from '../model/cluster.js';
import type { KubeObject } from '../ports/kube-api.js';

/** What pai-deploy reads of a Node object. */
export interface NodeView {
  name: string;
  ready: boolean;
  /** The Ready condition's reason and message ("KubeletNotReady: container runtime is down"), when not ready. */
  readyDetail: string | undefined;
  /** Other conditions that are True and mean trouble (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable). */
  problems: string[];
  unschedulable: boolean;
  labels: Record<string, string>;
  allocatable: Record<string, string>;
  kubeletVersion: string | undefined;
  internalIp: string | undefined;
}

interface NodeCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The conditions that are trouble when True (Ready is trouble when not True). */
const TROUBLE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export function nodeView(node: KubeObject): NodeView {
  const status = (node['status'] ?? {}) as {
    conditions?: NodeCondition[];
    allocatable?: Record<string, string>;
    nodeInfo?: { kubeletVersion?: string };
    addresses?: Array<{ type?: string; address?: string }>;
  };
  const spec = (node['spec'] ?? {}) as { unschedulable?: boolean };
  const conditions = status.conditions ?? [];
  const ready = conditions.find((condition) => condition.type === 'Ready');
  const isReady = ready?.status === 'True';
  return {
    name: node.metadata.name,
    ready: isReady,
    readyDetail: isReady
      ? undefined
      : ready === undefined
        ? 'no Ready condition reported yet (the kubelet has not posted its status)'
        : `Ready=${ready.status ?? 'Unknown'}${ready.reason ? ` (${ready.reason})` : ''}${ready.message ? `: ${ready.message}` : ''}`,
    problems: conditions
      .filter((condition) => condition.type !== undefined && TROUBLE.has(condition.type) && condition.status === 'True')
      .map((condition) => `${condition.type}${condition.message ? `: ${condition.message}` : ''}`),
    unschedulable: spec.unschedulable === true,
    labels: { ...(node.metadata.labels ?? {}) },
    allocatable: { ...(status.allocatable ?? {}) },
    kubeletVersion: status.nodeInfo?.kubeletVersion,
    internalIp: status.addresses?.find((address) => address.type === 'InternalIP')?.address,
  };
}

export interface NodeCheck {
  /** Layout machines with a Ready node. */
  ready: string[];
  /** Layout machines without a node of their hostname. */
  missing: string[];
  notReady: Array<{ name: string; why: string }>;
  /** Ready, but the scheduler will not place pods there (cordoned) or a pressure condition is True. */
  degraded: Array<{ name: string; why: string }>;
  /** Nodes the layout does not name (a warning: pai-deploy leaves them alone). */
  unknown: string[];
}

/**
 * Every layout machine must be a Ready node named by its hostname: OpenPAI addresses nodes by the layout's hostnames
 * (labels, hived cells), and kubespray registers nodes by inventory hostname.
 */
export function checkNodes(layout: Layout, nodes: readonly NodeView[]): NodeCheck {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const check: NodeCheck = { ready: [], missing: [], notReady: [], degraded: [], unknown: [] };
  for (const machine of layout.machines) {
    const node = byName.get(machine.hostname);
    if (!node) check.missing.push(machine.hostname);
    else if (!node.ready) check.notReady.push({ name: node.name, why: node.readyDetail ?? 'not Ready' });
    else {
      check.ready.push(node.name);
      const why = [...(node.unschedulable ? ['cordoned (unschedulable)'] : []), ...node.problems];
      if (why.length > 0) check.degraded.push({ name: node.name, why: why.join('; ') });
    }
  }
  const known = new Set(layout.machines.map((machine) => machine.hostname));
  check.unknown = nodes.filter((node) => !known.has(node.name)).map((node) => node.name);
  return check;
}

/** Layout machines that are not Ready nodes, each by name with why. */
export class NodesNotReadyError extends PaiDeployError {
  readonly check: NodeCheck;
  constructor(check: NodeCheck, server: string) {
    const lines = [
      ...check.missing.map((name) => `  ${name}: no node of this name`),
      ...check.notReady.map((node) => `  ${node.name}: ${node.why}`),
    ];
    const count = check.missing.length + check.notReady.length;
    super(`${count} machine(s) of the layout are not Ready nodes at ${server}:\n${lines.join('\n')}`, {
      hint:
        check.missing.length > 0
          ? 'A machine kubespray has not joined yet: run `pai-deploy kubespray scale --limit HOST`; a node registered under another name: its hostname must be the layout hostname.'
          : 'Look at the kubelet on those machines (journalctl -u kubelet); pai-deploy waits for nothing here.',
    });
    this.check = check;
  }
}
