/**
 * log-manager (OpenPAI v1.8.0 src/log-manager/deploy/): start.sh applied log-manager.yaml (DaemonSet log-manager-ds,
 * on every node not labelled no-logmanager) and waited for app=log-manager; stop.sh deleted the DaemonSet;
 * delete.sh only called stop.sh.
 */
import { filesRecipe } from './files-recipe.js';

export const logManagerRecipe = filesRecipe('log-manager', ['log-manager.yaml']);
