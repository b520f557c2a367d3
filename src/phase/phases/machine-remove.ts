import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';
import { drainNode, evictable, evictionApiVersion, podName, unmanaged } from '../../cluster/drain.js';
import { describeMachine } from '../../cluster/machine-diff.js';
import { describeSystemError, OutputError } from '../../errors.js';
import type { Machine } from '../../model/cluster.js';
import { renderCluster } from '../../render/render-cluster.js';
import type { Phase } from '../phase.js';
import { requireLive, type ClusterApiData } from './cluster-api.js';
import { MachineChangeRefusedError, storedMachines } from './machine-plan.js';
import { requireCluster } from './validate.js';

export interface MachineRemoveData extends ClusterApiData {
  removal?: {
    /** Every machine to remove, as the layout or the stored layout names it. */
    machines: Machine[];
    /** Those still in the given layout: drained, reset by kubespray and deleted before the layout is rewritten. */
    inLayout: string[];
  };
}

/** The machines still to drain and reset (the layout file still names them). */
export function removedInLayout(data: MachineRemoveData): string[] {
  return data.removal?.inLayout ?? [];
}

/**
 * `machine remove --hosts`: which machines go. Each must be a machine of the cluster (the stored layout or the one
 * given); the master and the last worker are refused (OpenPAI needs both), as is a layout that also adds machines.
 * Machines the given layout no longer names were taken out by an earlier run that stopped after rewriting it: only
 * the configuration push is left for them. Reads only.
 */
export function machineRemovePlanPhase<D extends MachineRemoveData>(hosts: readonly string[]): Phase<D> {
  return {
    id: 'machine-plan',
    title: 'Compare the machines to remove with the cluster',
    prerequisite: true,
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      const live = requireLive(ctx.data);
      const stored = await storedMachines(live, spec.config.clusterId, ctx.signal);
      const given = new Map(spec.layout.machines.map((machine) => [machine.hostname, machine]));
      const known = new Map(stored.map((machine) => [machine.hostname, machine]));
      const unknown = hosts.filter((host) => !given.has(host) && !known.has(host));
      if (unknown.length > 0)
        throw new MachineChangeRefusedError(
          `not machines of the cluster: ${unknown.join(', ')}`,
          `The cluster's machines are ${[...known.keys()].join(', ')}: give --hosts by their layout hostnames.`,
        );
      const machines = hosts.map((host) => (given.get(host) ?? known.get(host))!);
      const masters = machines.filter((machine) => machine.master || known.get(machine.hostname)?.master === true);
      if (masters.length > 0)
        throw new MachineChangeRefusedError(
          `refusing to remove the master: ${masters.map((machine) => machine.hostname).join(', ')}`,
          "The master runs the control plane and OpenPAI's own services: removing it ends the cluster. To remove Kubernetes everywhere: pai-deploy cluster reset.",
        );
      const workersLeft = stored.filter((machine) => machine.worker && !hosts.includes(machine.hostname));
      if (workersLeft.length === 0)
        throw new MachineChangeRefusedError(
          `refusing to remove the last worker${hosts.length === 1 ? '' : 's'}: ${hosts.join(', ')}`,
          'OpenPAI runs jobs on workers: add another one first (pai-deploy machine add).',
        );
      const adding = spec.layout.machines.filter((machine) => !known.has(machine.hostname));
      if (adding.length > 0)
        throw new MachineChangeRefusedError(
          `the layout also adds ${adding.map((machine) => machine.hostname).join(', ')}`,
          'Give machine remove the layout the cluster has (pai-deploy config pull writes it), and add machines with pai-deploy machine add.',
        );
      const inLayout = hosts.filter((host) => given.has(host));
      ctx.data.removal = { machines, inLayout };
      const done = hosts.filter((host) => !given.has(host));
      ctx.io.notify({
        level: 'info',
        code: 'machine.plan',
        phase: 'machine-plan',
        text: [
          `${machines.length} machine(s) to remove, ${stored.length - machines.length} kept:`,
          ...machines.map((machine) => `  remove  ${describeMachine(machine)}`),
          ...(done.length > 0
            ? [`  (${done.join(', ')}: already out of the layout; the configuration push is what is left)`]
            : []),
        ].join('\n'),
        data: { remove: hosts, inLayout },
      });
    },
  };
}

