/**
 * marketplace-restserver (OpenPAI v1.8.0 src/marketplace-restserver/deploy/): start.sh applied
 * marketplace-restserver.yaml (DaemonSet marketplace-restserver-ds on the master) and waited for
 * app=marketplace-restserver; stop.sh deleted the DaemonSet; delete.sh only called stop.sh. Started whatever
 * `cluster.common.marketplace` says, as v1.8.0 did.
 */
import { filesRecipe } from './files-recipe.js';

export const marketplaceRestserverRecipe = filesRecipe('marketplace-restserver', ['marketplace-restserver.yaml']);
