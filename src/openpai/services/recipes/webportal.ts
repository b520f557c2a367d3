/**
 * webportal (OpenPAI v1.8.0 src/webportal/deploy/): start.sh applied webportal.yaml (DaemonSet webportal-ds on the
 * master) and waited for app=webportal; stop.sh deleted the DaemonSet; delete.sh only called stop.sh.
 */
import { filesRecipe } from './files-recipe.js';

export const webportalRecipe = filesRecipe('webportal', ['webportal.yaml']);
