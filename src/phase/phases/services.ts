import { readFileSync } from 'node:fs';
import {
  describeSystemError,
  ExitCode,
  FindingsError,
  InputFileError,
  PaiDeployError,
  UsageError,
} from '../../errors.js';
import type { Finding } from '../../findings/finding.js';
import { readStoredConfig } from '../../cluster/stored-config.js';
import {
  runServices,
  type ServiceEvent,
  type ServiceOperation,
  type ServicesRunResult,
} from '../../cluster/services/run-services.js';
import type { WorkloadWaiter } from '../../cluster/services/run-steps.js';
import { planServices } from '../../openpai/service-catalog.js';
import type { ServiceRecipe } from '../../openpai/services/recipe.js';
import type { OpenpaiTree, TreeFile } from '../../openpai/tree/openpai-tree.js';
import { readOpenpaiTree } from '../../openpai/tree/read-tree.js';
import type { TemplateRenderer } from '../../openpai/tree/render-service.js';
import type { KubeApi, KubeObjectRef } from '../../ports/kube-api.js';
import type { Phase, PhaseContext } from '../phase.js';
import { requireLive, type ClusterApiData } from './cluster-api.js';
import { configFiles } from './cluster-write.js';
import type { OpenpaiSourceData } from './openpai-source.js';
import { requireCluster } from './validate.js';

/** One workload's state, as `service status` shows it. */
export interface WorkloadState {
  ref: KubeObjectRef;
  state: 'ready' | 'waiting' | 'failed' | 'missing';
  /** `2 of 3 ready`, `0/1 available`, `complete`, `not found`. */
  summary: string;
  notes: readonly string[];
}

/** The parts the services phase runs with; service-parts.ts loads the product's (heavy, so only when needed). */
export interface ServiceParts {
  render: TemplateRenderer;
  recipeFor(service: string): ServiceRecipe;
  waiter(api: KubeApi): WorkloadWaiter;
  /** Each workload's state now (ready, waiting, failed, missing) with its counts; waits for nothing. */
  status(api: KubeApi, refs: readonly KubeObjectRef[], signal: AbortSignal): Promise<WorkloadState[]>;
  /** The cluster object model (`cluster_cfg`) from OpenPAI's layout.yaml, services-configuration.yaml and the tree. */
  model(input: { layout: TreeFile; servicesConfiguration: TreeFile; tree: OpenpaiTree }): {
    model?: Readonly<Record<string, unknown>>;
    findings: readonly Finding[];
  };
}

export interface ServicesData extends ClusterApiData, OpenpaiSourceData {
  services?: ServicesRunResult;
}

export interface ServicesPhaseOptions {
  operation: ServiceOperation;
  /** -n NAME…: only these services. */
  only: readonly string[] | undefined;
  /** How long one service's wait may take. */
  timeoutMs: number;
  /** delete: ask for the cluster id first (false with --yes). */
  confirm: boolean;
  parts: () => Promise<ServiceParts>;
}

const TITLES: Record<ServiceOperation, string> = {
  start: 'Start OpenPAI services',
  stop: 'Stop OpenPAI services',
  delete: 'Delete OpenPAI services and their data',
};

/**
 * OpenPAI's services from the release tree (openpai-source phase), configured by the cluster object model built
 * from the configuration stored in the cluster (what `config push` wrote, as paictl read it), started in
 * dependency order (or stopped and deleted in reverse) through the Kubernetes API.
 */
export function servicesPhase<D extends ServicesData>(options: ServicesPhaseOptions): Phase<D> {
  const id = options.operation === 'start' ? 'services' : `services-${options.operation}`;
  return {
    id,
    title: TITLES[options.operation],
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      if (ctx.dryRun && !ctx.data.live) {
        // Not connected (the deploy action's plan): the built-in catalog's order.
        const plan = planServices(spec);
        await ctx.wet(
          'cluster',
          `${options.operation} ${plan.layers.flat().length} OpenPAI services in ${plan.layers.length} layers: ${plan.layers.map((layer) => layer.join(', ')).join(' → ')}`,
          async () => undefined,
        );
        return;
      }
      const live = requireLive(ctx.data);
      if (ctx.data.openpaiDir === undefined) throw new Error('internal: the services phase needs the OpenPAI tree');
      const tree = readOpenpaiTree(ctx.data.openpaiDir);
      const parts = await options.parts();
      const files = await storedConfiguration(ctx, live.api, spec.config.clusterId);
      const cfg = buildServiceModel(ctx, parts, tree, files);
      if (options.operation === 'delete' && options.confirm && !ctx.dryRun)
        await confirmDelete(ctx, spec.config.clusterId);
      const spans = new Map<string, ReturnType<PhaseContext['io']['span']>>();
      const onEvent = (event: ServiceEvent) => showEvent(ctx, id, spans, event);
      try {
        const result = await runServices({
          operation: options.operation,
          api: live.api,
          tree,
          cfg,
          render: parts.render,
          recipeFor: (name) => parts.recipeFor(name),
          waiter: parts.waiter(live.api),
          dryRun: ctx.dryRun,
          signal: ctx.signal,
          timeoutMs: options.timeoutMs,
          ...(options.only !== undefined ? { only: options.only } : {}),
          onEvent,
          readLocalFile,
        });
        ctx.data.services = result;
        if (ctx.dryRun) {
          for (const outcome of result.outcomes)
            for (const record of outcome.records)
              if (record.changed) await ctx.wet(`service ${outcome.service}`, record.text, async () => undefined);
        }
        const count = (kind: string) => result.outcomes.filter((outcome) => outcome.outcome === kind).length;
        ctx.setOutputs({ changed: count('changed'), unchanged: count('unchanged'), skipped: count('skipped') });
      } finally {
        for (const span of spans.values()) span.end('failed');
      }
    },
  };
}

