import { syncNodeLabels, type NodeLabelOutcome } from '../../cluster/node-labels.js';
import { clusterStatus, type ClusterStatus } from '../../cluster/status.js';
import { pushConfig, type PushResult } from '../../cluster/stored-config.js';
import type { ClusterSpec } from '../../model/cluster.js';
import { renderCluster } from '../../render/render-cluster.js';
import { computeHivedConfig, withHivedConfig, type HivedComputation } from '../../openpai/hived-config.js';
import { liveNodes, livePods } from '../../cluster/live-pods.js';
import type { Phase } from '../phase.js';
import { requireLive, type ClusterApiData } from './cluster-api.js';
import { requireCluster } from './validate.js';

export interface ClusterWriteData extends ClusterApiData {
  labels?: NodeLabelOutcome[];
  push?: PushResult;
  /** The hived configuration computed from the live nodes for this push (enabled: false when hived is off). */
  hived?: HivedComputation;
}

/** Node labels at once at most: enough to hide the round trips, few enough not to crowd a 1.15 API server. */
export const LABEL_CONCURRENCY = 16;

/** The layout's roles as node labels (pai-master, pai-worker, pai-storage, pai-computing-device). */
export function nodeLabelsPhase<D extends ClusterWriteData>(options: { resumable?: boolean } = {}): Phase<D> {
  return {
    id: 'node-labels',
    title: 'Label the nodes by their layout roles',
    // What the labels come from: each machine's roles and its sku's device type. (A label someone removed by hand
    // since is put back by `cluster label`, which always runs.)
    inputs: (ctx) =>
      options.resumable !== true
        ? undefined
        : requireCluster(ctx.data).spec.layout.machines.map((machine) => ({
            hostname: machine.hostname,
            master: machine.master,
            worker: machine.worker,
            storage: machine.storage,
            sku: machine.machineType,
            device: requireCluster(ctx.data).spec.layout.skus.get(machine.machineType)?.device?.type,
          })),
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      if (ctx.dryRun && !ctx.data.live) {
        // Not connected (the deploy action's dry run): say what will be set, per role.
        const roles = ['master', 'worker', 'storage'] as const;
        const counts = roles.map(
          (role) => `${spec.layout.machines.filter((machine) => machine[role]).length} pai-${role}`,
        );
        await ctx.wet(
          'cluster',
          `label the nodes from the layout: ${counts.join(', ')}, pai-computing-device by sku`,
          async () => undefined,
        );
        return;
      }
      const live = requireLive(ctx.data);
      const span = ctx.io.span('node labels', { phase: 'node-labels' });
      let seen = 0;
      try {
        const outcomes = await syncNodeLabels(live.api, spec.layout, live.nodes, {
          signal: ctx.signal,
          concurrency: LABEL_CONCURRENCY,
          dryRun: ctx.dryRun,
          onNode: () => {
            seen++;
            if (seen % 50 === 0) span.update(`${seen} of ${live.check.ready.length} nodes`);
          },
        });
        ctx.data.labels = outcomes;
        const changed = outcomes.filter((outcome) => Object.keys(outcome.change).length > 0);
        for (const outcome of changed) {
          const text = describeChange(outcome.change);
          if (ctx.dryRun) await ctx.wet(outcome.node, `label the node: ${text}`, async () => undefined);
          else
            ctx.io.notify({
              level: 'info',
              code: 'cluster.labelled',
              phase: 'node-labels',
              host: outcome.node,
              text,
              data: { change: outcome.change },
            });
        }
        const summary = `${changed.length} node(s) ${ctx.dryRun ? 'would be relabelled' : 'relabelled'}, ${outcomes.length - changed.length} already right`;
        span.end('ok', summary);
        ctx.setOutputs({ relabelled: changed.length, unchanged: outcomes.length - changed.length });
      } catch (error) {
        span.end('failed');
        throw error;
      }
    },
  };
}

function describeChange(change: Record<string, string | null>): string {
  return Object.entries(change)
    .map(([key, value]) => (value === null ? `remove ${key}` : `${key}=${value}`))
    .join(', ');
}

export interface ConfigPushOptions {
  force: boolean;
  /** A hand-edited services-configuration.yaml to push instead of the rendered one. */
  servicesConfiguration?: string;
}

/** The files OpenPAI's services read, as the cluster stores them (ConfigMap keys). */
export function configFiles(spec: ClusterSpec, servicesConfiguration?: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of renderCluster(spec)) {
    if (file.path.startsWith('cluster-cfg/')) files[file.path.slice('cluster-cfg/'.length)] = file.content;
  }
  if (servicesConfiguration !== undefined) files['services-configuration.yaml'] = servicesConfiguration;
  return files;
}

