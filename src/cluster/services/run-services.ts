import { ExitCode, PaiDeployError, UsageError } from '../../errors.js';
import { didYouMean } from '../../findings/did-you-mean.js';
import { orderServices, type ServicePlan } from '../../openpai/service-catalog.js';
import type { ServiceContext, ServiceFiles, ServiceRecipe } from '../../openpai/services/recipe.js';
import type { OpenpaiTree } from '../../openpai/tree/openpai-tree.js';
import { renderService, type RenderedService, type TemplateRenderer } from '../../openpai/tree/render-service.js';
import type { ServiceDefinition } from '../../openpai/tree/service-definition.js';
import type { KubeApi } from '../../ports/kube-api.js';
import { createApplier } from '../apply/apply.js';
import { runServiceSteps, ServiceStepError, type StepRecord, type WorkloadWaiter } from './run-steps.js';

export type ServiceOperation = 'start' | 'stop' | 'delete';

export interface ServicesRunOptions {
  readonly operation: ServiceOperation;
  readonly api: KubeApi;
  readonly tree: OpenpaiTree;
  /** `cluster_cfg`, the cluster object model. */
  readonly cfg: Readonly<Record<string, unknown>>;
  readonly render: TemplateRenderer;
  /** The recipe of a service of the tree (a generic one for services pai-deploy does not know). */
  readonly recipeFor: (service: string) => ServiceRecipe;
  readonly waiter: WorkloadWaiter;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  /** How long one wait step may take. */
  readonly timeoutMs: number;
  /** `-n NAME…`: only these services, in their order among themselves; all of the tree's when undefined. */
  readonly only?: readonly string[];
  readonly onEvent?: (event: ServiceEvent) => void;
  /** Reads a file of this machine a recipe stages into its deploy folder (pylon's certificate); throws when missing. */
  readonly readLocalFile?: (path: string) => string;
}

export interface ServiceEvent {
  readonly service: string;
  readonly type: 'begin' | 'record' | 'progress' | 'end' | 'skipped';
  readonly text: string;
}

export type ServiceOutcomeKind = 'changed' | 'unchanged' | 'skipped' | 'failed' | 'not-run';

export interface ServiceOutcome {
  readonly service: string;
  readonly outcome: ServiceOutcomeKind;
  readonly records: readonly StepRecord[];
  /** Why it was skipped, or what failed. */
  readonly reason?: string;
  readonly elapsedMs: number;
}

export interface ServicesRunResult {
  /** The layers in the order they ran (reversed for stop and delete). */
  readonly plan: ServicePlan;
  readonly outcomes: readonly ServiceOutcome[];
}

/** Services of one layer failed: the run stopped after that layer. Each failure's own error is in `failures`. */
export class ServicesFailedError extends PaiDeployError {
  readonly failures: readonly ServiceStepError[];
  constructor(operation: ServiceOperation, failures: readonly ServiceStepError[]) {
    super(
      `${failures.length} services failed to ${operation}:\n${failures.map((failure) => `  - ${failure.message}`).join('\n')}`,
      {
        exitCode: ExitCode.failed,
        hint: 'Fix the causes above and run the command again: services that finished are left as they are, and a rerun changes nothing there.',
      },
    );
    this.failures = failures;
  }
}

/**
 * Starts, stops or deletes OpenPAI's services: every service of the tree, in layers by prerequisites (start), or
 * the reverse (stop, delete); the services of one layer at the same time, each one's steps in order. Every
 * template is rendered before anything is written (a template error leaves the cluster untouched); a failure lets
 * the other services of its layer finish and stops before the next layer.
 */
export async function runServices(options: ServicesRunOptions): Promise<ServicesRunResult> {
  const emit = options.onEvent ?? (() => undefined);
  const { contexts, plan: selected } = prepareServices(options);
  const { layers } = selected;
  // Render and stage all first: a template that fails or a certificate that is missing must fail before the first
  // write.
  renderAll({ contexts, plan: selected }, options);

  const outcomes: ServiceOutcome[] = selected.skipped.map(({ name, reason }) => {
    emit({ service: name, type: 'skipped', text: reason });
    return { service: name, outcome: 'skipped', records: [], reason, elapsedMs: 0 };
  });
  const applier = createApplier(options.api, { dryRun: options.dryRun, signal: options.signal });
  const failures: ServiceStepError[] = [];
  for (const layer of layers) {
    if (failures.length > 0) {
      for (const name of layer) outcomes.push({ service: name, outcome: 'not-run', records: [], elapsedMs: 0 });
      continue;
    }
    const results = await settleBounded(layer, SERVICES_AT_ONCE, async (name): Promise<ServiceOutcome> => {
      const started = Date.now();
      const { context, rendered } = contexts.get(name)!;
      const recipe = options.recipeFor(name);
      const steps =
        options.operation === 'start'
          ? recipe.start(context)
          : options.operation === 'stop'
            ? recipe.stop(context)
            : recipe.delete(context);
      emit({ service: name, type: 'begin', text: `${options.operation} ${name}` });
      const records = await runServiceSteps(steps, {
        service: name,
        api: options.api,
        applier,
        waiter: options.waiter,
        rendered: rendered(),
        deployRules: options.tree.services.find((service) => service.name === name)?.deployRules ?? [],
        dryRun: options.dryRun,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onRecord: (record) => emit({ service: name, type: 'record', text: record.text }),
        onProgress: (line) => emit({ service: name, type: 'progress', text: line }),
      });
      const changed = records.some((record) => record.changed);
      const outcome: ServiceOutcome = {
        service: name,
        outcome: changed ? 'changed' : 'unchanged',
        records,
        elapsedMs: Date.now() - started,
      };
      emit({ service: name, type: 'end', text: changed ? 'done' : 'nothing to change' });
      return outcome;
    });
    results.forEach((result, index) => {
      const name = layer[index]!;
      if (result.status === 'fulfilled') outcomes.push(result.value);
      else {
        outcomes.push({ service: name, outcome: 'failed', records: [], reason: String(result.reason), elapsedMs: 0 });
        failures.push(
          result.reason instanceof ServiceStepError
            ? result.reason
            : new ServiceStepError(name, options.operation, result.reason),
        );
      }
    });
    // An interrupt is reported once, by the phase manager, not as each service's failure.
    options.signal.throwIfAborted();
  }
  const [only] = failures;
  if (only !== undefined && failures.length === 1) throw only;
  if (failures.length > 1) throw new ServicesFailedError(options.operation, failures);
  return { plan: selected, outcomes };
}

