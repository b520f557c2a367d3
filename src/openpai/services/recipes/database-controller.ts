/**
 * database-controller (OpenPAI v1.8.0 src/database-controller/deploy/): start.sh applied rbac.yaml (ServiceAccount
 * database-controller-account bound to cluster-admin) and database-controller.yaml (StatefulSet
 * database-controller-sts on the master), then waited for app=database-controller. stop.sh deleted the
 * StatefulSet (foreground, until gone), the binding and the ServiceAccount; delete.sh only called stop.sh (the
 * job records live in postgresql).
 */
import { filesRecipe } from './files-recipe.js';

export const databaseControllerRecipe = filesRecipe('database-controller', ['rbac.yaml', 'database-controller.yaml']);
