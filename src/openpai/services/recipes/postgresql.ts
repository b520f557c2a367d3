/**
 * postgresql (OpenPAI v1.8.0 src/postgresql/deploy/): start.sh applied postgresql.yaml (DaemonSet postgresql-ds on
 * the master, its data in the internal storage) and waited for app=postgresql; stop.sh deleted the DaemonSet;
 * delete.sh only called stop.sh: the data goes with internal-storage's delete.
 */
import { filesRecipe } from './files-recipe.js';

export const postgresqlRecipe = filesRecipe('postgresql', ['postgresql.yaml']);
