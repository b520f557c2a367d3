/**
 * The finished cluster's API server as phases see it: raw Kubernetes objects over the REST API, whatever version the
 * server is (1.15 from kubespray 2.11, or a current one). The adapter is src/infra/kube/; unit tests pass fakes.
 *
 * Objects are plain JSON as the server sends them, never a client library's typed models: those drop fields the
 * models do not know (1.15-era fields, a custom resource's spec) and cannot carry the `null`s a merge patch deletes
 * with.
 */
import { PaiDeployError } from '../errors.js';

export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  [field: string]: unknown;
}

/** Which object: its group/version and kind, name and (for namespaced kinds) namespace. */
export interface KubeObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The reference of an object: its apiVersion, kind, name and namespace (when it has one). */
export function refOf(object: KubeObject): KubeObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
  };
}

export interface KubeListQuery {
  apiVersion: string;
  kind: string;
  /** Omitted for cluster-scoped kinds, or to list a namespaced kind in all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A kind the server serves at one group/version (discovery). */
export interface ServedResource {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The URL segment, e.g. `cronjobs`. */
  plural: string;
  namespaced: boolean;
  verbs: readonly string[];
}

export type KubePatch =
  /** RFC 7386: objects merge, lists are replaced, `null` deletes. Works for every kind, custom resources too. */
  | { type: 'merge'; body: Record<string, unknown> }
  /** Server-side apply (field manager required): 415 on a 1.15 server without the ServerSideApply gate. */
  | { type: 'apply'; body: KubeObject; force: boolean };

export interface KubeWriteOptions {
  /** Server-side dry run (`dryRun=All`): validated and defaulted by the server, persisted nowhere. */
  dryRun?: boolean;
  /** Who owns the written fields (`managedFields`); pai-deploy writes as `pai-deploy`. */
  fieldManager?: string;
}

export interface KubeServerVersion {
  gitVersion: string;
  major: string;
  minor: string;
}

export interface KubeApi {
  /** The API server's address, as the kubeconfig names it. */
  readonly server: string;
  /** The server's version (`/version`), e.g. v1.15.11. */
  version(signal: AbortSignal): Promise<KubeServerVersion>;
  /**
   * Every kind the server serves, by discovery (`/api`, `/apis` and each group/version), read once per connection;
   * `refresh` reads it again (a CRD applied since serves a new kind).
   */
  served(signal: AbortSignal, options?: { refresh?: boolean }): Promise<readonly ServedResource[]>;
  /** The object, or undefined when the server has none of that name (404). */
  get(ref: KubeObjectRef, signal: AbortSignal): Promise<KubeObject | undefined>;
  /** All objects the query matches, every page. */
  list(query: KubeListQuery, signal: AbortSignal): Promise<KubeObject[]>;
  /** Fails with a KubeApiError `AlreadyExists` (409) when the name is taken. */
  create(object: KubeObject, options: KubeWriteOptions, signal: AbortSignal): Promise<KubeObject>;
  /**
   * PUT: with `metadata.resourceVersion` set, the server refuses (409 `Conflict`) when the object changed since it
   * was read: optimistic concurrency.
   */
  replace(object: KubeObject, options: KubeWriteOptions, signal: AbortSignal): Promise<KubeObject>;
  patch(ref: KubeObjectRef, patch: KubePatch, options: KubeWriteOptions, signal: AbortSignal): Promise<KubeObject>;
  /** False when there was nothing to delete (404). */
  delete(ref: KubeObjectRef, options: KubeWriteOptions, signal: AbortSignal): Promise<boolean>;
}

/** An answer of the API server that is not success, with its `Status` reason (Kubernetes' machine-readable word). */
export class KubeApiError extends PaiDeployError {
  readonly status: number;
  /** `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Forbidden`, `UnsupportedMediaType`, … or `''`. */
  readonly reason: string;
  /** What the request was, e.g. `PATCH nodes/pai-gpu-01`. */
  readonly request: string;
  constructor(request: string, status: number, reason: string, serverMessage: string, hint?: string) {
    super(`the Kubernetes API refused ${request}: ${status}${reason ? ` ${reason}` : ''}: ${serverMessage}`, {
      hint: hint ?? hintFor(status, reason),
    });
    this.status = status;
    this.reason = reason;
    this.request = request;
  }
}

function hintFor(status: number, reason: string): string {
  if (status === 401) return 'The kubeconfig credentials were refused: give the admin kubeconfig (--kubeconfig).';
  if (status === 403 || reason === 'Forbidden')
    return 'The kubeconfig user may not do this: use the cluster admin kubeconfig kubespray wrote.';
  if (reason === 'Conflict')
    return 'Someone changed the object meanwhile: read the current state and run the command again.';
  return 'Check the object and the API server; rerun with -v for the request.';
}