export interface PreparedServices {
  /** Each service's context (rendered on first use). */
  readonly contexts: ReadonlyMap<string, PreparedService>;
  /** The selected services in the order the operation runs them (reversed for stop and delete). */
  readonly plan: ServicePlan;
}

export interface PreparedService {
  readonly context: ServiceContext;
  readonly rendered: () => RenderedService;
  /** Puts a staged file into the deploy folder (under `path`, relative to deploy/). */
  readonly stage: (path: string, text: string) => void;
}

/**
 * The services of the tree with their contexts, the gates of their recipes applied (`skipped`), ordered by
 * prerequisites for the operation, and narrowed to `only`. Renders nothing yet.
 */
export function prepareServices(
  options: Pick<ServicesRunOptions, 'tree' | 'cfg' | 'render' | 'recipeFor' | 'only' | 'operation'>,
): PreparedServices {
  const { tree, cfg } = options;
  const contexts = new Map(tree.services.map((service) => [service.name, lazyContext(tree, service, cfg, options)]));
  const skipped = new Map<string, string>();
  for (const service of tree.services) {
    const reason = options.recipeFor(service.name).skipReason?.(contexts.get(service.name)!.context);
    if (reason !== undefined) skipped.set(service.name, reason);
  }
  const selected = selectLayers(orderServices(tree.services, skipped), options.only, tree.services);
  const layers = options.operation === 'start' ? selected.layers : [...selected.layers].reverse();
  return { contexts, plan: { layers, skipped: selected.skipped } };
}

/**
 * Services of one layer started at once at most. Each one's readiness wait holds a few watches (a connection each
 * for as long as it waits) and the KubeApi adapter keeps 32 connections: v1.8.0's widest layer has 13 services, and
 * 13 waits at once could hold every connection while the other requests queue behind them.
 */
const SERVICES_AT_ONCE = 6;

/** Promise.allSettled over `items`, `limit` at a time, results in the items' order. */
async function settleBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await work(items[index]!) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Stages every selected service's files (stagedFiles) and renders its deploy folder; throws at the first failure. */
export function renderAll(
  prepared: PreparedServices,
  options: Pick<ServicesRunOptions, 'recipeFor' | 'readLocalFile'>,
): void {
  for (const name of prepared.plan.layers.flat()) {
    const service = prepared.contexts.get(name)!;
    for (const file of options.recipeFor(name).stagedFiles?.(service.context) ?? []) {
      if (!options.readLocalFile) throw new Error(`internal: service ${name} stages files, and there is no reader`);
      service.stage(file.path, options.readLocalFile(file.source));
    }
    service.rendered();
  }
}

/** `-n` names: each must be a service of the tree; the plan keeps only those (a skipped one stays skipped). */
function selectLayers(
  plan: ServicePlan,
  only: readonly string[] | undefined,
  services: readonly ServiceDefinition[],
): ServicePlan {
  if (only === undefined) return plan;
  const known = services.map((service) => service.name);
  for (const name of only) {
    if (!known.includes(name)) {
      const guess = didYouMean(name, known);
      throw new UsageError(
        `no service ${name} in the OpenPAI tree`,
        `${guess !== undefined ? `Did you mean ${guess}? ` : ''}The services are: ${known.join(', ')} (pai-deploy service plan lists them in order).`,
      );
    }
  }
  const wanted = new Set(only);
  return {
    layers: plan.layers.map((layer) => layer.filter((name) => wanted.has(name))).filter((layer) => layer.length > 0),
    skipped: plan.skipped.filter((entry) => wanted.has(entry.name)),
  };
}

/** A service's context whose deploy folder is rendered on first use (a gate reads only the model). */
function lazyContext(
  tree: OpenpaiTree,
  service: ServiceDefinition,
  cfg: Readonly<Record<string, unknown>>,
  options: Pick<ServicesRunOptions, 'render'>,
): PreparedService {
  let rendered: RenderedService | undefined;
  const staged = new Map<string, string>();
  const ensure = (): RenderedService => {
    if (rendered) return rendered;
    const made = renderService(tree, service, cfg, options.render);
    const read = (path: string) => staged.get(path) ?? made.files.read(path);
    const list = (dir?: string) =>
      [...new Set([...made.files.list(), ...staged.keys()])]
        .filter(
          (path) => dir === undefined || dir === '' || dir === '.' || path.startsWith(`${dir.replace(/\/$/, '')}/`),
        )
        .sort();
    rendered = { rendered: made.rendered, files: { read, list, readService: made.files.readService } };
    return rendered;
  };
  const files: ServiceFiles = {
    read: (path) => ensure().files.read(path),
    list: (dir) => ensure().files.list(dir),
    readService: (path) => ensure().files.readService(path),
  };
  return {
    context: { service: service.name, cfg, files },
    rendered: ensure,
    stage: (path, text) => {
      staged.set(path, text);
    },
  };
}
