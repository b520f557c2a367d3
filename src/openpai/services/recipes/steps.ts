/**
 * The vocabulary the recipes are written in: small constructors of ServiceSteps, and the rule by which a stop
 * undoes a start (the objects start created, deleted in the reverse order, workloads waited out).
 */
import type { KubeObject, KubeObjectRef } from '../../../ports/kube-api.js';
import { isWorkload, refIn } from '../objects/manifests.js';
import type { ServiceContext, ServiceRecipe, ServiceStep } from '../recipe.js';

export type Steps = ServiceStep[];

/** `kubectl apply -f` of deploy-folder files, in order (one step per file keeps the order visible). */
export function applyFiles(...paths: string[]): Steps {
  return paths.map((path) => ({ kind: 'apply-files', paths: [path] }));
}

export function apply(what: string, ...objects: KubeObject[]): Steps {
  return objects.length === 0 ? [] : [{ kind: 'apply', what, objects }];
}

export function createOnce(what: string, ref: KubeObjectRef, make: () => KubeObject): Steps {
  return [{ kind: 'create-once', what, ref, make }];
}

/** Wait for these workloads; nothing when there are none (a `wait` without refs would mean all applied so far). */
export function waitFor(refs: readonly KubeObjectRef[]): Steps {
  const workloads = refs.filter(isWorkload);
  return workloads.length === 0 ? [] : [{ kind: 'wait', refs: workloads }];
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), for step descriptions. */
export function describeRef(ref: KubeObjectRef): string {
  return `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}

/**
 * Delete these objects (a missing one is fine). Workloads are waited out (gone, pods and all: paictl's
 * update_resource deleted them in the foreground and polled until they were), so the next start, or a clean-up
 * DaemonSet, finds their host ports and host paths free.
 */
export function remove(refs: readonly KubeObjectRef[], waitGone = refs.some(isWorkload)): Steps {
  if (refs.length === 0) return [];
  return [{ kind: 'delete', what: refs.map(describeRef).join(', '), refs: [...refs], waitGone }];
}

/**
 * The undo of a start: these objects (in the order start created them) deleted last-first, each run of workloads
 * in a step that waits until they are gone, each run of other objects in a step of its own.
 */
export function removeInReverse(refsInStartOrder: readonly KubeObjectRef[]): Steps {
  const reversed = dedupe([...refsInStartOrder].reverse());
  const steps: Steps = [];
  let run: KubeObjectRef[] = [];
  const flush = () => {
    steps.push(...remove(run));
    run = [];
  };
  for (const ref of reversed) {
    if (run.length > 0 && isWorkload(run[0]!) !== isWorkload(ref)) flush();
    run.push(ref);
  }
  flush();
  return steps;
}

function dedupe(refs: KubeObjectRef[]): KubeObjectRef[] {
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const refsOfObjects = (objects: readonly KubeObject[]): KubeObjectRef[] => objects.map(refIn);

/** A ref built by hand (objects the recipe names but does not build here), namespace explicit. */
export function ref(apiVersion: string, kind: string, name: string, namespace?: string): KubeObjectRef {
  return refIn({ apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace } });
}

/**
 * A recipe gated on a condition of its start.sh: start does nothing (and skipReason says why) when the gate is
 * closed. Whether stop and delete are gated too follows each service's own scripts (see the recipes).
 */
export function gateReason(
  context: ServiceContext,
  gate: (context: ServiceContext) => boolean,
  reason: string,
): string | undefined {
  return gate(context) ? undefined : reason;
}

/** For recipe modules: a typed identity, so each file declares a ServiceRecipe. */
export const defineRecipe = (recipe: ServiceRecipe): ServiceRecipe => recipe;
