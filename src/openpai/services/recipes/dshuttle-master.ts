/**
 * dshuttle-master (OpenPAI v1.8.0 src/dshuttle-master/deploy/; dshuttle is an Alluxio-based data cache), only with
 * `cluster.common.dshuttle == 'true'`: start.sh created ConfigMap dshuttle-log-config from log4j.properties and the
 * pull secret dshuttle-regcred for dshuttle.azurecr.io (`kubectl create secret docker-registry` with
 * `dshuttle.registry_username`/`registry_password`), applied dshuttle-config.yaml, dshuttle-service.yaml and
 * dshuttle-master.yaml (StatefulSet dshuttle-master on the master), and waited for app=dshuttle-master. stop.sh
 * (same gate) deleted the StatefulSet (foreground, until gone), the Service, both ConfigMaps and the secret.
 *
 * delete.sh called stop.sh and then ran the clean-up job with dshuttle-master-delete/delete-data.sh (it empties
 * /mnt/journal and /mnt/ufs and removes master logs under the DaemonSet's host mounts) without any gate: on a
 * cluster that never ran dshuttle it wiped those paths all the same. The recipe runs it only when dshuttle is on.
 */
import { dshuttleEnabled, dshuttleRegistry } from '../objects/cfg.js';
import { configMapFromFiles } from '../objects/configmaps.js';
import { refsOf } from '../objects/manifests.js';
import { dockerConfigJson, dockerConfigSecret } from '../objects/registry-secret.js';
import type { ServiceContext } from '../recipe.js';
import { cleanupJob } from './cleanup-job.js';
import { apply, applyFiles, defineRecipe, ref, removeInReverse, waitFor, type Steps } from './steps.js';

const FILES = ['dshuttle-config.yaml', 'dshuttle-service.yaml', 'dshuttle-master.yaml'];
const REGISTRY = 'dshuttle.azurecr.io';
const LOG_CONFIG = ref('v1', 'ConfigMap', 'dshuttle-log-config');
const REGCRED = ref('v1', 'Secret', 'dshuttle-regcred');

const skipReason = (context: ServiceContext) =>
  dshuttleEnabled(context) ? undefined : "cluster.common.dshuttle is not 'true'";

const stop = (context: ServiceContext): Steps =>
  skipReason(context) ? [] : removeInReverse([LOG_CONFIG, REGCRED, ...refsOf(context, ...FILES)]);

export const dshuttleMasterRecipe = defineRecipe({
  service: 'dshuttle-master',
  skipReason,
  start: (context) => {
    if (skipReason(context)) return [];
    const login = { server: REGISTRY, ...dshuttleRegistry(context) };
    return [
      ...apply(
        'ConfigMap dshuttle-log-config from log4j.properties',
        configMapFromFiles(context, LOG_CONFIG.name, [{ key: 'log4j.properties', path: 'log4j.properties' }]),
      ),
      ...apply(
        `Secret dshuttle-regcred (image pull secret for ${REGISTRY})`,
        dockerConfigSecret(REGCRED.name, 'default', dockerConfigJson(login)),
      ),
      ...applyFiles(...FILES),
      ...waitFor(refsOf(context, ...FILES)),
    ];
  },
  stop,
  delete: (context) =>
    skipReason(context)
      ? []
      : [...stop(context), ...cleanupJob(context, 'dshuttle-master-delete', 'dshuttle-master-delete')],
});