/**
 * Stores layout.yaml, config.yaml and services-configuration.yaml in ConfigMap pai-configuration (merged over what
 * is there, conditional on what was read) and the cluster id in pai-cluster-id.
 */
export function configPushPhase<D extends ClusterWriteData>(options: ConfigPushOptions): Phase<D> {
  return {
    id: 'config-push',
    title: 'Store the cluster configuration in the cluster',
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      if (ctx.dryRun && !ctx.data.live) {
        const hived = spec.config.hivedScheduler ? ' (with the hived configuration computed from the live nodes)' : '';
        await ctx.wet(
          'cluster',
          `store layout.yaml, config.yaml and services-configuration.yaml${hived} in ConfigMap pai-configuration and the cluster id "${spec.config.clusterId}" in pai-cluster-id`,
          async () => undefined,
        );
        return;
      }
      const live = requireLive(ctx.data);
      if (ctx.dryRun && spec.config.hivedScheduler && live.check.missing.length > 0) {
        // machine add's dry run: the new machines are not nodes yet, so the hived cells cannot be computed now.
        await ctx.wet(
          live.api.server,
          `store layout.yaml, config.yaml and services-configuration.yaml in ConfigMap pai-configuration (merged), with the hived configuration computed once ${live.check.missing.join(', ')} are nodes`,
          async () => undefined,
        );
        return;
      }
      const files = configFiles(spec, options.servicesConfiguration);
      if (options.servicesConfiguration !== undefined) {
        // A hand-edited file carries the admin's own cells and VCs: pushed as given, not recomputed.
        ctx.io.notify({
          level: 'info',
          code: 'cluster.hived-as-given',
          phase: 'config-push',
          text: 'services-configuration.yaml pushed as given (its hivedscheduler section is not recomputed)',
        });
      } else {
        const hived = computeHivedConfig(
          spec.layout,
          spec.config,
          liveNodes(live.nodes),
          spec.config.hivedScheduler ? await livePods(live.api, ctx.signal) : [],
        );
        ctx.data.hived = hived;
        files['services-configuration.yaml'] = withHivedConfig(files['services-configuration.yaml']!, hived);
        for (const warning of hived.enabled ? hived.warnings : []) {
          ctx.io.notify({ level: 'warn', code: 'cluster.hived-warning', phase: 'config-push', text: warning });
        }
        if (hived.enabled) {
          ctx.io.notify({
            level: 'info',
            code: 'cluster.hived-computed',
            phase: 'config-push',
            text: `hived: ${hived.skus
              .map(
                (sku) =>
                  `${sku.sku} ${sku.nodes.length} node(s) × ${sku.cellsPerNode} cell(s) of ${sku.cell.gpu !== undefined ? `${sku.cell.gpu} device, ` : ''}${sku.cell.cpu} cpu, ${sku.cell.memoryMiB}Mi (VC ${sku.virtualCluster})`,
              )
              .join('; ')}`,
          });
        }
      }
      const result = await pushConfig(live.api, files, {
        clusterId: spec.config.clusterId,
        force: options.force,
        dryRun: ctx.dryRun,
        signal: ctx.signal,
      });
      ctx.data.push = result;
      const { plan } = result;
      const keys = Object.entries(plan.keys)
        .map(([key, change]) => `${key} ${change}`)
        .join(', ');
      const id = plan.writesId
        ? plan.storedId === undefined
          ? `; names the cluster "${spec.config.clusterId}"`
          : `; renames the cluster "${plan.storedId}" to "${spec.config.clusterId}"`
        : '';
      const kept = plan.kept.length > 0 ? `; kept as stored: ${plan.kept.join(', ')}` : '';
      // Keys and what happens to them, never values: config.yaml and services-configuration.yaml hold passwords.
      const text = `${ctx.dryRun ? 'store in ' : ''}pai-configuration: ${keys}${kept}${id}`;
      if (ctx.dryRun) await ctx.wet(live.api.server, text, async () => undefined);
      else ctx.io.notify({ level: 'info', code: 'cluster.config-pushed', phase: 'config-push', text });
      ctx.setOutputs({ wrote: result.wroteConfig });
    },
  };
}

export interface ClusterStatusData extends ClusterWriteData {
  status?: ClusterStatus;
}

/** Reads what `cluster status` shows: nodes against the layout, the stored configuration against the local one. */
export function clusterStatusPhase<D extends ClusterStatusData>(): Phase<D> {
  return {
    id: 'cluster-status',
    title: "Read the cluster's nodes and stored configuration",
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      const live = requireLive(ctx.data);
      ctx.data.status = await clusterStatus(
        live.api,
        live.version.gitVersion,
        spec.layout,
        live.nodes,
        live.check,
        configFiles(spec),
        ctx.signal,
      );
    },
  };
}
