import { prepareServices } from '../../cluster/services/run-services.js';
import type { ServicePlan } from '../../openpai/service-catalog.js';
import { readOpenpaiTree } from '../../openpai/tree/read-tree.js';
import type { Phase } from '../phase.js';
import { configFiles } from './cluster-write.js';
import type { OpenpaiSourceData } from './openpai-source.js';
import { buildServiceModel, type ServiceParts } from './services.js';
import { requireCluster } from './validate.js';

export interface ServicePlanData extends OpenpaiSourceData {
  servicePlan?: ServicePlan & { tree: string };
}

/**
 * The tree's services in start order for the local configuration (the gates of each service read the cluster
 * object model built from it, as the start will from the stored copy). Contacts no cluster.
 */
export function servicePlanPhase<D extends ServicePlanData>(options: {
  only: readonly string[] | undefined;
  parts: () => Promise<ServiceParts>;
}): Phase<D> {
  return {
    id: 'service-plan',
    title: 'Plan the OpenPAI services',
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      if (ctx.data.openpaiDir === undefined) throw new Error('internal: the service plan needs the OpenPAI tree');
      const tree = readOpenpaiTree(ctx.data.openpaiDir);
      const parts = await options.parts();
      const local = configFiles(spec);
      const cfg = buildServiceModel(ctx, parts, tree, {
        layout: { path: 'layout.yaml (rendered from the local layout)', text: local['layout.yaml'] ?? '' },
        servicesConfiguration: {
          path: 'services-configuration.yaml (rendered from the local config)',
          text: local['services-configuration.yaml'] ?? '',
        },
      });
      const { plan } = prepareServices({
        operation: 'start',
        tree,
        cfg,
        render: parts.render,
        recipeFor: (name) => parts.recipeFor(name),
        ...(options.only !== undefined ? { only: options.only } : {}),
      });
      ctx.data.servicePlan = { ...plan, tree: tree.dir };
    },
  };
}
