/**
 * frameworkcontroller (OpenPAI v1.8.0 src/frameworkcontroller/deploy/): start.sh applied
 * frameworkcontroller-config.yaml (ConfigMap frameworkcontroller-config), rbac.yaml (ServiceAccount bound to
 * cluster-admin) and frameworkcontroller.yaml (StatefulSet frameworkcontroller-sts on the master), then waited for
 * app=frameworkcontroller. The controller registers the `frameworks.frameworkcontroller.microsoft.com` CRD itself
 * when it starts, so no manifest holds it.
 *
 * stop.sh deleted the StatefulSet (foreground, until gone), the ConfigMap, the binding and the ServiceAccount, and
 * kept the CRD and every Framework: jobs keep running without their controller. delete.sh first deleted all
 * Frameworks (in a loop until `kubectl get frameworks` listed none) while the controller still ran, so it could
 * clean up their pods, then the CRD, then called stop.sh.
 */
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { applyFiles, defineRecipe, ref, remove, removeInReverse, waitFor, type Steps } from './steps.js';

const FILES = ['frameworkcontroller-config.yaml', 'rbac.yaml', 'frameworkcontroller.yaml'];

export const FRAMEWORK_API_VERSION = 'frameworkcontroller.microsoft.com/v1';

/** The CRD as Kubernetes 1.15 serves it (apiextensions.k8s.io/v1 came with 1.16): the deployer maps the version. */
export const FRAMEWORK_CRD = ref(
  'apiextensions.k8s.io/v1beta1',
  'CustomResourceDefinition',
  'frameworks.frameworkcontroller.microsoft.com',
);

const stop = (context: ServiceContext): Steps => removeInReverse(refsOf(context, ...FILES));

export const frameworkcontrollerRecipe = defineRecipe({
  service: 'frameworkcontroller',
  start: (context) => [...applyFiles(...FILES), ...waitFor(refsOf(context, ...FILES))],
  stop,
  delete: (context) => [
    // Every namespace: OpenPAI's jobs are in default, and deleting the CRD would take any others anyway.
    {
      kind: 'delete-all',
      what: 'every Framework (all jobs)',
      apiVersion: FRAMEWORK_API_VERSION,
      kindName: 'Framework',
    },
    // Waiting for the CRD to be gone is waiting for the last Framework to be gone: the API server deletes the CRD
    // only after all its objects (delete.sh's `until kubectl get frameworks | wc -l == 0` loop).
    ...remove([FRAMEWORK_CRD], true),
    ...stop(context),
  ],
});
