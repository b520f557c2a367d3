/**
 * The recipe for a service pai-deploy does not know (an OpenPAI-shaped tree with services of its own): what most
 * start.sh files do, read from the service's service.yaml. Start applies every rendered manifest of its
 * `template-list` (entries ending in .yaml or .yml, except clean-up manifests whose name contains `delete`, which
 * only a delete.sh applies), in the listed order, and waits for their workloads; stop deletes their objects in the
 * reverse order; delete is stop (no data of its own is known). Static manifests outside the template-list and
 * anything the service's scripts did besides applying are not reproduced.
 */
import { parse } from 'yaml';
import { ServiceFileError } from '../objects/errors.js';
import { refsOf, readFile } from '../objects/manifests.js';
import type { ServiceContext, ServiceRecipe } from '../recipe.js';
import { applyFiles, defineRecipe, removeInReverse, waitFor, type Steps } from './steps.js';

/** The rendered manifests of service.yaml's template-list, in order. */
export function templateManifests(context: ServiceContext): string[] {
  let definition: unknown;
  try {
    definition = parse(readFile(context, 'service.yaml'));
  } catch (error) {
    if (error instanceof ServiceFileError) throw error;
    throw new ServiceFileError(
      context.service,
      'service.yaml',
      `is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  const list =
    typeof definition === 'object' && definition !== null
      ? (definition as Record<string, unknown>)['template-list']
      : [];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string'))
    throw new ServiceFileError(context.service, 'service.yaml', 'template-list must be a list of file paths');
  return (list as string[]).filter((path) => /\.ya?ml$/.test(path) && !path.includes('delete'));
}

export function defaultRecipe(service: string): ServiceRecipe {
  const stop = (context: ServiceContext): Steps => removeInReverse(refsOf(context, ...templateManifests(context)));
  return defineRecipe({
    service,
    start: (context) => {
      const manifests = templateManifests(context);
      return [...applyFiles(...manifests), ...waitFor(refsOf(context, ...manifests))];
    },
    stop,
    delete: stop,
  });
}
