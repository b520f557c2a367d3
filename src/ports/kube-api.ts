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

export interface KubeDeleteOptions extends KubeWriteOptions {
  /**
   * What happens to the object's dependents (a Deployment's ReplicaSets and their pods): `Foreground` keeps the
   * object (with a deletionTimestamp) until they are gone, `Background` deletes it at once and them after, `Orphan`
   * leaves them. Left out, the kind's default: Background for apps/v1, but Orphan for a batch/v1 Job, whose pods
   * then stay.
   */
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  /** 0 removes a pod at once, without waiting for its kubelet (`kubectl delete --grace-period=0 --force`). */
  gracePeriodSeconds?: number;
}

export interface KubeServerVersion {
  gitVersion: string;
  major: string;
  minor: string;
}

/** A list with the collection's resourceVersion: the point a watch continues from (list + watch). */
export interface KubeObjectList {
  items: KubeObject[];
  resourceVersion: string;
}

/** A `Status` object, as the server sends it with an ERROR watch event or a refusal. */
export interface KubeStatus {
  apiVersion?: string;
  kind?: string;
  /** The HTTP code it stands for: 410 when the resourceVersion a watch started from is too old (compacted). */
  code?: number;
  /** `Expired`, `Gone`, `InternalError`, … */
  reason?: string;
  message?: string;
  [field: string]: unknown;
}

export type KubeWatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }
  /** Only `metadata.resourceVersion` is meaningful: the point to continue from when nothing else changed. */
  | { type: 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: KubeStatus };

export interface KubeWatchOptions {
  /**
   * Changes after this version (a list's resourceVersion, or the last event's). Left out, the server first sends
   * every current object as ADDED, with no sign of where that ends: list first when that matters.
   */
  resourceVersion?: string;
  /** The server ends the watch after this long (it ends watches on its own after 30-60 min otherwise). */
  timeoutSeconds?: number;
}

export interface KubePodLogsQuery {
  namespace: string;
  name: string;
  /** Required by the server when the pod has more than one container. */
  container?: string;
  tailLines?: number;
  /** The container's previous instance: the one that crashed, for a container in CrashLoopBackOff. */
  previous?: boolean;
  /** At most this many bytes (the server cuts the log there). */
  limitBytes?: number;
}

/** An ERROR event saying the watch's resourceVersion is too old: list again and watch from the new list. */
export function isWatchExpired(event: KubeWatchEvent): boolean {
  return event.type === 'ERROR' && (event.object.code === 410 || event.object.reason === 'Expired');
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
  delete(ref: KubeObjectRef, options: KubeDeleteOptions, signal: AbortSignal): Promise<boolean>;
  /*
   * The three below are optional so that fakes written before them still satisfy the port; the adapter always has
   * them, and code that needs them says so when they are missing (cluster/readiness).
   */
  /** Like list, with the collection's resourceVersion to watch from. */
  listWithVersion?(query: KubeListQuery, signal: AbortSignal): Promise<KubeObjectList>;
  /**
   * Changes to the objects the query matches, as the server streams them, until it ends the watch (its timeout,
   * a restart, a dropped connection: the iteration then simply ends; watch again from the last resourceVersion
   * seen) or the signal aborts (the iteration throws). A resourceVersion the server no longer has arrives as one
   * ERROR event with code 410 (isWatchExpired), however the server said it: list again, then watch from there.
   */
  watch?(query: KubeListQuery, options: KubeWatchOptions, signal: AbortSignal): AsyncIterable<KubeWatchEvent>;
  /**
   * A container's log as text. The API server fetches it from the node's kubelet, so it fails (KubeApiError) when
   * the kubelet cannot be reached, and with 400 when the pod has no node yet or no such (previous) container.
   */
  podLogs?(query: KubePodLogsQuery, signal: AbortSignal): Promise<string>;
  /**
   * Asks the server to evict a pod (the Eviction subresource, as `kubectl drain` does): `evicted` when it accepted,
   * `gone` when there is no such pod, `blocked` when a PodDisruptionBudget does not allow it now (429; try again
   * later). `apiVersion` is the Eviction's: policy/v1beta1 up to Kubernetes 1.21, policy/v1 from 1.22.
   */
  evict?(
    pod: { namespace: string; name: string },
    apiVersion: string,
    options: KubeWriteOptions,
    signal: AbortSignal,
  ): Promise<'evicted' | 'gone' | 'blocked'>;
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
