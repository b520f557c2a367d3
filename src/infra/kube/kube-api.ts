import type { RequestOptions } from 'node:https';
import { describeSystemError, InputFileError, PaiDeployError } from '../../errors.js';
import {
  KubeApiError,
  refOf,
  type KubeApi,
  type KubeListQuery,
  type KubeObject,
  type KubeObjectList,
  type KubeObjectRef,
  type KubeStatus,
  type KubeWatchEvent,
  type KubeWriteOptions,
  type ServedResource,
} from '../../ports/kube-api.js';
import type { KubeConnectOptions } from '../../ports/ports.js';
import { openRestTransport, type RestResponse, type RestTransport } from './rest-transport.js';

/**
 * The KubeApi port: the kubeconfig (contexts, certificates, tokens, exec plugins) read by @kubernetes/client-node,
 * requests sent as raw JSON (see rest-transport.ts for why not client-node's typed API). Loaded only when a phase
 * needs the cluster.
 */
export async function openKubeApi(options: KubeConnectOptions): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  try {
    config.loadFromFile(options.kubeconfigPath);
  } catch (error) {
    throw new InputFileError(
      options.kubeconfigPath,
      describeSystemError(error),
      'Give the admin kubeconfig kubespray wrote (the work dir keeps it), with --kubeconfig.',
      error,
    );
  }
  if (options.context !== undefined) {
    if (!config.getContexts().some((context) => context.name === options.context)) {
      const known = config.getContexts().map((context) => context.name);
      throw new PaiDeployError(`the kubeconfig ${options.kubeconfigPath} has no context "${options.context}"`, {
        exitCode: 2,
        hint: known.length > 0 ? `Its contexts are: ${known.join(', ')}.` : 'It defines no context at all.',
      });
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new PaiDeployError(`the kubeconfig ${options.kubeconfigPath} names no cluster for its current context`, {
      exitCode: 2,
      hint: 'Check current-context and the clusters list of the kubeconfig.',
    });
  }
  const transport = await openRestTransport({
    server: cluster.server,
    // Called per request: a token from an exec plugin or a file may be renewed meanwhile.
    authenticate: async () => {
      const request: RequestOptions = {};
      await config.applyToHTTPSOptions(request);
      return request;
    },
    retryForMs: options.retryForMs ?? 60_000,
  });
  return kubeApiOver(transport);
}

