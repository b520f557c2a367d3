/**
 * internal-storage (OpenPAI v1.8.0 src/internal-storage/deploy/): start.sh applied create.yaml (DaemonSet
 * internal-storage-create-ds on the master: a privileged pod that allocates a `quota-gb` image file under
 * `root-path`, loop-mounts it at <root-path>/storage for postgresql and others, and turns ready once it is
 * mounted) and waited for app=internal-storage-create. stop.sh deleted that DaemonSet; the storage stays.
 *
 * delete.sh deleted it too, then applied delete.yaml (DaemonSet internal-storage-delete-ds, which unmounts and
 * removes the storage, ready when done: `ls /DELETED`), waited for app=internal-storage-delete, and deleted the
 * clean-up DaemonSet again. Its name contains `delete`, so paictl gave it no deploy-rules affinity.
 */
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { applyFiles, defineRecipe, remove, removeInReverse, waitFor, type Steps } from './steps.js';

const stop = (context: ServiceContext): Steps => removeInReverse(refsOf(context, 'create.yaml'));

export const internalStorageRecipe = defineRecipe({
  service: 'internal-storage',
  start: (context) => [...applyFiles('create.yaml'), ...waitFor(refsOf(context, 'create.yaml'))],
  stop,
  delete: (context) => {
    const cleaner = refsOf(context, 'delete.yaml');
    return [...stop(context), ...applyFiles('delete.yaml'), ...waitFor(cleaner), ...remove(cleaner)];
  },
});
