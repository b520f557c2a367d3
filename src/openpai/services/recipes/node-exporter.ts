/**
 * node-exporter (OpenPAI v1.8.0 src/node-exporter/deploy/): start.sh applied node-exporter.yaml (DaemonSet node-exporter,
 * on every node not labelled no-nodeexporter) and waited for app=node-exporter; stop.sh deleted the DaemonSet;
 * delete.sh only called stop.sh (the exporter keeps no data of its own).
 */
import { filesRecipe } from './files-recipe.js';

export const nodeExporterRecipe = filesRecipe('node-exporter', ['node-exporter.yaml']);
