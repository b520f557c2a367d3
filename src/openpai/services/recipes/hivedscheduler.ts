/**
 * hivedscheduler (OpenPAI v1.8.0 src/hivedscheduler/deploy/), only when `hivedscheduler.config` is configured
 * (`|length > 1`; pai-deploy's config push computes it from the live nodes): start.sh applied
 * hivedscheduler-config.yaml (ConfigMap hivedscheduler-config), rbac.yaml, hivedscheduler-service.yaml (NodePort
 * 30096) and hivedscheduler.yaml: StatefulSet hivedscheduler-hs (the scheduler extender) and one StatefulSet
 * hivedscheduler-ds-<vc> per virtual cluster (a default scheduler per VC that calls the extender). It waited only for
 * app=hivedscheduler-hs; the recipe waits for the per-VC StatefulSets too, since jobs of a VC are not scheduled
 * until its scheduler runs. stop.sh (same gate) deleted the per-VC StatefulSets, then hivedscheduler-hs, the
 * Service, the ConfigMap, the binding and the ServiceAccount; delete.sh only called stop.sh.
 */
import { hivedConfigured } from '../objects/cfg.js';
import { filesRecipe } from './files-recipe.js';

export const hivedschedulerRecipe = filesRecipe(
  'hivedscheduler',
  ['hivedscheduler-config.yaml', 'rbac.yaml', 'hivedscheduler-service.yaml', 'hivedscheduler.yaml'],
  {
    skipReason: (context) =>
      hivedConfigured(context) ? undefined : 'hivedscheduler.config is empty (enable_hived_scheduler is false)',
    stopGated: true,
  },
);
