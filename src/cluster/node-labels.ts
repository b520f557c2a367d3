import { PaiDeployError } from '../errors.js';
import type { Layout, Machine } from '../model/cluster.js';
import type { KubeApi } from '../ports/kube-api.js';
import type { NodeView } from './nodes.js';

/**
 * The node labels pai-deploy owns. OpenPAI v1.8.0's services are placed by deploy-rules on `pai-master`,
 * `pai-worker` and `pai-storage` (each `true` or absent; rest-server also selects user jobs with pai-worker=true),
 * and its cluster-configuration service set them from the layout, removing the ones the layout no longer gives
 * (#5229). `pai-computing-device` says which device type the layout gives the machine, spelled as OpenPAI names its
 * per-device requirement roles (`nvidia.com/gpu` → `nvidia.com_gpu`: a label value cannot hold `/`).
 * Labels an admin sets by hand (`no-nodeexporter`, `no-jobexporter`, `no-logmanager`: the services' opt-outs) are
 * not pai-deploy's and are never touched.
 */
export const MANAGED_LABELS = ['pai-master', 'pai-worker', 'pai-storage', 'pai-computing-device'] as const;

export type LabelChange = Record<string, string | null>;

export function desiredLabels(layout: Layout, machine: Machine): Record<string, string> {
  const labels: Record<string, string> = {};
  if (machine.master) labels['pai-master'] = 'true';
  if (machine.worker) labels['pai-worker'] = 'true';
  if (machine.storage) labels['pai-storage'] = 'true';
  const device = layout.skus.get(machine.machineType)?.device;
  if (device) labels['pai-computing-device'] = deviceLabelValue(device.type);
  return labels;
}

export function deviceLabelValue(type: string): string {
  const value = type.replaceAll('/', '_');
  // A label value: at most 63 characters, alphanumerics with - _ . inside. A type that cannot be one is cut to what
  // can, so the label still says something; OpenPAI's own device types (nvidia.com/gpu, amd.com/gpu,
  // enflame.com/dtu) all fit.
  return value
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** The merge-patch labels that take `current` to `desired` for the managed keys, or undefined when none differ. */
export function labelChange(current: Record<string, string>, desired: Record<string, string>): LabelChange | undefined {
  const change: LabelChange = {};
  for (const key of MANAGED_LABELS) {
    const want = desired[key];
    if (want !== undefined && current[key] !== want) change[key] = want;
    else if (want === undefined && key in current) change[key] = null;
  }
  return Object.keys(change).length > 0 ? change : undefined;
}

export interface NodeLabelOutcome {
  node: string;
  /** The labels set (a value) or removed (null); empty when nothing changed. */
  change: LabelChange;
  written: boolean;
}

export interface SyncLabelsOptions {
  signal: AbortSignal;
  /** Requests in flight at once (OpenPAI ran `kubectl label` through GNU parallel). */
  concurrency: number;
  /** Compute the changes against the live nodes; write nothing. */
  dryRun: boolean;
  onNode?(outcome: NodeLabelOutcome): void;
}

/**
 * Sets the managed labels of every layout machine's node: one merge patch per node that needs one, at most
 * `concurrency` at a time, none for a node already right. Nodes the layout does not name are left alone; machines
 * without a node are the node check's business (skipped here).
 */
export async function syncNodeLabels(
  kube: KubeApi,
  layout: Layout,
  nodes: readonly NodeView[],
  options: SyncLabelsOptions,
): Promise<NodeLabelOutcome[]> {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const work = layout.machines.flatMap((machine) => {
    const node = byName.get(machine.hostname);
    return node ? [{ node, change: labelChange(node.labels, desiredLabels(layout, machine)) }] : [];
  });
  const outcomes: NodeLabelOutcome[] = [];
  let next = 0;
  let failure: { node: string; error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    // After the first failure the other workers finish the request they have in flight and take no more.
    while (next < work.length && failure === undefined) {
      const { node, change } = work[next++]!;
      if (options.signal.aborted) return;
      try {
        let written = false;
        if (change && !options.dryRun) {
          await kube.patch(
            { apiVersion: 'v1', kind: 'Node', name: node.name },
            { type: 'merge', body: { metadata: { labels: change } } },
            { fieldManager: 'pai-deploy' },
            options.signal,
          );
          written = true;
        }
        const outcome = { node: node.name, change: change ?? {}, written };
        outcomes.push(outcome);
        options.onNode?.(outcome);
      } catch (error) {
        failure ??= { node: node.name, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, work.length)) }, worker));
  options.signal.throwIfAborted();
  if (failure !== undefined) throw new LabelSyncError(failure.node, failure.error, outcomes);
  const order = new Map(layout.machines.map((machine, index) => [machine.hostname, index]));
  return outcomes.sort((a, b) => order.get(a.node)! - order.get(b.node)!);
}

/** Labelling stopped at a node; the labels already written stay (a rerun writes only what is still missing). */
export class LabelSyncError extends PaiDeployError {
  readonly done: readonly NodeLabelOutcome[];
  constructor(node: string, cause: unknown, done: readonly NodeLabelOutcome[]) {
    const written = done.filter((outcome) => outcome.written).length;
    super(
      `labelling node ${node} failed: ${cause instanceof Error ? cause.message : String(cause)} (${written} node(s) relabelled before it)`,
      {
        hint:
          cause instanceof PaiDeployError && cause.hint !== undefined
            ? cause.hint
            : 'Run the command again: nodes already right are not written twice.',
        cause,
      },
    );
    this.done = done;
  }
}
