/**
 * pylon (OpenPAI v1.8.0 src/pylon/deploy/), the nginx in front of every web service: start.sh, when `pylon.ssl`
 * is set, copied the certificate and key (`pylon.ssl.crt_path`, `key_path`, paths on the dev-box) into
 * https-config/ and created ConfigMap https-config from it; then created ConfigMap pylon-config from pylon-config/
 * (nginx.conf.template and location.conf.template, which the pylon container renders itself at start with
 * render.py, and the rendered run.sh), applied pylon.yaml (DaemonSet pylon-ds on the master, host ports 80 and
 * the ssl port) and waited for app=pylon. stop.sh deleted the DaemonSet, a Service `pylon` (none exists since
 * pylon runs on host ports; a leftover of older releases) and both ConfigMaps; delete.sh only called stop.sh.
 *
 * The certificate files must be staged into the deploy folder by the deployer (staged-files.ts). The two nginx
 * templates are not paictl templates (not in the template-list) but static files of the tree; a deploy folder that
 * leaves every `.template` file out still gets them, read from the service's folder.
 */
import { pylonSsl } from '../objects/cfg.js';
import { configMap, configMapFromFolder } from '../objects/configmaps.js';
import { ServiceFileError } from '../objects/errors.js';
import { refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { pylonCertificateFiles, readStaged } from './staged-files.js';
import { apply, applyFiles, defineRecipe, ref, removeInReverse, waitFor, type Steps } from './steps.js';

const HTTPS_CONFIG = ref('v1', 'ConfigMap', 'https-config');
const PYLON_CONFIG = ref('v1', 'ConfigMap', 'pylon-config');

/** Rendered by pylon's container itself at start (render.py), so they go into pylon-config as they are. */
const RUNTIME_TEMPLATES = ['nginx.conf.template', 'location.conf.template'];

function pylonConfig(context: ServiceContext) {
  const configMapObject = configMapFromFolder(context, PYLON_CONFIG.name, 'pylon-config');
  const data = configMapObject['data'] as Record<string, string>;
  for (const name of RUNTIME_TEMPLATES) {
    if (data[name] !== undefined) continue;
    const text = context.files.readService(`deploy/pylon-config/${name}`);
    if (text === undefined)
      throw new ServiceFileError(
        context.service,
        `pylon-config/${name}`,
        'is missing: pylon renders its nginx configuration from it at start',
      );
    data[name] = text;
  }
  return configMap(PYLON_CONFIG.name, Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))));
}

const stop = (context: ServiceContext): Steps =>
  removeInReverse([HTTPS_CONFIG, PYLON_CONFIG, ...refsOf(context, 'pylon.yaml')]);

export const pylonRecipe = defineRecipe({
  service: 'pylon',
  stagedFiles: (context) => {
    const ssl = pylonSsl(context);
    return ssl ? pylonCertificateFiles(ssl) : [];
  },
  start: (context) => {
    const ssl = pylonSsl(context);
    return [
      ...(ssl
        ? apply(
            'ConfigMap https-config (the TLS certificate and key of pylon.ssl)',
            configMap(HTTPS_CONFIG.name, readStaged(context, pylonCertificateFiles(ssl))),
          )
        : []),
      ...apply('ConfigMap pylon-config from pylon-config/', pylonConfig(context)),
      ...applyFiles('pylon.yaml'),
      ...waitFor(refsOf(context, 'pylon.yaml')),
    ];
  },
  stop,
  delete: stop,
});
