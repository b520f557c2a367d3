/**
 * dshuttle-worker (OpenPAI v1.8.0 src/dshuttle-worker/deploy/), only with `cluster.common.dshuttle == 'true'`:
 * start.sh applied dshuttle-worker.yaml (DaemonSet dshuttle-worker on the workers) and waited for
 * app=dshuttle-worker; stop.sh (same gate) deleted the DaemonSet. delete.sh called stop.sh and then, without a
 * gate, ran the clean-up job with dshuttle-worker-delete/delete-data.sh (empties /mnt/ssd, removes worker logs); the
 * recipe runs it only when dshuttle is on (see dshuttle-master).
 */
import { dshuttleEnabled } from '../objects/cfg.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { cleanupJob } from './cleanup-job.js';
import { applyFiles, defineRecipe, removeInReverse, waitFor, type Steps } from './steps.js';

const skipReason = (context: ServiceContext) =>
  dshuttleEnabled(context) ? undefined : "cluster.common.dshuttle is not 'true'";

const stop = (context: ServiceContext): Steps =>
  skipReason(context) ? [] : removeInReverse(refsOf(context, 'dshuttle-worker.yaml'));

export const dshuttleWorkerRecipe = defineRecipe({
  service: 'dshuttle-worker',
  skipReason,
  start: (context) =>
    skipReason(context)
      ? []
      : [...applyFiles('dshuttle-worker.yaml'), ...waitFor(refsOf(context, 'dshuttle-worker.yaml'))],
  stop,
  delete: (context) =>
    skipReason(context)
      ? []
      : [...stop(context), ...cleanupJob(context, 'dshuttle-worker-delete', 'dshuttle-worker-delete')],
});
