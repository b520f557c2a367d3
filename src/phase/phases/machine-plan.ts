import {
  describeChange,
  describeMachine,
  diffMachines,
  parseStoredLayout,
  type MachineDiff,
} from '../../cluster/machine-diff.js';
import { checkNodes, nodeView, NodesNotReadyError } from '../../cluster/nodes.js';
import { ClusterIdMismatchError, readStoredConfig } from '../../cluster/stored-config.js';
import { PaiDeployError } from '../../errors.js';
import type { Machine } from '../../model/cluster.js';
import type { Phase } from '../phase.js';
import { requireLive, type ClusterApiData, type ConnectedCluster } from './cluster-api.js';
import { requireCluster } from './validate.js';

export interface MachinePlanData extends ClusterApiData {
  /** The stored layout against the given one (set by the machine-plan phase). */
  machineDiff?: MachineDiff;
}

/** A day-2 change pai-deploy will not make, with what to do instead. */
export class MachineChangeRefusedError extends PaiDeployError {
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

/** The cluster has no stored layout: nothing to add to. */
export class NoStoredLayoutError extends PaiDeployError {
  constructor(server: string) {
    super(`the cluster at ${server} has no stored layout (ConfigMap pai-configuration, key layout.yaml)`, {
      hint: 'Deploy the cluster first (pai-deploy quick-start), or store its configuration with pai-deploy config push.',
    });
  }
}

/**
 * The machines of the layout stored in the cluster, the base of every day-2 plan: refused when the cluster has none
 * stored or is another cluster (its stored id is not this configuration's).
 */
export async function storedMachines(
  live: ConnectedCluster,
  clusterId: string,
  signal: AbortSignal,
): Promise<Machine[]> {
  const stored = await readStoredConfig(live.api, signal);
  const text = stored.files['layout.yaml'];
  if (text === undefined) throw new NoStoredLayoutError(live.api.server);
  if (stored.clusterId !== undefined && stored.clusterId !== clusterId)
    throw new ClusterIdMismatchError(stored.clusterId, clusterId, live.api.server);
  return parseStoredLayout(text).machines;
}

/** The machines the diff adds (what `machine add` pre-flights, scales and waits for). */
export function addedHostnames(data: MachinePlanData): string[] {
  return (data.machineDiff?.added ?? []).map((machine) => machine.hostname);
}

const names = (machines: readonly { hostname: string }[]) => machines.map((machine) => machine.hostname).join(',');

/**
 * `machine add`'s plan: the layout given against the one stored in the cluster. Only additions (and SKU changes of
 * machines that stay) are made; a machine left out or with another IP or role is refused with the command that
 * does it. The machines that stay must be Ready nodes (kubespray's scale.yml needs a healthy control plane). Reads
 * only, so it runs in a dry run too and shows the plan.
 */
export function machineAddPlanPhase<D extends MachinePlanData>(): Phase<D> {
  return {
    id: 'machine-plan',
    title: 'Compare the layout with the one stored in the cluster',
    prerequisite: true,
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      const live = requireLive(ctx.data);
      const diff = diffMachines(await storedMachines(live, spec.config.clusterId, ctx.signal), spec.layout.machines);
      if (diff.removed.length > 0)
        throw new MachineChangeRefusedError(
          `the layout leaves out ${diff.removed.length} machine(s) the cluster has: ${names(diff.removed)}`,
          `machine add only adds. To take them out of the cluster: pai-deploy machine remove --hosts ${names(diff.removed)} -l <the stored layout> -c …; or put them back in the layout.`,
        );
      const moved = diff.changed.filter((change) => change.fields.some((field) => field !== 'sku'));
      if (moved.length > 0)
        throw new MachineChangeRefusedError(
          `${moved.length} machine(s) of the cluster have another IP or role in the layout: ${moved.map(describeChange).join('; ')}`,
          'A node cannot change its address or role in place: remove it (pai-deploy machine remove --hosts …), then add it with its new values.',
        );
      ctx.data.machineDiff = diff;
      const staying = spec.layout.machines.filter((machine) => !diff.added.includes(machine));
      const check = checkNodes({ ...spec.layout, machines: staying }, live.nodes);
      if (check.missing.length > 0 || check.notReady.length > 0) throw new NodesNotReadyError(check, live.api.server);
      tellPlan(ctx, diff);
      ctx.setOutputs({ added: diff.added.length, changed: diff.changed.length });
    },
  };
}

function tellPlan<D>(ctx: Parameters<Phase<D>['run']>[0], diff: MachineDiff): void {
  const lines = [
    ...diff.added.map((machine) => `  add     ${describeMachine(machine)}`),
    ...diff.changed.map((change) => `  change  ${describeChange(change)}`),
  ];
  ctx.io.notify({
    level: 'info',
    code: 'machine.plan',
    phase: 'machine-plan',
    text:
      lines.length === 0
        ? `nothing to add: the layout's ${diff.kept.length} machine(s) are the cluster's`
        : `${diff.added.length} machine(s) to add, ${diff.changed.length} to change, ${diff.kept.length} kept:\n${lines.join('\n')}`,
    data: {
      added: diff.added.map((machine) => machine.hostname),
      changed: diff.changed.map((change) => change.hostname),
      kept: diff.kept.map((machine) => machine.hostname),
    },
  });
}

export interface NodesJoinOptions {
  /** Which machines must become Ready nodes. */
  hostnames: (data: ClusterApiData) => string[];
  timeoutMs: number;
  pollMs?: number;
}

/**
 * Waits until the machines kubespray just joined are Ready nodes (their kubelets register and report Ready a few
 * seconds after scale.yml), then refreshes the connection's node list for the labels and the hived configuration.
 */
export function nodesJoinPhase<D extends ClusterApiData>(options: NodesJoinOptions): Phase<D> {
  return {
    id: 'nodes-join',
    title: 'Wait for the new machines to be Ready nodes',
    shouldRun: (ctx) => (options.hostnames(ctx.data).length > 0 ? true : 'no machines to wait for'),
    async run(ctx) {
      const wanted = options.hostnames(ctx.data);
      const live = requireLive(ctx.data);
      if (ctx.dryRun) {
        await ctx.wet('cluster', `wait until ${wanted.join(', ')} are Ready nodes`, async () => undefined);
        return;
      }
      const { spec } = requireCluster(ctx.data);
      const span = ctx.io.span(`${wanted.length} new node(s)`, { phase: 'nodes-join' });
      const deadline = Date.now() + options.timeoutMs;
      const machines: Machine[] = spec.layout.machines.filter((machine) => wanted.includes(machine.hostname));
      for (;;) {
        const nodes = (await live.api.list({ apiVersion: 'v1', kind: 'Node' }, ctx.signal)).map(nodeView);
        const check = checkNodes({ ...spec.layout, machines }, nodes);
        if (check.ready.length === machines.length) {
          live.nodes = nodes;
          live.check = checkNodes(spec.layout, nodes);
          span.end('ok', `${wanted.join(', ')} Ready`);
          return;
        }
        if (Date.now() >= deadline) {
          span.end('failed');
          throw new NodesNotReadyError(check, live.api.server);
        }
        span.update(`${check.ready.length} of ${machines.length} Ready`);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.pollMs ?? 2_000);
          ctx.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(ctx.signal.reason as Error);
            },
            { once: true },
          );
        });
      }
    },
  };
}