/** Cordons and drains the nodes of the machines to remove. */
export function drainPhase<D extends MachineRemoveData>(options: { timeoutMs: number }): Phase<D> {
  return {
    id: 'drain',
    title: 'Cordon and drain the nodes',
    shouldRun: (ctx) => (removedInLayout(ctx.data).length > 0 ? true : 'no nodes to drain'),
    async run(ctx) {
      const live = requireLive(ctx.data);
      for (const host of removedInLayout(ctx.data)) {
        if (ctx.dryRun) {
          // Read-only: which pods would move, and which of them nothing would recreate.
          const pods = await live.api.list(
            { apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${host}` },
            ctx.signal,
          );
          const moving = pods.filter(evictable);
          const loose = moving.filter(unmanaged).map(podName);
          await ctx.wet(
            host,
            `cordon the node and evict its ${moving.length} pod(s) (PodDisruptionBudgets respected)${loose.length > 0 ? `; without a controller, not recreated: ${loose.join(', ')}` : ''}`,
            async () => undefined,
          );
          continue;
        }
        const span = ctx.io.span(`drain ${host}`, { phase: 'drain', host });
        try {
          const minor = Number.parseInt(live.version.minor, 10);
          const result = await drainNode(live.api, host, {
            timeoutMs: options.timeoutMs,
            signal: ctx.signal,
            evictionApiVersion: evictionApiVersion(Number.isNaN(minor) ? 0 : minor),
            onProgress: (line) => span.update(line),
          });
          if (result.unmanaged.length > 0) {
            ctx.io.notify({
              level: 'warn',
              code: 'machine.unmanaged-pods',
              phase: 'drain',
              host,
              text: `evicted ${result.unmanaged.length} pod(s) no controller recreates: ${result.unmanaged.join(', ')}`,
            });
          }
          span.end(
            'ok',
            result.found
              ? `cordoned, ${result.evicted.length} pod(s) evicted, ${result.left.length} DaemonSet/mirror pod(s) left`
              : 'no such node (already gone)',
          );
        } catch (error) {
          span.end('failed');
          throw error;
        }
      }
    },
  };
}

/** Deletes the Node objects of the removed machines (remove-node.yml resets the machines; the objects stay). */
export function nodesDeletePhase<D extends MachineRemoveData>(): Phase<D> {
  return {
    id: 'nodes-delete',
    title: 'Delete the removed nodes from the cluster',
    shouldRun: (ctx) => ((ctx.data.removal?.machines.length ?? 0) > 0 ? true : 'no nodes to delete'),
    async run(ctx) {
      const live = requireLive(ctx.data);
      for (const machine of ctx.data.removal?.machines ?? []) {
        const ref = { apiVersion: 'v1', kind: 'Node', name: machine.hostname };
        const deleted = await ctx.wet(machine.hostname, 'delete the Node object', () =>
          live.api.delete(ref, {}, ctx.signal),
        );
        if (deleted !== undefined) {
          ctx.io.notify({
            level: 'info',
            code: 'machine.node-deleted',
            phase: 'nodes-delete',
            host: machine.hostname,
            text: deleted ? 'Node deleted' : 'no Node (already deleted)',
          });
        }
      }
      live.nodes = live.nodes.filter((node) => !ctx.data.removal?.machines.some((m) => m.hostname === node.name));
    },
  };
}

/**
 * Takes the machines out of layout.yaml (comments and the rest of the file kept; the old file saved beside it as
 * `layout.yaml.pai-deploy-backup-<time>`, replaced in one rename) and out of the model the later phases use: the
 * labels, the hived configuration and the push then describe the cluster without them.
 */
export function layoutUpdatePhase<D extends MachineRemoveData>(options: { now?: () => Date } = {}): Phase<D> {
  return {
    id: 'layout-update',
    title: 'Take the removed machines out of layout.yaml',
    async run(ctx) {
      const cluster = requireCluster(ctx.data);
      const removal = ctx.data.removal;
      if (!removal) return;
      const gone = new Set(removal.machines.map((machine) => machine.hostname));
      const source = ctx.data.sources.layout;
      if (removal.inLayout.length > 0 && source.kind === 'yaml') {
        const path = source.path;
        await ctx.wet(path, `remove ${removal.inLayout.join(', ')} from machine-list (a backup is kept)`, async () => {
          const text = readFileSync(path, 'utf8');
          const updated = withoutMachines(text, gone);
          const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
          const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
          try {
            copyFileSync(path, `${path}.pai-deploy-backup-${stamp}`);
            writeFileSync(temp, updated);
            renameSync(temp, path);
          } catch (error) {
            throw new OutputError(
              `cannot rewrite ${path}: ${describeSystemError(error)}`,
              `Remove ${removal.inLayout.join(', ')} from its machine-list by hand, then run the same command again.`,
              error,
            );
          }
          ctx.io.notify({
            level: 'info',
            code: 'machine.layout-updated',
            phase: 'layout-update',
            text: `${path}: ${removal.inLayout.join(', ')} removed (the old file is ${path}.pai-deploy-backup-${stamp})`,
          });
        });
      }
      cluster.spec = {
        ...cluster.spec,
        layout: {
          ...cluster.spec.layout,
          machines: cluster.spec.layout.machines.filter((machine) => !gone.has(machine.hostname)),
        },
      };
      // The work dir's inventory and configuration follow: the next kubespray run must not reach the machines.
      const workDir = ctx.workDir;
      if (workDir !== undefined) {
        const files = renderCluster(cluster.spec);
        await ctx.wet(workDir.rendered, `render again without ${[...gone].join(', ')}`, () =>
          ctx.ports.replaceDirectory(workDir.rendered, files, { signal: ctx.signal, action: ctx.action, io: ctx.io }),
        );
      }
    },
  };
}

/**
 * layout.yaml's text without the named machines in machine-list; every other byte as written (a block list loses
 * the removed entries' lines, comments and blank lines around them stay). A flow-style list is re-emitted.
 */
export function withoutMachines(text: string, hostnames: ReadonlySet<string>): string {
  const document = parseDocument(text);
  const list = document.get('machine-list', true);
  if (!isSeq(list)) return text;
  const gone = list.items.filter((item) => isMap(item) && hostnames.has(String(item.get('hostname'))));
  if (gone.length === 0) return text;
  if (list.flow === true) {
    list.items = list.items.filter((item) => !gone.includes(item));
    return document.toString();
  }
  const cuts = gone
    .map((item) => {
      const range = (item as { range?: [number, number, number] }).range!;
      const start = text.lastIndexOf('\n', range[0] - 1) + 1;
      const newline = text.indexOf('\n', Math.max(range[1] - 1, range[0]));
      return [start, newline < 0 ? text.length : newline + 1] as const;
    })
    .sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [start, end] of cuts) out = out.slice(0, start) + out.slice(end);
  return out;
}
