import { ExitCode, PaiDeployError } from '../../errors.js';
import type { ServiceStep } from '../../openpai/services/recipe.js';
import { parseManifests, takesDeployRules, withDeployRules } from '../../openpai/tree/manifests.js';
import type { RenderedService } from '../../openpai/tree/render-service.js';
import type { DeployRule } from '../../openpai/tree/service-definition.js';
import { KubeApiError, refOf, type KubeApi, type KubeObject, type KubeObjectRef } from '../../ports/kube-api.js';
import type { Applier, ApplyResult } from '../apply/apply.js';
import { servedApiVersionOf } from '../apply/api-versions.js';
import { configHash, withConfigHash } from './config-hash.js';

/** Waiting for workloads: ready (with reasons when not) and gone. src/cluster/readiness/ in the product. */
export interface WorkloadWaiter {
  /** Resolves when every workload is ready; rejects with a typed error naming what is not ready and why. */
  ready(
    refs: readonly KubeObjectRef[],
    options: { timeoutMs: number; signal: AbortSignal; onProgress?: (line: string) => void },
  ): Promise<void>;
  /** Resolves when the objects (and their pods) are gone. */
  gone(refs: readonly KubeObjectRef[], options: { timeoutMs: number; signal: AbortSignal }): Promise<void>;
}

/** What one step did, for the report and the progress display. */
export interface StepRecord {
  readonly step: ServiceStep['kind'];
  /** One line: `apply rest-server.yaml: daemonset default/rest-server-ds configured`. */
  readonly text: string;
  /** True when the step wrote (or in a dry run would write) something. */
  readonly changed: boolean;
}

export interface StepRunContext {
  readonly service: string;
  readonly api: KubeApi;
  readonly applier: Applier;
  readonly waiter: WorkloadWaiter;
  readonly rendered: RenderedService;
  readonly deployRules: readonly DeployRule[];
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  /** Per wait step unless the step says otherwise. */
  readonly timeoutMs: number;
  readonly onRecord: (record: StepRecord) => void;
  readonly onProgress: (line: string) => void;
}

/** A step of a service that failed: the service, the object (kind and name) and what the server or the wait said. */
export class ServiceStepError extends PaiDeployError {
  readonly service: string;
  constructor(service: string, what: string, cause: unknown) {
    const said = cause instanceof Error ? cause.message : String(cause);
    super(`service ${service}: ${what}: ${said}`, {
      exitCode: cause instanceof PaiDeployError ? cause.exitCode : ExitCode.failed,
      hint:
        cause instanceof PaiDeployError && cause.hint !== undefined
          ? cause.hint
          : 'Fix the cause and run the command again: services already started are left as they are.',
      cause,
    });
    this.service = service;
  }
}

/** Kinds a wait without refs waits for: what a service starts and can be ready. */
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'Pod']);

/** Runs one service's steps in order; the first failure stops the service (its later steps are not run). */
export async function runServiceSteps(steps: readonly ServiceStep[], ctx: StepRunContext): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  const applied: KubeObjectRef[] = [];
  const record = (entry: StepRecord) => {
    records.push(entry);
    ctx.onRecord(entry);
  };
  // Every object the service applies, read first: its workloads carry the hash of its ConfigMaps and Secrets.
  const hash = configHash(
    steps.flatMap((step) =>
      step.kind === 'apply-files'
        ? step.paths.flatMap((path) => manifestObjects(path, ctx))
        : step.kind === 'apply'
          ? step.objects
          : [],
    ),
  );
  const hashed = (objects: readonly KubeObject[]) => objects.map((object) => withConfigHash(object, hash));
  for (const step of steps) {
    ctx.signal.throwIfAborted();
    switch (step.kind) {
      case 'apply-files':
        for (const path of step.paths) {
          const objects = hashed(manifestObjects(path, ctx));
          for (const result of await applyAll(objects, `apply ${path}`, ctx)) {
            if (WORKLOAD_KINDS.has(result.ref.kind)) applied.push(result.ref);
            record(appliedRecord(`apply ${path}`, result));
          }
        }
        break;
      case 'apply':
        for (const result of await applyAll(hashed(step.objects), step.what, ctx)) {
          if (WORKLOAD_KINDS.has(result.ref.kind)) applied.push(result.ref);
          record(appliedRecord(step.what, result));
        }
        break;
      case 'create-once':
        record(await createOnce(step, ctx));
        break;
      case 'wait': {
        const refs = step.refs ? await servedRefs(step.refs, ctx) : applied;
        if (refs.length === 0) break;
        const names = refs.map(describeRef).join(', ');
        if (ctx.dryRun) {
          record({ step: 'wait', text: `wait until ready: ${names}`, changed: false });
          break;
        }
        await guard(ctx, `waiting for ${names}`, () =>
          ctx.waiter.ready(refs, {
            timeoutMs: step.timeoutMs ?? ctx.timeoutMs,
            signal: ctx.signal,
            onProgress: ctx.onProgress,
          }),
        );
        record({ step: 'wait', text: `ready: ${names}`, changed: false });
        break;
      }
      case 'delete':
        record(await deleteNamed(step.what, await servedRefs(step.refs, ctx), step.waitGone, ctx));
        break;
      case 'delete-all': {
        const apiVersion = servedApiVersionOf({ apiVersion: step.apiVersion, kind: step.kindName }, await served(ctx));
        // A kind the server does not serve (a CRD deleted already, or never created) has no objects to delete.
        if (apiVersion === undefined) {
          record({
            step: 'delete',
            text: `${step.what}: nothing to delete (${step.kindName} is not served)`,
            changed: false,
          });
          break;
        }
        const found = await guard(ctx, step.what, () =>
          ctx.api.list(
            {
              apiVersion,
              kind: step.kindName,
              ...(step.namespace !== undefined ? { namespace: step.namespace } : {}),
              ...(step.labelSelector !== undefined ? { labelSelector: step.labelSelector } : {}),
            },
            ctx.signal,
          ),
        );
        record(await deleteNamed(step.what, found.map(refOf), false, ctx));
        break;
      }
    }
  }
  return records;
}