function showEvent(
  ctx: PhaseContext<ServicesData>,
  phase: string,
  spans: Map<string, ReturnType<PhaseContext['io']['span']>>,
  event: ServiceEvent,
): void {
  switch (event.type) {
    case 'begin':
      spans.set(event.service, ctx.io.span(event.text, { phase, host: event.service }));
      break;
    case 'progress':
      spans.get(event.service)?.update(event.text);
      break;
    case 'record':
      if (!ctx.dryRun)
        ctx.io.notify({ level: 'info', code: 'services.step', phase, host: event.service, text: event.text });
      break;
    case 'end':
      spans.get(event.service)?.end('ok', event.text);
      spans.delete(event.service);
      break;
    case 'skipped':
      ctx.io.notify({
        level: 'info',
        code: 'services.skipped',
        phase,
        host: event.service,
        text: `skipped: ${event.text}`,
      });
      break;
  }
}

/** A file of this machine a service's start copies into its deploy folder (pylon.ssl's certificate and key). */
export function readLocalFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputFileError(
      path,
      describeSystemError(error),
      "pylon.ssl's crt_path and key_path in services-configuration.yaml name files on the machine pai-deploy runs on: put them there, or fix the paths and push the configuration again.",
      error,
    );
  }
}

/** No configuration stored in the cluster, so no cluster object model to configure the services with. */
export class NoStoredConfigurationError extends PaiDeployError {
  constructor(server: string) {
    super(`the cluster at ${server} has no stored OpenPAI configuration (ConfigMap default/pai-configuration)`, {
      exitCode: ExitCode.failed,
      hint: 'Store it first: pai-deploy config push -l layout.yaml -c config.yaml (the deploy command does it before the services).',
    });
  }
}

/**
 * layout.yaml and services-configuration.yaml as stored in the cluster (what the services will read, the hived
 * configuration computed at push time included), after checking the stored cluster id is this layout's. A dry run
 * on a cluster never pushed to uses the local files instead, and says so.
 */
export async function storedConfiguration(
  ctx: PhaseContext<ClusterApiData>,
  api: KubeApi,
  clusterId: string,
): Promise<{ layout: TreeFile; servicesConfiguration: TreeFile }> {
  const stored = await readStoredConfig(api, ctx.signal);
  const where = (key: string) => `${api.server} configmap default/pai-configuration ${key}`;
  const layout = stored.files['layout.yaml'];
  const services = stored.files['services-configuration.yaml'];
  if (layout === undefined || services === undefined) {
    if (!ctx.dryRun) throw new NoStoredConfigurationError(api.server);
    ctx.io.notify({
      level: 'warn',
      code: 'services.local-config',
      phase: 'services',
      text: 'the cluster has no stored configuration yet: this plan uses the local one (run config push before starting)',
    });
    const local = configFiles(requireCluster(ctx.data).spec);
    return {
      layout: { path: 'layout.yaml (local)', text: local['layout.yaml'] ?? '' },
      servicesConfiguration: {
        path: 'services-configuration.yaml (local)',
        text: local['services-configuration.yaml'] ?? '',
      },
    };
  }
  if (stored.clusterId !== undefined && stored.clusterId !== clusterId) {
    throw new PaiDeployError(
      `the cluster at ${api.server} is "${stored.clusterId}", not "${clusterId}" (config.yaml's cluster_id)`,
      {
        exitCode: ExitCode.failed,
        hint: "Point --kubeconfig/--context at the cluster this layout describes, or use that cluster's layout and config.",
      },
    );
  }
  return {
    layout: { path: where('layout.yaml'), text: layout },
    servicesConfiguration: { path: where('services-configuration.yaml'), text: services },
  };
}

export function buildServiceModel(
  ctx: Pick<PhaseContext, 'io'>,
  parts: ServiceParts,
  tree: OpenpaiTree,
  files: { layout: TreeFile; servicesConfiguration: TreeFile },
): Readonly<Record<string, unknown>> {
  const { model, findings } = parts.model({ ...files, tree });
  for (const finding of findings) {
    ctx.io.notify({
      level: finding.severity === 'error' ? 'error' : 'warn',
      code: finding.code,
      text: `${finding.file}:${finding.line}:${finding.column}: ${finding.message}${finding.hint ? ` (${finding.hint})` : ''}`,
      data: { finding },
    });
  }
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  if (errors > 0 || model === undefined) throw new FindingsError(Math.max(errors, 1));
  return model;
}

async function confirmDelete(ctx: PhaseContext<ServicesData>, id: string): Promise<void> {
  const answer = await ctx.io.request<string>({
    kind: 'input',
    code: 'services.delete-confirm',
    text: `delete removes OpenPAI's services and their data (databases, internal storage, frameworks) from cluster "${id}"; type the cluster id to go on`,
    flag: '--yes',
  });
  if (answer.trim() !== id) {
    throw new UsageError(
      `"${answer.trim()}" is not the cluster id "${id}": nothing was deleted`,
      'Type the id exactly, or pass --yes.',
    );
  }
}
