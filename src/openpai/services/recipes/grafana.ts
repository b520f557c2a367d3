/**
 * grafana (OpenPAI v1.8.0 src/grafana/deploy/): start.sh (configmap-create.sh) minified every rendered dashboard
 * and datasource under grafana-configuration/ with minify.py and created ConfigMap grafana-configuration from
 * them (retrying up to five times until `kubectl get configmap` showed it), then applied grafana.yaml (Deployment
 * grafana on the master) and waited for app=grafana. stop.sh deleted the Deployment and the ConfigMap; delete.sh
 * only called stop.sh.
 */
import { configMapFromFolder, minifyJson } from '../objects/configmaps.js';
import { ServiceFileError } from '../objects/errors.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { apply, applyFiles, defineRecipe, ref, removeInReverse, waitFor, type Steps } from './steps.js';

const DASHBOARDS = 'grafana-configuration';
const CONFIGMAP = ref('v1', 'ConfigMap', 'grafana-configuration');

/** configmap-create.sh took the files matching `find -regex ".*json"`: the rendered `.json` ones. */
function dashboards(context: ServiceContext) {
  return configMapFromFolder(context, CONFIGMAP.name, DASHBOARDS, {
    include: (name) => name.endsWith('json'),
    transform: (text, path) => {
      try {
        return minifyJson(text);
      } catch (error) {
        throw new ServiceFileError(
          context.service,
          path,
          `is not JSON: ${error instanceof Error ? error.message : String(error)}`,
          'The dashboard is rendered from its .json.template: check the template and the values it reads.',
        );
      }
    },
  });
}

const stop = (context: ServiceContext): Steps => removeInReverse([CONFIGMAP, ...refsOf(context, 'grafana.yaml')]);

export const grafanaRecipe = defineRecipe({
  service: 'grafana',
  start: (context) => {
    const configMap = dashboards(context);
    return [
      ...apply(`ConfigMap grafana-configuration from ${DASHBOARDS}/ (JSON minified)`, configMap),
      ...applyFiles('grafana.yaml'),
      ...waitFor(refsOf(context, 'grafana.yaml')),
    ];
  },
  stop,
  delete: stop,
});
