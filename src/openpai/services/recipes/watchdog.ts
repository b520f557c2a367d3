/**
 * watchdog (OpenPAI v1.8.0 src/watchdog/deploy/): start.sh applied rbac.yaml (ServiceAccount watchdog-account,
 * ClusterRole watchdog-role, ClusterRoleBinding watchdog-role-binding) and watchdog.yaml (Deployment watchdog on
 * the master), then waited for app=watchdog. stop.sh deleted the Deployment, the binding and the ServiceAccount,
 * and meant to delete the ClusterRole but named it `clusterrolebinding/watchdog-role`, so the role stayed; the
 * recipe deletes every object start created. delete.sh only called stop.sh.
 */
import { filesRecipe } from './files-recipe.js';

export const watchdogRecipe = filesRecipe('watchdog', ['rbac.yaml', 'watchdog.yaml']);
