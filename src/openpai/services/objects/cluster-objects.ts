/** Small cluster objects the services' scripts created with kubectl one-liners or static files. */
import type { KubeObject, KubeObjectRef } from '../../../ports/kube-api.js';
import { OPENPAI_RELEASE } from '../../release.js';
import { configMap } from './configmaps.js';

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function namespaceRef(name: string): KubeObjectRef {
  return { apiVersion: 'v1', kind: 'Namespace', name };
}

export function priorityClass(name: string, value: number, description: string): KubeObject {
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    globalDefault: false,
    description,
  };
}

/**
 * cluster-configuration's priority-class.yaml: the daemons' priority, so that OpenPAI's own pods preempt jobs and
 * are scheduled first on a full node.
 */
export const paiDaemonPriority = (): KubeObject =>
  priorityClass('pai-daemon-priority', 1000000, 'This priority class should be used for PAI daemon only.');

/**
 * rest-server's priority-class.yaml: the lowest priority, the base job pods are given (LAUNCHER_PRIORITY_CLASS)
 * so that any other pod preempts them.
 */
export const paiJobMinimalPriority = (): KubeObject =>
  priorityClass('pai-job-minimal-priority', -1100000000, 'Minimal priority for pai job.');

/** A Secret of type Opaque from text values (stored base64 in `data`). */
export function opaqueSecret(
  name: string,
  namespaceName: string,
  values: Readonly<Record<string, string>>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: namespaceName },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(values).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
    ),
  };
}

/**
 * The contents of OpenPAI's version/PAI.VERSION and version/K8S.VERSION at the release pai-deploy deploys. v1.8.0
 * still said `v1.7.0-1.15.x` in K8S.VERSION (never bumped); nothing in the services reads it.
 */
export const VERSION_FILES = {
  'PAI.VERSION': `${OPENPAI_RELEASE.tag}\n`,
  'K8S.VERSION': 'v1.7.0-1.15.x',
} as const;

/**
 * ConfigMaps pai-version (key `PAI.VERSION`) and k8s-version (key `K8S.VERSION`), made by configmap-create.sh from
 * those files byte for byte: PAI.VERSION keeps its final newline (paictl stripped it when comparing versions).
 */
export function versionConfigMaps(files: Readonly<Record<keyof typeof VERSION_FILES, string>> = VERSION_FILES) {
  return [
    configMap('pai-version', { 'PAI.VERSION': files['PAI.VERSION'] }),
    configMap('k8s-version', { 'K8S.VERSION': files['K8S.VERSION'] }),
  ];
}
