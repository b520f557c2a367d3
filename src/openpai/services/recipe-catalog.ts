/**
 * The recipes of OpenPAI v1.8.0's 28 services (every `src/<service>/deploy/service.yaml` of the release), by
 * service name, and the generic recipe for any other service of an OpenPAI-shaped tree.
 *
 * Conventions every recipe keeps (recipes/steps.ts):
 * - start follows start.sh: the same objects in the same order, with its gates; it waits for every workload it
 *   started (OpenPAI's `check_pod_ready_status` waited for one `app=` label, and for device-plugin, k8s-dashboard,
 *   hivedscheduler's per-VC schedulers and openpai-runtime not at all);
 * - stop deletes what start created, last first, workloads waited out, and keeps data; where stop.sh left objects
 *   behind (misnamed or forgotten) the recipe deletes them, where stop.sh kept them on purpose so does the recipe
 *   (job-ssh-secret, device plugins, openpai-runtime's RBAC, rest-server's PriorityClass and namespaces);
 * - delete is stop, then delete.sh's clean-ups as steps (clean-up DaemonSets applied, waited for, deleted; CRDs
 *   and their objects; namespaces);
 * - a gate of start.sh gives skipReason; stop and delete are gated where OpenPAI's stop.sh/delete.sh were;
 * - refresh.sh (paictl service refresh) and upgrades from older OpenPAI releases are not covered.
 */
import type { ServiceRecipe } from './recipe.js';
import { alertManagerRecipe } from './recipes/alert-manager.js';
import { clusterConfigurationRecipe } from './recipes/cluster-configuration.js';
import { databaseControllerRecipe } from './recipes/database-controller.js';
import { devicePluginRecipe } from './recipes/device-plugin.js';
import { dockerCacheRecipe } from './recipes/docker-cache.js';
import { dshuttleCsiRecipe } from './recipes/dshuttle-csi.js';
import { dshuttleMasterRecipe } from './recipes/dshuttle-master.js';
import { dshuttleWorkerRecipe } from './recipes/dshuttle-worker.js';
import { fluentdRecipe } from './recipes/fluentd.js';
import { frameworkcontrollerRecipe } from './recipes/frameworkcontroller.js';
import { defaultRecipe } from './recipes/generic.js';
import { grafanaRecipe } from './recipes/grafana.js';
import { hivedschedulerRecipe } from './recipes/hivedscheduler.js';
import { internalStorageRecipe } from './recipes/internal-storage.js';
import { jobExporterRecipe } from './recipes/job-exporter.js';
import { k8sDashboardRecipe } from './recipes/k8s-dashboard.js';
import { logManagerRecipe } from './recipes/log-manager.js';
import { marketplaceDbRecipe } from './recipes/marketplace-db.js';
import { marketplaceRestserverRecipe } from './recipes/marketplace-restserver.js';
import { marketplaceWebportalRecipe } from './recipes/marketplace-webportal.js';
import { nodeExporterRecipe } from './recipes/node-exporter.js';
import { openpaiRuntimeRecipe } from './recipes/openpai-runtime.js';
import { postgresqlRecipe } from './recipes/postgresql.js';
import { prometheusRecipe } from './recipes/prometheus.js';
import { pylonRecipe } from './recipes/pylon.js';
import { restServerRecipe } from './recipes/rest-server.js';
import { storageManagerRecipe } from './recipes/storage-manager.js';
import { watchdogRecipe } from './recipes/watchdog.js';
import { webportalRecipe } from './recipes/webportal.js';

export { defaultRecipe } from './recipes/generic.js';
export { dashboardCertificateFiles, pylonCertificateFiles, type StagedFile } from './recipes/staged-files.js';

/** Sorted by name. */
const RECIPES: readonly ServiceRecipe[] = [
  alertManagerRecipe,
  clusterConfigurationRecipe,
  databaseControllerRecipe,
  devicePluginRecipe,
  dockerCacheRecipe,
  dshuttleCsiRecipe,
  dshuttleMasterRecipe,
  dshuttleWorkerRecipe,
  fluentdRecipe,
  frameworkcontrollerRecipe,
  grafanaRecipe,
  hivedschedulerRecipe,
  internalStorageRecipe,
  jobExporterRecipe,
  k8sDashboardRecipe,
  logManagerRecipe,
  marketplaceDbRecipe,
  marketplaceRestserverRecipe,
  marketplaceWebportalRecipe,
  nodeExporterRecipe,
  openpaiRuntimeRecipe,
  postgresqlRecipe,
  prometheusRecipe,
  pylonRecipe,
  restServerRecipe,
  storageManagerRecipe,
  watchdogRecipe,
  webportalRecipe,
];

/** The known recipes by service name. */
export const serviceRecipes: ReadonlyMap<string, ServiceRecipe> = new Map(
  RECIPES.map((recipe) => [recipe.service, recipe]),
);

/** The recipe of a service: its own when pai-deploy knows it, else the generic one (defaultRecipe). */
export function recipeFor(service: string): ServiceRecipe {
  return serviceRecipes.get(service) ?? defaultRecipe(service);
}
