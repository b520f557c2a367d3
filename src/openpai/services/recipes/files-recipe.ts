/**
 * The shape most of OpenPAI's services have: start.sh applies a few manifests in order and waits for the
 * workload; stop.sh deletes what they created; delete.sh only calls stop.sh.
 */
import type { ServiceContext, ServiceRecipe } from '../recipe.js';
import { refsOf } from '../objects/manifests.js';
import { applyFiles, defineRecipe, removeInReverse, waitFor, type Steps } from './steps.js';

export interface FilesRecipeOptions {
  /** start.sh's gate: when it returns a reason, start does nothing. */
  skipReason?: (context: ServiceContext) => string | undefined;
  /** Whether stop.sh had the same gate (its template rendered to nothing when the gate was closed). */
  stopGated?: boolean;
}

/** A recipe that applies `paths` in order, waits for their workloads, and on stop deletes their objects in reverse. */
export function filesRecipe(
  service: string,
  paths: readonly string[],
  options: FilesRecipeOptions = {},
): ServiceRecipe {
  const closed = (context: ServiceContext) => options.skipReason?.(context) !== undefined;
  const stop = (context: ServiceContext): Steps =>
    options.stopGated && closed(context) ? [] : removeInReverse(refsOf(context, ...paths));
  return defineRecipe({
    service,
    ...(options.skipReason ? { skipReason: options.skipReason } : {}),
    start: (context) => (closed(context) ? [] : [...applyFiles(...paths), ...waitFor(refsOf(context, ...paths))]),
    stop,
    delete: stop,
  });
}
