/**
 * job-exporter (OpenPAI v1.8.0 src/job-exporter/deploy/): start.sh applied job-exporter.yaml (DaemonSet job-exporter,
 * on every node not labelled no-jobexporter) and waited for app=job-exporter; stop.sh deleted the DaemonSet;
 * delete.sh only called stop.sh.
 */
import { filesRecipe } from './files-recipe.js';

export const jobExporterRecipe = filesRecipe('job-exporter', ['job-exporter.yaml']);
