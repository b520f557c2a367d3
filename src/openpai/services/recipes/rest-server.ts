/**
 * rest-server (OpenPAI v1.8.0 src/rest-server/deploy/), OpenPAI's API. start.sh, in order:
 * 1. configmap-create.sh (its failures ignored): ConfigMap auth-configuration from auth-configmap/ when
 *    `authentication.OIDC`, group-configuration from group-configmap/, and k8s-job-exit-spec-configuration from
 *    k8s-job-exit-spec-config/ (job-exit-spec-configuration from job-exit-spec-config/ on a yarn cluster, which
 *    v1.8 no longer accepts);
 * 2. secret-create.sh: namespace pai-storage and, in it, Secrets storage-config and storage-server with an `empty`
 *    entry, each only when missing: the admin adds the cluster's storages to them later, so they are created
 *    once and never overwritten;
 * 3. user_v2_migrate.py (in the dev-box): creates namespaces pai-user-v2 (users) and pai-group (groups) when
 *    missing; only when both were new does it copy users of the v1 namespace pai-user into them, and it rewrites
 *    v2 groups of older schemas. On a fresh cluster its whole effect is the two namespaces, which rest-server needs
 *    (it stores users and groups as secrets there and does not create those namespaces itself);
 *    with `rest-server.etcd-uris`, legacy_user_migrate.py first copied the users older releases kept in etcd into
 *    the v1 namespace. Migrating users of old releases (both scripts' copying) is out of scope for pai-deploy, which
 *    deploys v1.8.0 clusters afresh;
 * 4. rbac.yaml when `k8s-rbac == 'true'`; PriorityClass pai-job-minimal-priority (k8s clusters: all of v1.8);
 * 5. rest-server.yaml (DaemonSet rest-server-ds on the master), then wait for app=rest-server.
 *
 * The admin user is not created by any script: rest-server itself, when it starts and OIDC is off, creates the
 * groups of the configuration (admin group, default VC group, `authentication.group-manager.grouplist`) and
 * `createUserIfNonExistent` the user DEFAULT_PAI_ADMIN_USERNAME / DEFAULT_PAI_ADMIN_PASSWORD, which rest-server.yaml
 * sets from `rest-server.default-pai-admin-username` / `-password`. It also creates namespace pai-user-token.
 * With OIDC, users come from the identity provider and no admin is created.
 *
 * stop.sh deleted the DaemonSet, the four ConfigMaps, the binding, the ClusterRole and the ServiceAccount (also
 * when rbac.yaml was not applied). It kept the PriorityClass (pods of running jobs refer to it: a framework's pod
 * recreated without it would be refused), the namespaces and the storage secrets. delete.sh called stop.sh and
 * deleted namespaces pai-user, pai-user-v2, pai-group, pai-storage and pai-user-token (users, groups, tokens,
 * storage configuration). The recipe's delete also removes pai-job-minimal-priority, which OpenPAI left behind.
 */
import { clusterType, k8sRbacTrue, oidcEnabled } from '../objects/cfg.js';
import { namespace, namespaceRef, opaqueSecret, paiJobMinimalPriority } from '../objects/cluster-objects.js';
import { configMapFromFolder } from '../objects/configmaps.js';
import { refIn, refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import {
  apply,
  applyFiles,
  createOnce,
  defineRecipe,
  ref,
  remove,
  removeInReverse,
  waitFor,
  type Steps,
} from './steps.js';

/** The ConfigMaps of configmap-create.sh: name and folder. */
const AUTH = { name: 'auth-configuration', folder: 'auth-configmap' };
const GROUP = { name: 'group-configuration', folder: 'group-configmap' };
const K8S_EXIT_SPEC = { name: 'k8s-job-exit-spec-configuration', folder: 'k8s-job-exit-spec-config' };
const YARN_EXIT_SPEC = { name: 'job-exit-spec-configuration', folder: 'job-exit-spec-config' };

const STORAGE_NAMESPACE = 'pai-storage';
/** secret-create.sh's placeholders: rest-server lists storages from these secrets and needs them to exist. */
const STORAGE_SECRETS = [
  { name: 'storage-config', empty: '{"name":"empty","default":false}' },
  { name: 'storage-server', empty: '{"spn":"empty","type":"other"}' },
];
/** Created by user_v2_migrate.py on a fresh cluster. */
const USER_NAMESPACES = ['pai-user-v2', 'pai-group'];
/** What delete.sh removed, in its order (pai-user held v1 users; pai-user-token is rest-server's own). */
const DELETED_NAMESPACES = ['pai-user', 'pai-user-v2', 'pai-group', 'pai-storage', 'pai-user-token'];

const configMaps = (context: ServiceContext) => [
  ...(oidcEnabled(context) ? [AUTH] : []),
  GROUP,
  clusterType(context) === 'yarn' ? YARN_EXIT_SPEC : K8S_EXIT_SPEC,
];

const stop = (context: ServiceContext): Steps =>
  removeInReverse([
    ...[AUTH, GROUP, K8S_EXIT_SPEC, YARN_EXIT_SPEC].map(({ name }) => ref('v1', 'ConfigMap', name)),
    ...refsOf(context, 'rbac.yaml', 'rest-server.yaml'),
  ]);

export const restServerRecipe = defineRecipe({
  service: 'rest-server',
  start: (context) => [
    ...configMaps(context).flatMap(({ name, folder }) =>
      apply(`ConfigMap ${name} from ${folder}/`, configMapFromFolder(context, name, folder)),
    ),
    ...createOnce(`Namespace ${STORAGE_NAMESPACE}`, namespaceRef(STORAGE_NAMESPACE), () =>
      namespace(STORAGE_NAMESPACE),
    ),
    ...STORAGE_SECRETS.flatMap(({ name, empty }) =>
      createOnce(
        `Secret ${STORAGE_NAMESPACE}/${name} (no storage configured yet)`,
        ref('v1', 'Secret', name, STORAGE_NAMESPACE),
        () => opaqueSecret(name, STORAGE_NAMESPACE, { empty }),
      ),
    ),
    ...USER_NAMESPACES.flatMap((name) =>
      createOnce(`Namespace ${name} (rest-server's users and groups)`, namespaceRef(name), () => namespace(name)),
    ),
    ...(k8sRbacTrue(context) ? applyFiles('rbac.yaml') : []),
    ...(clusterType(context) === 'k8s' ? apply('PriorityClass pai-job-minimal-priority', paiJobMinimalPriority()) : []),
    ...applyFiles('rest-server.yaml'),
    ...waitFor(refsOf(context, 'rest-server.yaml')),
  ],
  stop,
  delete: (context) => [
    ...stop(context),
    ...remove([refIn(paiJobMinimalPriority())]),
    ...remove(DELETED_NAMESPACES.map(namespaceRef), true),
  ],
});