/** The port over a transport (separate so the URL and body rules can be read on their own). */
export function kubeApiOver(transport: RestTransport): KubeApi {
  let served: Promise<readonly ServedResource[]> | undefined;
  const discover = (signal: AbortSignal, options: { refresh?: boolean } = {}): Promise<readonly ServedResource[]> => {
    if (options.refresh === true) served = undefined;
    served ??= discoverServed(transport, signal).catch((error: unknown) => {
      served = undefined;
      throw error;
    });
    return served;
  };

  const resourceOf = async (apiVersion: string, kind: string, signal: AbortSignal): Promise<ServedResource> => {
    const { group, version } = splitApiVersion(apiVersion);
    const resource = (await discover(signal)).find(
      (candidate) => candidate.group === group && candidate.version === version && candidate.kind === kind,
    );
    if (!resource) throw new KindNotServedError(apiVersion, kind, transport.server);
    return resource;
  };

  const collectionPath = (resource: ServedResource, namespace: string | undefined): string => {
    const root = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
    const ns = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${root}${ns}/${resource.plural}`;
  };

  const objectPath = async (ref: KubeObjectRef, signal: AbortSignal): Promise<{ path: string; label: string }> => {
    const resource = await resourceOf(ref.apiVersion, ref.kind, signal);
    if (resource.namespaced && ref.namespace === undefined) {
      throw new PaiDeployError(`internal: ${ref.kind} ${ref.name} needs a namespace`);
    }
    const path = `${collectionPath(resource, ref.namespace)}/${encodeURIComponent(ref.name)}`;
    const label = `${resource.plural}/${ref.namespace !== undefined && resource.namespaced ? `${ref.namespace}/` : ''}${ref.name}`;
    return { path, label };
  };

  const query = (options: KubeWriteOptions, extra: Record<string, string> = {}): string => {
    const params = new URLSearchParams(extra);
    if (options.dryRun) params.set('dryRun', 'All');
    if (options.fieldManager !== undefined) params.set('fieldManager', options.fieldManager);
    const text = params.toString();
    return text === '' ? '' : `?${text}`;
  };

  const listParams = (listQuery: KubeListQuery): URLSearchParams => {
    const params = new URLSearchParams();
    if (listQuery.labelSelector !== undefined) params.set('labelSelector', listQuery.labelSelector);
    if (listQuery.fieldSelector !== undefined) params.set('fieldSelector', listQuery.fieldSelector);
    return params;
  };

  const listAll = async (listQuery: KubeListQuery, signal: AbortSignal): Promise<KubeObjectList> => {
    const resource = await resourceOf(listQuery.apiVersion, listQuery.kind, signal);
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const params = listParams(listQuery);
      params.set('limit', '500');
      if (continueToken !== undefined) params.set('continue', continueToken);
      const path = `${collectionPath(resource, listQuery.namespace)}?${params.toString()}`;
      const response = await transport.request({ method: 'GET', path, signal, retry: 'always' });
      const page = expectOk(response, `GET ${resource.plural}`) as {
        items?: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      // A list's items carry no apiVersion/kind on the wire: give them theirs.
      for (const item of page.items ?? [])
        items.push({ ...item, apiVersion: listQuery.apiVersion, kind: listQuery.kind });
      // Every page of a paged list is read at the first page's version; the last page says it too.
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  };

  async function* watchEvents(
    watchQuery: KubeListQuery,
    options: { resourceVersion?: string; timeoutSeconds?: number },
    signal: AbortSignal,
  ): AsyncGenerator<KubeWatchEvent> {
    const resource = await resourceOf(watchQuery.apiVersion, watchQuery.kind, signal);
    const params = listParams(watchQuery);
    params.set('watch', 'true');
    // Ignored where bookmarks are not served (1.15 has them behind an alpha gate): they only save re-lists.
    params.set('allowWatchBookmarks', 'true');
    if (options.resourceVersion !== undefined) params.set('resourceVersion', options.resourceVersion);
    if (options.timeoutSeconds !== undefined) params.set('timeoutSeconds', String(options.timeoutSeconds));
    const path = `${collectionPath(resource, watchQuery.namespace)}?${params.toString()}`;
    // An idle watch sends nothing until its timeout: only silence well past it means a vanished server.
    const idleMs = ((options.timeoutSeconds ?? 3600) + 30) * 1000;
    const answer = await transport.stream({ method: 'GET', path, signal, retry: 'always', idleMs });
    if (!('lines' in answer)) {
      // Some servers refuse a too old resourceVersion before streaming (410 Gone): the same as the ERROR event.
      if (answer.status === 410) {
        yield { type: 'ERROR', object: { kind: 'Status', code: 410, ...(answer.body as KubeStatus | undefined) } };
        return;
      }
      expectOk(answer, `WATCH ${resource.plural}`);
      return;
    }
    for await (const line of answer.lines()) {
      let event: { type?: unknown; object?: unknown };
      try {
        event = JSON.parse(line) as { type?: unknown; object?: unknown };
      } catch {
        // A line cut by a dropped connection: the watch is over, continue from the last complete event.
        answer.close();
        return;
      }
      const object = (event.object ?? {}) as Record<string, unknown>;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
        case 'DELETED':
        case 'BOOKMARK':
          yield {
            type: event.type,
            object: { ...(object as KubeObject), apiVersion: watchQuery.apiVersion, kind: watchQuery.kind },
          };
          break;
        case 'ERROR':
          yield { type: 'ERROR', object: object as KubeStatus };
          break;
        default:
          // An event type this client does not know: skipped, the next ones still count.
          break;
      }
    }
  }

  return {
    server: transport.server,
    async version(signal) {
      const response = await transport.request({ method: 'GET', path: '/version', signal, retry: 'always' });
      const info = expectOk(response, 'GET /version') as { gitVersion: string; major: string; minor: string };
      return { gitVersion: info.gitVersion, major: info.major, minor: info.minor };
    },
    served: discover,
    async get(ref, signal) {
      const { path, label } = await objectPath(ref, signal);
      const response = await transport.request({ method: 'GET', path, signal, retry: 'always' });
      if (response.status === 404) return undefined;
      return expectOk(response, `GET ${label}`) as KubeObject;
    },
    async list(listQuery: KubeListQuery, signal) {
      return (await listAll(listQuery, signal)).items;
    },
    listWithVersion: listAll,
    watch(watchQuery, options, signal) {
      return watchEvents(watchQuery, options, signal);
    },
    async podLogs(logs, signal) {
      const params = new URLSearchParams();
      if (logs.container !== undefined) params.set('container', logs.container);
      if (logs.tailLines !== undefined) params.set('tailLines', String(logs.tailLines));
      if (logs.previous === true) params.set('previous', 'true');
      if (logs.limitBytes !== undefined) params.set('limitBytes', String(logs.limitBytes));
      const name = `${encodeURIComponent(logs.namespace)}/pods/${encodeURIComponent(logs.name)}`;
      const text = params.toString();
      const response = await transport.request({
        method: 'GET',
        path: `/api/v1/namespaces/${name}/log${text === '' ? '' : `?${text}`}`,
        // The log is text/plain; a refusal still comes as a JSON Status.
        accept: 'text/plain, application/json;q=0.9, */*;q=0.8',
        signal,
        retry: 'always',
      });
      expectOk(response, `GET pods/${logs.namespace}/${logs.name}/log`);
      return response.text;
    },
    async create(object, options, signal) {
      const resource = await resourceOf(object.apiVersion, object.kind, signal);
      const path = collectionPath(resource, object.metadata.namespace) + query(options);
      // Retried only when the request never reached the server: a repeated create would answer AlreadyExists.
      const response = await transport.request({ method: 'POST', path, body: object, signal, retry: 'unsent' });
      return expectOk(response, `POST ${resource.plural} ${object.metadata.name}`) as KubeObject;
    },
    async replace(object, options, signal) {
      const { path, label } = await objectPath(refOf(object), signal);
      // With a resourceVersion, a repeat after a lost answer would be refused as a conflict: same rule as create.
      const retry = object.metadata.resourceVersion === undefined ? 'always' : 'unsent';
      const response = await transport.request({
        method: 'PUT',
        path: path + query(options),
        body: object,
        signal,
        retry,
      });
      return expectOk(response, `PUT ${label}`) as KubeObject;
    },
    async patch(ref, patch, options, signal) {
      const { path, label } = await objectPath(ref, signal);
      const contentType = patch.type === 'apply' ? 'application/apply-patch+yaml' : 'application/merge-patch+json';
      const extra: Record<string, string> = patch.type === 'apply' && patch.force ? { force: 'true' } : {};
      // A merge patch and an apply are idempotent: sending one twice leaves the same object.
      const response = await transport.request({
        method: 'PATCH',
        path: path + query(options, extra),
        body: patch.body,
        contentType,
        signal,
        retry: 'always',
      });
      return expectOk(response, `PATCH ${label}`) as KubeObject;
    },
    async evict(pod, apiVersion, options, signal) {
      const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/eviction`;
      const body = { apiVersion, kind: 'Eviction', metadata: { name: pod.name, namespace: pod.namespace } };
      // An eviction repeated after a lost answer finds the pod gone or terminating: safe to send again.
      const response = await transport.request({
        method: 'POST',
        path: path + query(options),
        body,
        signal,
        retry: 'always',
        retryTooManyRequests: false,
      });
      if (response.status === 404) return 'gone';
      if (response.status === 429) return 'blocked';
      expectOk(response, `POST pods/${pod.namespace}/${pod.name}/eviction`);
      return 'evicted';
    },
    async delete(ref, options, signal) {
      const { path, label } = await objectPath(ref, signal);
      const response = await transport.request({
        method: 'DELETE',
        path: path + query(options),
        ...(options.propagationPolicy !== undefined || options.gracePeriodSeconds !== undefined
          ? {
              body: {
                kind: 'DeleteOptions',
                apiVersion: 'v1',
                ...(options.propagationPolicy !== undefined ? { propagationPolicy: options.propagationPolicy } : {}),
                ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
              },
            }
          : {}),
        signal,
        retry: 'always',
      });
      if (response.status === 404) return false;
      expectOk(response, `DELETE ${label}`);
      return true;
    },
  };
}

