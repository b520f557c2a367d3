/**
 * k8s-dashboard (OpenPAI v1.8.0 src/k8s-dashboard/deploy/), only when `cluster.common.k8s-rbac != 'false'`:
 * start.sh created Secret kubernetes-dashboard-certs-openpai in kube-system from certs/ (pylon's certificate and
 * key as tls.crt and tls.key when pylon.ssl is set, else an empty secret: the dashboard then makes its own),
 * applied rbac.yaml (ServiceAccount, Role and RoleBinding in kube-system) and k8s-dashboard.yaml (Deployment
 * kubernetes-dashboard-openpai in kube-system, on the master) and did not wait at all; the recipe waits for the
 * Deployment. stop.sh (same gate) deleted the Deployment, the RoleBinding, the ServiceAccount, the Role and the
 * secret; delete.sh only called stop.sh.
 *
 * Its service.yaml lists only docker-cache as prerequisite (not cluster-configuration): it starts early.
 */
import { k8sRbacNotFalse, pylonSsl } from '../objects/cfg.js';
import { opaqueSecret } from '../objects/cluster-objects.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { dashboardCertificateFiles, readStaged } from './staged-files.js';
import { apply, applyFiles, defineRecipe, ref, removeInReverse, waitFor, type Steps } from './steps.js';

const FILES = ['rbac.yaml', 'k8s-dashboard.yaml'];
const CERTS = ref('v1', 'Secret', 'kubernetes-dashboard-certs-openpai', 'kube-system');

const skipReason = (context: ServiceContext) =>
  k8sRbacNotFalse(context) ? undefined : "cluster.common.k8s-rbac is 'false'";

const stop = (context: ServiceContext): Steps =>
  skipReason(context) ? [] : removeInReverse([CERTS, ...refsOf(context, ...FILES)]);

export const k8sDashboardRecipe = defineRecipe({
  service: 'k8s-dashboard',
  skipReason,
  stagedFiles: (context) => {
    const ssl = pylonSsl(context);
    return ssl ? dashboardCertificateFiles(ssl) : [];
  },
  start: (context) => {
    if (skipReason(context)) return [];
    const ssl = pylonSsl(context);
    const certs = ssl ? readStaged(context, dashboardCertificateFiles(ssl)) : {};
    return [
      ...apply(
        `Secret kube-system/${CERTS.name} (${ssl ? "pylon's certificate and key" : 'empty: the dashboard makes its own'})`,
        opaqueSecret(CERTS.name, 'kube-system', certs),
      ),
      ...applyFiles(...FILES),
      ...waitFor(refsOf(context, ...FILES)),
    ];
  },
  stop,
  delete: stop,
});
