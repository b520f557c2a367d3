/**
 * dshuttle-csi (OpenPAI v1.8.0 src/dshuttle-csi/deploy/), only with `cluster.common.dshuttle == 'true'`: start.sh
 * applied dshuttle-csi-driver.yaml (CSIDriver dshuttle, storage.k8s.io/v1beta1 then) and dshuttle-csi-daemon.yaml
 * (DaemonSet dshuttle-csi-daemon on the workers), then waited for app=dshuttle-csi-daemon. stop.sh, under the same
 * gate, deleted the DaemonSet and the CSIDriver; delete.sh only called stop.sh.
 */
import { dshuttleEnabled } from '../objects/cfg.js';
import { filesRecipe } from './files-recipe.js';

export const dshuttleCsiRecipe = filesRecipe('dshuttle-csi', ['dshuttle-csi-driver.yaml', 'dshuttle-csi-daemon.yaml'], {
  skipReason: (context) => (dshuttleEnabled(context) ? undefined : "cluster.common.dshuttle is not 'true'"),
  stopGated: true,
});