/** The server serves no such kind at that group/version (an old manifest on a new server, or the reverse). */
export class KindNotServedError extends PaiDeployError {
  constructor(apiVersion: string, kind: string, server: string) {
    super(`the Kubernetes API at ${server} does not serve ${kind} in ${apiVersion}`, {
      hint: 'The object is written for another Kubernetes version: use an apiVersion this server serves.',
    });
  }
}

async function discoverServed(transport: RestTransport, signal: AbortSignal): Promise<ServedResource[]> {
  const getJson = async (path: string): Promise<unknown> =>
    expectOk(await transport.request({ method: 'GET', path, signal, retry: 'always' }), `GET ${path}`);
  const core = (await getJson('/api')) as { versions?: string[] };
  const groups = (await getJson('/apis')) as { groups?: Array<{ name: string; versions: Array<{ version: string }> }> };
  const lists: Array<{ group: string; version: string; path: string }> = [
    ...(core.versions ?? []).map((version) => ({ group: '', version, path: `/api/${version}` })),
    ...(groups.groups ?? []).flatMap((group) =>
      group.versions.map(({ version }) => ({ group: group.name, version, path: `/apis/${group.name}/${version}` })),
    ),
  ];
  const resources = await Promise.all(
    lists.map(async (list) => {
      const answer = await transport.request({ method: 'GET', path: list.path, signal, retry: 'always' });
      // An aggregated API whose backend is down answers 503: its kinds are simply not there today.
      if (answer.status === 503) return [];
      const body = expectOk(answer, `GET ${list.path}`) as {
        resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
      };
      return (body.resources ?? [])
        .filter((resource) => !resource.name.includes('/'))
        .map((resource): ServedResource => ({
          group: list.group,
          version: list.version,
          kind: resource.kind,
          plural: resource.name,
          namespaced: resource.namespaced,
          verbs: resource.verbs ?? [],
        }));
    }),
  );
  return resources.flat();
}

function expectOk(response: RestResponse, request: string): unknown {
  if (response.status >= 200 && response.status < 300) return response.body;
  const status = (response.body ?? {}) as { reason?: unknown; message?: unknown };
  const reason = typeof status.reason === 'string' ? status.reason : '';
  const message =
    typeof status.message === 'string' ? status.message : response.text.slice(0, 300) || `HTTP ${response.status}`;
  throw new KubeApiError(request, response.status, reason, message);
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
