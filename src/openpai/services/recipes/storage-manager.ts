/**
 * storage-manager (OpenPAI v1.8.0 src/storage-manager/deploy/), only when some machine has `pai-storage: "true"`:
 * start.sh created ConfigMap storage-configuration from conf/ (exports, nsswitch.conf and the rendered smb.conf and
 * krb5.conf), applied storage-manager.yaml (DaemonSet storage-manager-ds on the pai-storage nodes: Samba and NFS on
 * host ports 445 and 2049) and waited for app=storage-manager. stop.sh was not gated: it deleted the DaemonSet and
 * the ConfigMap; delete.sh only called stop.sh, so the shared data stays on the storage machines.
 */
import { hasStorageMachine } from '../objects/cfg.js';
import { configMapFromFolder } from '../objects/configmaps.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { apply, applyFiles, defineRecipe, ref, removeInReverse, waitFor, type Steps } from './steps.js';

const CONFIGURATION = ref('v1', 'ConfigMap', 'storage-configuration');

const skipReason = (context: ServiceContext) =>
  hasStorageMachine(context) ? undefined : 'no machine has pai-storage: "true"';

const stop = (context: ServiceContext): Steps =>
  removeInReverse([CONFIGURATION, ...refsOf(context, 'storage-manager.yaml')]);

export const storageManagerRecipe = defineRecipe({
  service: 'storage-manager',
  skipReason,
  start: (context) =>
    skipReason(context)
      ? []
      : [
          ...apply(
            'ConfigMap storage-configuration from conf/',
            configMapFromFolder(context, CONFIGURATION.name, 'conf'),
          ),
          ...applyFiles('storage-manager.yaml'),
          ...waitFor(refsOf(context, 'storage-manager.yaml')),
        ],
  stop,
  delete: stop,
});
