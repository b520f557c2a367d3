/**
 * fluentd (OpenPAI v1.8.0 src/fluentd/deploy/), only with `cluster.common.job-history == 'true'`: start.sh applied
 * fluentd-config.yaml (ConfigMap fluentd-config) and fluentd.yaml (DaemonSet fluentd-ds on the master, which ships
 * the job history into postgresql), then waited for app=fluentd. Its stop.sh and delete.sh were templates with the
 * same gate: deleting the DaemonSet and the ConfigMap.
 */
import { jobHistoryEnabled } from '../objects/cfg.js';
import { filesRecipe } from './files-recipe.js';

export const fluentdRecipe = filesRecipe('fluentd', ['fluentd-config.yaml', 'fluentd.yaml'], {
  skipReason: (context) => (jobHistoryEnabled(context) ? undefined : "cluster.common.job-history is not 'true'"),
  stopGated: true,
});
