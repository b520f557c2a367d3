import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkNodes, nodeView, NodesNotReadyError, type NodeCheck, type NodeView } from '../../cluster/nodes.js';
import { PaiDeployError } from '../../errors.js';
import { workDirFor } from '../../model/work-dir.js';
import type { KubeApi, KubeServerVersion } from '../../ports/kube-api.js';
import type { Phase, PhaseContext } from '../phase.js';
import { requireCluster, type ValidateData } from './validate.js';

/** The live cluster, once connected. */
export interface ConnectedCluster {
  api: KubeApi;
  version: KubeServerVersion;
  /** The kubeconfig used, and why that one. */
  kubeconfig: { path: string; from: string };
  context: string | undefined;
  nodes: NodeView[];
  check: NodeCheck;
}

export interface ClusterApiData extends ValidateData {
  live?: ConnectedCluster;
}

/** Where to find the cluster: the flags of every command that talks to it. */
export interface KubeTarget {
  /** --kubeconfig. */
  kubeconfig: string | undefined;
  /** --context. */
  context: string | undefined;
  /** --work-dir (else the cluster id's work dir). */
  workDirOverride: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The kubeconfig to use: --kubeconfig; else the one `kubespray run` left in the cluster's work dir (the cluster this
 * layout describes); else kubectl's rule ($KUBECONFIG's first file, ~/.kube/config).
 */
export function resolveKubeconfig(target: KubeTarget, clusterId: string): { path: string; from: string } {
  if (target.kubeconfig !== undefined) return { path: resolve(target.cwd, target.kubeconfig), from: '--kubeconfig' };
  const workDir = workDirFor(clusterId, target.workDirOverride, target.env);
  if (existsSync(workDir.kubeconfig)) return { path: workDir.kubeconfig, from: 'the work dir' };
  const fromEnv = target.env['KUBECONFIG']?.split(':').find(Boolean);
  if (fromEnv) return { path: resolve(target.cwd, fromEnv), from: 'KUBECONFIG' };
  const home = join(target.env['HOME'] ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return { path: home, from: '~/.kube/config' };
  throw new PaiDeployError(`no kubeconfig for cluster "${clusterId}"`, {
    exitCode: 2,
    hint: `\`pai-deploy kubespray run\` writes one into ${workDir.kubeconfig}; otherwise pass --kubeconfig.`,
  });
}

export interface ConnectOptions {
  target: KubeTarget;
  /** Every layout machine must be a Ready node (labels, config push); `cluster status` only reports. */
  requireReadyNodes: boolean;
  /**
   * In a dry run, describe the connection instead of making it: the deploy action's dry run (`pai-deploy plan`)
   * contacts nothing, and before kubespray has run there is no cluster to contact. The later cluster phases then
   * describe their work too.
   */
  describeInDryRun?: boolean;
}

/** Connects to the API server, says which one and its version, and checks the layout's machines are Ready nodes. */
export function clusterConnectPhase<D extends ClusterApiData>(options: ConnectOptions): Phase<D> {
  return {
    id: 'cluster-connect',
    prerequisite: true,
    title: 'Connect to the Kubernetes API',
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      if (ctx.dryRun && options.describeInDryRun === true) {
        const workDir = workDirFor(spec.config.clusterId, options.target.workDirOverride, options.target.env);
        const path = options.target.kubeconfig ?? workDir.kubeconfig;
        await ctx.wet(
          'cluster',
          `connect to the Kubernetes API with ${path} and check that all ${spec.layout.machines.length} machines are Ready nodes`,
          async () => undefined,
        );
        return;
      }
      const kubeconfig = resolveKubeconfig(options.target, spec.config.clusterId);
      const api = await ctx.ports.kube({
        kubeconfigPath: kubeconfig.path,
        ...(options.target.context !== undefined ? { context: options.target.context } : {}),
      });
      const version = await api.version(ctx.signal);
      const nodes = (await api.list({ apiVersion: 'v1', kind: 'Node' }, ctx.signal)).map(nodeView);
      const check = checkNodes(spec.layout, nodes);
      ctx.data.live = { api, version, kubeconfig, context: options.target.context, nodes, check };
      ctx.io.notify({
        level: 'info',
        code: 'cluster.connected',
        phase: 'cluster-connect',
        text: `Kubernetes ${version.gitVersion} at ${api.server} (kubeconfig from ${kubeconfig.from}: ${kubeconfig.path}); ${check.ready.length} of ${spec.layout.machines.length} machines are Ready nodes`,
        data: { server: api.server, version: version.gitVersion, kubeconfig: kubeconfig.path },
      });
      reportNodeCheck(ctx, check);
      ctx.setOutputs({ server: api.server, version: version.gitVersion, readyNodes: check.ready.length });
      if (options.requireReadyNodes && (check.missing.length > 0 || check.notReady.length > 0)) {
        throw new NodesNotReadyError(check, api.server);
      }
    },
  };
}

function reportNodeCheck<D>(ctx: PhaseContext<D>, check: NodeCheck): void {
  for (const name of check.missing) {
    ctx.io.notify({
      level: 'warn',
      code: 'cluster.node-missing',
      phase: 'cluster-connect',
      host: name,
      text: 'no node of this name',
    });
  }
  for (const node of check.notReady) {
    ctx.io.notify({
      level: 'warn',
      code: 'cluster.node-not-ready',
      phase: 'cluster-connect',
      host: node.name,
      text: node.why,
    });
  }
  for (const node of check.degraded) {
    ctx.io.notify({
      level: 'warn',
      code: 'cluster.node-degraded',
      phase: 'cluster-connect',
      host: node.name,
      text: node.why,
    });
  }
  if (check.unknown.length > 0) {
    ctx.io.notify({
      level: 'warn',
      code: 'cluster.node-unknown',
      phase: 'cluster-connect',
      text: `${check.unknown.length} node(s) the layout does not name (left alone): ${check.unknown.slice(0, 10).join(', ')}${check.unknown.length > 10 ? ', …' : ''}`,
      data: { nodes: check.unknown },
    });
  }
}

/** The connected cluster; a phase placed before cluster-connect is a programming error. */
export function requireLive(data: ClusterApiData): ConnectedCluster {
  if (!data.live) throw new Error('pai-deploy bug: a phase needs the cluster, but cluster-connect did not run first');
  return data.live;
}