async function served(ctx: StepRunContext) {
  return guard(ctx, 'discovery', () => ctx.api.served(ctx.signal));
}

/**
 * The references at the group version the server serves them (a CRD written as v1beta1 is deleted as v1 on a
 * current server); references to kinds it does not serve are dropped: no such object exists there.
 */
async function servedRefs(refs: readonly KubeObjectRef[], ctx: StepRunContext): Promise<KubeObjectRef[]> {
  const resources = await served(ctx);
  return refs.flatMap((ref) => {
    const apiVersion = servedApiVersionOf(ref, resources);
    return apiVersion === undefined ? [] : [{ ...ref, apiVersion }];
  });
}

function manifestObjects(path: string, ctx: StepRunContext): KubeObject[] {
  const text = ctx.rendered.files.read(path);
  if (text === undefined) {
    throw new ServiceStepError(
      ctx.service,
      `apply ${path}`,
      new PaiDeployError(`the deploy folder has no ${path}`, {
        hint: 'Use an unmodified OpenPAI release tree (--openpai-src): the service recipe expects this file.',
      }),
    );
  }
  const objects = parseManifests(ctx.service, path, text);
  const ruled = ctx.rendered.rendered.has(path) && takesDeployRules(path);
  return ruled ? objects.map((object) => withDeployRules(object, ctx.deployRules)) : objects;
}

async function applyAll(objects: readonly KubeObject[], what: string, ctx: StepRunContext): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const object of objects) {
    results.push(await guard(ctx, `${what}: ${describeObject(object)}`, () => ctx.applier.apply(object)));
  }
  return results;
}

async function createOnce(
  step: Extract<ServiceStep, { kind: 'create-once' }>,
  ctx: StepRunContext,
): Promise<StepRecord> {
  const name = describeRef(step.ref);
  const live = await guard(ctx, `${step.what}: read ${name}`, () => ctx.api.get(step.ref, ctx.signal));
  if (live !== undefined) return { step: 'create-once', text: `${step.what}: ${name} kept as it is`, changed: false };
  await guard(ctx, `${step.what}: create ${name}`, () =>
    ctx.api.create(step.make(), { fieldManager: 'pai-deploy', dryRun: ctx.dryRun }, ctx.signal),
  );
  return { step: 'create-once', text: `${step.what}: ${name} created`, changed: true };
}

async function deleteNamed(
  what: string,
  refs: readonly KubeObjectRef[],
  waitGone: boolean,
  ctx: StepRunContext,
): Promise<StepRecord> {
  const deleted: KubeObjectRef[] = [];
  for (const ref of refs) {
    const gone = await guard(ctx, `${what}: delete ${describeRef(ref)}`, () =>
      ctx.api
        .delete(ref, { dryRun: ctx.dryRun, propagationPolicy: 'Background' }, ctx.signal)
        .catch((error: unknown) => {
          // Gone meanwhile (its kind's CRD was deleted a step before): nothing left to delete.
          if (error instanceof KubeApiError && error.status === 404) return false;
          throw error;
        }),
    );
    if (gone) deleted.push(ref);
  }
  if (waitGone && deleted.length > 0 && !ctx.dryRun) {
    await guard(ctx, `${what}: waiting until gone`, () =>
      ctx.waiter.gone(deleted, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }),
    );
  }
  const verb = ctx.dryRun ? 'would delete' : 'deleted';
  const text =
    deleted.length === 0 ? `${what}: nothing to delete` : `${what}: ${verb} ${deleted.map(describeRef).join(', ')}`;
  return { step: 'delete', text, changed: deleted.length > 0 };
}

function appliedRecord(what: string, result: ApplyResult): StepRecord {
  const outcome = result.dryRun && result.outcome !== 'unchanged' ? `would be ${result.outcome}` : result.outcome;
  return {
    step: 'apply',
    text: `${what}: ${describeRef(result.ref)} ${outcome}${result.notes.length > 0 ? ` (${result.notes.join('; ')})` : ''}`,
    changed: result.outcome !== 'unchanged',
  };
}

/** `daemonset default/node-exporter`, `clusterrole frameworkcontroller`. */
export function describeRef(ref: KubeObjectRef): string {
  return `${ref.kind.toLowerCase()} ${ref.namespace !== undefined ? `${ref.namespace}/` : ''}${ref.name}`;
}

function describeObject(object: KubeObject): string {
  return describeRef(refOf(object));
}

async function guard<T>(ctx: StepRunContext, what: string, act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    // An abort is not the service's failure: it travels as it is, for the phase manager to report once.
    if (error instanceof ServiceStepError || ctx.signal.aborted) throw error;
    throw new ServiceStepError(ctx.service, what, error);
  }
}
