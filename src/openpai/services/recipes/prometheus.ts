/**
 * prometheus (OpenPAI v1.8.0 src/prometheus/deploy/): start.sh created ConfigMap prometheus-alert from alerting/
 * (the alert rules, customized.rules rendered from the configuration) and prometheus-record from recording/, then
 * applied prometheus-configmap.yaml, rbac.yaml (ServiceAccount bound to `view`) and prometheus-deployment.yaml
 * (Deployment prometheus-deployment on the master, data under <data-path>/prometheus/data), and waited for
 * app=prometheus. stop.sh deleted the Deployment, the two ConfigMaps of the manifests and alerts, the ServiceAccount
 * and the binding, but not prometheus-record; the recipe deletes it too.
 *
 * delete.sh called stop.sh, then ran the clean-up job with prometheus-delete/delete-data.sh. In v1.8.0 that script
 * only echoes (its TODO: "write script to clean ... prom's data on host"): the data stayed on the master, and it
 * stays with the recipe too, which runs the script the tree holds.
 */
import { configMapFromFolder } from '../objects/configmaps.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { cleanupJob } from './cleanup-job.js';
import { apply, applyFiles, defineRecipe, removeInReverse, waitFor, type Steps } from './steps.js';

const FILES = ['prometheus-configmap.yaml', 'rbac.yaml', 'prometheus-deployment.yaml'];

const ruleMaps = (context: ServiceContext) => [
  configMapFromFolder(context, 'prometheus-alert', 'alerting'),
  configMapFromFolder(context, 'prometheus-record', 'recording'),
];

const RULE_REFS = [
  { apiVersion: 'v1', kind: 'ConfigMap', name: 'prometheus-alert', namespace: 'default' },
  { apiVersion: 'v1', kind: 'ConfigMap', name: 'prometheus-record', namespace: 'default' },
];

const stop = (context: ServiceContext): Steps => removeInReverse([...RULE_REFS, ...refsOf(context, ...FILES)]);

export const prometheusRecipe = defineRecipe({
  service: 'prometheus',
  start: (context) => {
    const [alert, record] = ruleMaps(context);
    return [
      ...apply('ConfigMap prometheus-alert from alerting/', alert!),
      ...apply('ConfigMap prometheus-record from recording/', record!),
      ...applyFiles(...FILES),
      ...waitFor(refsOf(context, ...FILES)),
    ];
  },
  stop,
  delete: (context) => [...stop(context), ...cleanupJob(context, 'prometheus-delete', 'prometheus-delete')],
});
