/**
 * alert-manager (OpenPAI v1.8.0 src/alert-manager/deploy/): start.sh, when the alert handler is configured and the
 * `email-admin` action available, created ConfigMap alert-templates with `<template>-html.ejs` and
 * `<template>-subject.ejs` of every email template (alert-templates/<template>/); then applied rbac.yaml,
 * alert-manager-configmap.yaml (ConfigMap alertmanager-configmap), alert-manager-deployment.yaml (Deployment
 * alertmanager on the master), alert-manager-cert-expiration-check-cronjob.yaml (CronJob cert-expiration-checker)
 * and, when cluster-utilization is configured, alert-manager-cronjob.yaml (CronJob cluster-utilization); then
 * waited for app=alertmanager. The CronJobs are not waited for: they run on their schedule.
 *
 * stop.sh deleted alert-templates, `configmap/alertmanager` (a name that does not exist: alertmanager-configmap
 * stayed; the recipe deletes the real one), the Deployment, both CronJobs (whether configured or not), the binding,
 * the ClusterRole and the ServiceAccount. delete.sh only called stop.sh.
 */
import { alertManagerSettings } from '../objects/cfg.js';
import { configMapFromFiles } from '../objects/configmaps.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { apply, applyFiles, defineRecipe, ref, removeInReverse, waitFor, type Steps } from './steps.js';

const TEMPLATES = ref('v1', 'ConfigMap', 'alert-templates');
const ALWAYS = [
  'rbac.yaml',
  'alert-manager-configmap.yaml',
  'alert-manager-deployment.yaml',
  'alert-manager-cert-expiration-check-cronjob.yaml',
];
const CLUSTER_UTILIZATION = 'alert-manager-cronjob.yaml';

/** alert_manager.py's list: the folders of alert-templates/ that hold both files, sorted. */
function templateFolders(context: ServiceContext): string[] {
  const names = new Set<string>();
  for (const path of context.files.list('alert-templates')) {
    const [, folder, file, ...rest] = path.split('/');
    if (folder === undefined || rest.length > 0 || file !== 'html.ejs') continue;
    if (context.files.read(`alert-templates/${folder}/subject.ejs`) !== undefined) names.add(folder);
  }
  return [...names].sort();
}

function emailTemplates(context: ServiceContext, templates: readonly string[]) {
  return configMapFromFiles(
    context,
    TEMPLATES.name,
    templates.flatMap((template) => [
      { key: `${template}-html.ejs`, path: `alert-templates/${template}/html.ejs` },
      { key: `${template}-subject.ejs`, path: `alert-templates/${template}/subject.ejs` },
    ]),
  );
}

const stop = (context: ServiceContext): Steps =>
  removeInReverse([TEMPLATES, ...refsOf(context, ...ALWAYS, CLUSTER_UTILIZATION)]);

export const alertManagerRecipe = defineRecipe({
  service: 'alert-manager',
  start: (context) => {
    const settings = alertManagerSettings(context);
    const templates = settings.emailTemplates === 'from-folder' ? templateFolders(context) : settings.emailTemplates;
    const files = settings.clusterUtilization ? [...ALWAYS, CLUSTER_UTILIZATION] : ALWAYS;
    return [
      ...(templates
        ? apply('ConfigMap alert-templates (the email templates)', emailTemplates(context, templates))
        : []),
      ...applyFiles(...files),
      ...waitFor(refsOf(context, ...files)),
    ];
  },
  stop,
  delete: stop,
});
