/**
 * cluster-configuration (OpenPAI v1.8.0 src/cluster-configuration/deploy/), the first service: what every other
 * one reads from the cluster.
 *
 * start.sh, in order:
 * 1. configmap-create.sh: ConfigMaps host-configuration, docker-credentials and gpu-configuration from their
 *    folders (rendered from the layout; of the three only gpu-configuration is read in v1.8.0, by job-exporter),
 *    pai-version and k8s-version from the release's version/ files;
 * 2. secret-create.sh: a fresh `ssh-keygen` pair as Secret job-ssh-secret, on every start (see job-ssh-key.ts for
 *    why the recipe creates it once instead);
 * 3. the registry pull secret `cluster.docker-registry.secret-name` in default and kube-system, from the
 *    base64code that OpenPAI's object model got by running `docker login` (the recipe builds the same document
 *    from the settings);
 * 4. PriorityClass pai-daemon-priority;
 * 5. `kubectl label nodes` pai-master / pai-worker / pai-storage per machine (through GNU parallel). pai-deploy
 *    labels the nodes before it pushes the configuration (`cluster label`, src/cluster/node-labels.ts, with the
 *    pai-computing-device label too), so no step here;
 * 6. namespace pai-storage, created if missing.
 *
 * stop.sh deleted the five ConfigMaps, job-ssh-secret, the registry secret (in default only) and the
 * PriorityClass. The recipe deletes what start created in the reverse order, the kube-system copy of the registry
 * secret too, but keeps job-ssh-secret: a stop and start must not change running jobs' key. delete.sh called stop.sh
 * and deleted namespace pai-storage; the recipe's delete also removes job-ssh-secret.
 */
import { registrySettings } from '../objects/cfg.js';
import { namespace, namespaceRef, paiDaemonPriority, versionConfigMaps } from '../objects/cluster-objects.js';
import { configMapFromFolder } from '../objects/configmaps.js';
import { JOB_SSH_SECRET_REF, jobSshSecret } from '../objects/job-ssh-key.js';
import { refIn } from '../objects/manifests.js';
import { REGISTRY_SECRET_NAMESPACES, registryServer, registrySecrets } from '../objects/registry-secret.js';
import type { ServiceContext } from '../recipe.js';
import { apply, createOnce, defineRecipe, ref, remove, removeInReverse, type Steps } from './steps.js';

/** The folders configmap-create.sh made ConfigMaps of, each named like its folder. */
const FOLDER_MAPS = ['host-configuration', 'docker-credentials', 'gpu-configuration'] as const;

const STORAGE_NAMESPACE = 'pai-storage';

/** What stop removes, in start's order (job-ssh-secret and the namespace excepted). */
function stopRefs(context: ServiceContext) {
  const { secretName } = registrySettings(context);
  return [
    ...FOLDER_MAPS.map((name) => ref('v1', 'ConfigMap', name)),
    ...versionConfigMaps().map(refIn),
    ...REGISTRY_SECRET_NAMESPACES.map((ns) => ref('v1', 'Secret', secretName, ns)),
    refIn(paiDaemonPriority()),
  ];
}

const stop = (context: ServiceContext): Steps => removeInReverse(stopRefs(context));

export const clusterConfigurationRecipe = defineRecipe({
  service: 'cluster-configuration',
  start: (context) => {
    const registry = registrySettings(context);
    // The secret's values stay out of the description: the server and whether a login is in it are enough.
    const login = registry.credentials ? `a login for ${registryServer(registry.domain)}` : 'no login';
    return [
      ...apply(
        'ConfigMaps host-configuration, docker-credentials, gpu-configuration from their folders',
        ...FOLDER_MAPS.map((name) => configMapFromFolder(context, name, name)),
      ),
      ...apply('ConfigMaps pai-version and k8s-version', ...versionConfigMaps()),
      ...createOnce('Secret job-ssh-secret (a new RSA key pair for job SSH)', JOB_SSH_SECRET_REF, () => jobSshSecret()),
      ...apply(
        `Secret ${registry.secretName} (image pull secret, ${login}) in ${REGISTRY_SECRET_NAMESPACES.join(' and ')}`,
        ...registrySecrets(registry),
      ),
      ...apply('PriorityClass pai-daemon-priority', paiDaemonPriority()),
      ...createOnce(`Namespace ${STORAGE_NAMESPACE}`, namespaceRef(STORAGE_NAMESPACE), () =>
        namespace(STORAGE_NAMESPACE),
      ),
    ];
  },
  stop,
  delete: (context) => [
    ...stop(context),
    ...remove([JOB_SSH_SECRET_REF]),
    ...remove([namespaceRef(STORAGE_NAMESPACE)], true),
  ],
});
