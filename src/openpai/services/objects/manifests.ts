/**
 * The objects in a service's rendered manifests, as far as a recipe needs them: which objects a file creates (what
 * stop deletes again) and which of them are workloads (what start waits for). Applying is the deployer's work; this
 * only reads names.
 */
import { parseAllDocuments } from 'yaml';
import type { KubeObject, KubeObjectRef } from '../../../ports/kube-api.js';
import type { ServiceContext } from '../recipe.js';
import { ServiceFileError } from './errors.js';

/**
 * Kinds without a namespace among those OpenPAI's manifests and pai-deploy's own use (and their usual companions).
 * Every other kind is taken as namespaced: a ref without a namespace then means `default`, as kubectl without `-n`
 * meant for OpenPAI's scripts.
 */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'CustomResourceDefinition',
  'StorageClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'RuntimeClass',
  'PodSecurityPolicy',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'CertificateSigningRequest',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** The kinds a `wait` step waits for (their pods running and ready, or a Job complete). */
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job']);

export function isWorkload(ref: Pick<KubeObjectRef, 'kind'>): boolean {
  return WORKLOAD_KINDS.has(ref.kind);
}

/** A ref with the namespace made explicit: `default` for a namespaced object that names none. */
export function refIn(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): KubeObjectRef {
  const { apiVersion, kind } = object;
  const { name, namespace } = object.metadata;
  if (isClusterScoped(kind)) return { apiVersion, kind, name };
  return { apiVersion, kind, name, namespace: namespace ?? 'default' };
}

/**
 * The Kubernetes objects of one YAML text (documents in order; empty documents skipped, as templates render whole
 * objects away when a feature is off; a `List` unpacked as kubectl does).
 */
export function parseObjects(service: string, path: string, text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const where = `document ${index + 1}`;
    const error = document.errors[0];
    if (error !== undefined)
      throw new ServiceFileError(service, path, `${where} is not valid YAML: ${error.message.split('\n')[0]}`);
    const value: unknown = document.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    const items =
      isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items']) ? value['items'] : [value];
    for (const item of items) objects.push(checkObject(service, path, where, item));
  });
  return objects;
}

function checkObject(service: string, path: string, where: string, value: unknown): KubeObject {
  if (!isRecord(value)) throw new ServiceFileError(service, path, `${where} is not a Kubernetes object (a mapping)`);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string')
    throw new ServiceFileError(service, path, `${where} has no apiVersion and kind`);
  if (!isRecord(metadata) || typeof metadata['name'] !== 'string' || metadata['name'] === '')
    throw new ServiceFileError(service, path, `${where} (${kind}) has no metadata.name`);
  return value as KubeObject;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A file of the deploy folder; a missing one is an error naming it. */
export function readFile(context: Pick<ServiceContext, 'service' | 'files'>, path: string): string {
  const text = context.files.read(path);
  if (text === undefined) throw new ServiceFileError(context.service, path, 'is missing from the deploy folder');
  return text;
}

/** The objects of these deploy-folder files, in order. */
export function objectsOf(context: Pick<ServiceContext, 'service' | 'files'>, ...paths: string[]): KubeObject[] {
  return paths.flatMap((path) => parseObjects(context.service, path, readFile(context, path)));
}

/** The refs of the objects in these files, in order, namespaces explicit. */
export function refsOf(context: Pick<ServiceContext, 'service' | 'files'>, ...paths: string[]): KubeObjectRef[] {
  return objectsOf(context, ...paths).map(refIn);
}

/** The workloads among the objects of these files. */
export function workloadsOf(context: Pick<ServiceContext, 'service' | 'files'>, ...paths: string[]): KubeObjectRef[] {
  return refsOf(context, ...paths).filter(isWorkload);
}
