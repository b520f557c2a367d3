/**
 * marketplace-db (OpenPAI v1.8.0 src/marketplace-db/deploy/): start.sh applied marketplace-db.yaml (DaemonSet
 * marketplace-db-ds on the master) and waited for app=marketplace-db; stop.sh deleted the DaemonSet; delete.sh
 * only called stop.sh, so the database files stay on the master.
 *
 * v1.8.0 started the marketplace services whatever `cluster.common.marketplace` said: that flag only wires pylon
 * and webportal to them. The recipe keeps it so (no gate).
 */
import { filesRecipe } from './files-recipe.js';

export const marketplaceDbRecipe = filesRecipe('marketplace-db', ['marketplace-db.yaml']);
