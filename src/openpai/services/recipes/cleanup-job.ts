/**
 * The data clean-up of prometheus's and dshuttle's delete.sh: a ConfigMap holding a shell script
 * (`<name>-delete/delete-data.sh`), a DaemonSet (delete.yaml) whose `cleaning-image` container runs it against the
 * host paths and turns ready when it is done (`cat /jobstatus/jobok`), a wait for that, and both deleted again.
 * delete.yaml's name contains `delete`, so paictl gave it no deploy-rules affinity: it runs on every node.
 */
import { configMapFromFolder } from '../objects/configmaps.js';
import { refIn, refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { apply, applyFiles, remove, waitFor, type Steps } from './steps.js';

export function cleanupJob(
  context: ServiceContext,
  configMapName: string,
  folder: string,
  manifest = 'delete.yaml',
): Steps {
  const script = configMapFromFolder(context, configMapName, folder);
  const cleaner = refsOf(context, manifest);
  return [
    ...apply(`ConfigMap ${configMapName} from ${folder}/ (the clean-up script)`, script),
    ...applyFiles(manifest),
    ...waitFor(cleaner),
    ...remove(cleaner),
    ...remove([refIn(script)]),
  ];
}
