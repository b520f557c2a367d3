/**
 * openpai-runtime (OpenPAI v1.8.0 src/openpai-runtime/deploy/): what job containers need from the cluster, no
 * workload of its own. start.sh applied rbac.yaml (ServiceAccount runtime-account, ClusterRole and binding for
 * frameworks, Role and RoleBinding for storage) and created ConfigMap runtime-exit-spec-configuration from
 * runtime-exit-spec.yaml (the exit codes the runtime reports; rest-server mounts it into every job pod). Nothing is
 * waited for.
 *
 * stop.sh was empty: running jobs' pods keep using both, so stop keeps them. delete.sh deleted the ConfigMap, the
 * ServiceAccount, the bindings and the roles.
 */
import { configMapFromFiles } from '../objects/configmaps.js';
import { refIn, refsOf } from '../objects/manifests.js';
import type { ServiceContext } from '../recipe.js';
import { apply, applyFiles, defineRecipe, removeInReverse } from './steps.js';

const exitSpec = (context: ServiceContext) =>
  configMapFromFiles(context, 'runtime-exit-spec-configuration', [
    { key: 'runtime-exit-spec.yaml', path: 'runtime-exit-spec.yaml' },
  ]);

export const openpaiRuntimeRecipe = defineRecipe({
  service: 'openpai-runtime',
  start: (context) => [
    ...applyFiles('rbac.yaml'),
    ...apply('ConfigMap runtime-exit-spec-configuration from runtime-exit-spec.yaml', exitSpec(context)),
  ],
  stop: () => [],
  delete: (context) =>
    removeInReverse([
      ...refsOf(context, 'rbac.yaml'),
      refIn({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'runtime-exit-spec-configuration' } }),
    ]),
});
