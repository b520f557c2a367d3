/**
 * marketplace-webportal (OpenPAI v1.8.0 src/marketplace-webportal/deploy/): start.sh applied
 * marketplace-webportal.yaml (DaemonSet marketplace-webportal-ds on the master) and waited for
 * app=marketplace-webportal; stop.sh deleted the DaemonSet; delete.sh only called stop.sh. Started whatever
 * `cluster.common.marketplace` says, as v1.8.0 did.
 */
import { filesRecipe } from './files-recipe.js';

export const marketplaceWebportalRecipe = filesRecipe('marketplace-webportal', ['marketplace-webportal.yaml']);
