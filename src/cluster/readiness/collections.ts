import { setTimeout as sleep } from 'node:timers/promises';
import { PaiDeployError } from '../../errors.js';
import {
  isWatchExpired,
  KubeApiError,
  type KubeApi,
  type KubeListQuery,
  type KubeObject,
} from '../../ports/kube-api.js';
import { selectorQuery, type LabelSelector } from './selector.js';

/** The port with what list + watch needs (the adapter has it all; older fakes may not). */
export type WatchingKubeApi = KubeApi & Required<Pick<KubeApi, 'listWithVersion' | 'watch' | 'podLogs'>>;

export function watchingApi(api: KubeApi): WatchingKubeApi {
  if (api.listWithVersion === undefined || api.watch === undefined || api.podLogs === undefined) {
    throw new PaiDeployError('internal: this KubeApi cannot list with a resourceVersion, watch or read pod logs', {
      hint: 'Pass the KubeApi the kube port opens (src/infra/kube), or a fake that has listWithVersion, watch and podLogs.',
    });
  }
  return api as WatchingKubeApi;
}

/** How long the server keeps one watch open before this code watches again (the server's own is 30-60 min). */
const WATCH_SECONDS = 300;

/**
 * The objects one query matches, kept current by list + watch: listed once, then changed by each watch event,
 * watched again from the last resourceVersion when a watch ends (the server's timeout, a restart), listed again
 * when the server no longer has that version (410: after a restart its watch cache starts anew, and a busy
 * collection moves past it). No polling: nothing is asked while nothing changes.
 */
export class Collection {
  /** By name. */
  readonly objects = new Map<string, KubeObject>();
  /** True once the first list arrived: before that, an absent name says nothing. */
  synced = false;
  /** How often it listed (a re-list follows a 410 or a failure). */
  lists = 0;
  /** The last failure to list or watch, while it retries. */
  lastError: unknown;
  /** Resolves at the first list. */
  readonly whenSynced: Promise<void>;
  private markSynced: () => void = () => undefined;

  constructor(
    private readonly api: WatchingKubeApi,
    readonly query: KubeListQuery,
    private readonly onChange: () => void,
  ) {
    this.whenSynced = new Promise<void>((resolve) => (this.markSynced = resolve));
  }

  /** Runs until the signal aborts (rejects with its reason), or fails at once for a refusal (403, 404 kind). */
  async run(signal: AbortSignal): Promise<never> {
    let failures = 0;
    for (;;) {
      signal.throwIfAborted();
      try {
        const list = await this.api.listWithVersion(this.query, signal);
        this.lists += 1;
        this.objects.clear();
        for (const item of list.items) this.objects.set(item.metadata.name, slim(item));
        this.synced = true;
        this.markSynced();
        this.lastError = undefined;
        failures = 0;
        this.onChange();
        let resourceVersion = list.resourceVersion;
        for (;;) {
          const next = await this.watchFrom(resourceVersion, signal);
          if (next === undefined) break;
          resourceVersion = next;
        }
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (refusal(error)) throw error;
        this.lastError = error;
        failures += 1;
        // The transport already waited up to its retry time for an API server that went away; after that, go on
        // trying more slowly until the caller's deadline.
        await sleep(Math.min(500 * 2 ** failures, 5_000), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** One watch: the version to watch on from, or undefined when the collection must be listed again. */
  private async watchFrom(resourceVersion: string, signal: AbortSignal): Promise<string | undefined> {
    const started = Date.now();
    let events = 0;
    let version = resourceVersion;
    const options = { resourceVersion, timeoutSeconds: WATCH_SECONDS };
    for await (const event of this.api.watch(this.query, options, signal)) {
      events += 1;
      if (event.type === 'ERROR') {
        if (isWatchExpired(event)) return undefined;
        // Another error the server streamed (an internal one): listed again after the usual pause.
        throw new Error(`the watch of ${this.query.kind} ended with: ${event.object.message ?? 'an error'}`);
      }
      version = event.object.metadata.resourceVersion ?? version;
      if (event.type === 'BOOKMARK') continue;
      if (event.type === 'DELETED') this.objects.delete(event.object.metadata.name);
      else this.objects.set(event.object.metadata.name, slim(event.object));
      this.onChange();
    }
    // A watch that ends at once without a word (a proxy cutting it) would otherwise be reopened in a tight loop.
    if (events === 0 && Date.now() - started < 1_000) await sleep(1_000, undefined, { signal });
    return version;
  }
}

/** A refusal waiting does not change: the credentials may not read it, or the server has no such kind. */
function refusal(error: unknown): boolean {
  return (
    error instanceof KubeApiError &&
    error.status >= 400 &&
    error.status < 500 &&
    ![408, 410, 429].includes(error.status)
  );
}

/** managedFields are most of a pod's bytes and nothing here reads them; a 1,000-node DaemonSet has 1,000 pods. */
function slim(object: KubeObject): KubeObject {
  if (object.metadata['managedFields'] === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata: { ...metadata, name: object.metadata.name } };
}

/** Per namespace, how many selector-scoped pod (or ReplicaSet) watches before one watch of the whole namespace. */
const SCOPED_PER_NAMESPACE = 4;

/**
 * The collections of one wait, started on first use and stopped together. Pods are watched per workload selector
 * (a namespace such as OpenPAI's `default` also holds every user's job pods), up to a few per namespace; past that
 * one watch covers the namespace, so a long list of workloads does not hold one connection each.
 */
export class Collections {
  private readonly all = new Map<string, Collection>();
  private readonly scopedCount = new Map<string, number>();
  private readonly assigned = new Map<string, Collection>();
  private failure: ((error: unknown) => void) | undefined;
  /** Rejects when a collection meets a refusal. */
  readonly failed: Promise<never>;

  constructor(
    private readonly api: WatchingKubeApi,
    private readonly signal: AbortSignal,
    private readonly onChange: () => void,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.failure = reject));
    this.failed.catch(() => undefined);
  }

  get(query: KubeListQuery): Collection {
    const key = JSON.stringify([
      query.apiVersion,
      query.kind,
      query.namespace,
      query.labelSelector,
      query.fieldSelector,
    ]);
    let collection = this.all.get(key);
    if (collection === undefined) {
      collection = new Collection(this.api, query, this.onChange);
      this.all.set(key, collection);
      collection.run(this.signal).catch((error: unknown) => {
        if (!this.signal.aborted) this.failure?.(error);
      });
    }
    return collection;
  }

  /**
   * The collection holding the objects of `kind` that `selector` selects in `namespace`, for the owner `owner`
   * (kept for it once chosen, so its objects never move between collections). Undefined selector: the namespace.
   */
  scoped(
    owner: string,
    kind: { apiVersion: string; kind: string },
    namespace: string,
    selector: LabelSelector | undefined,
  ): Collection {
    const key = `${kind.kind}|${owner}`;
    const known = this.assigned.get(key);
    if (known !== undefined) return known;
    const query = selector === undefined ? undefined : selectorQuery(selector);
    const countKey = `${kind.kind}|${namespace}`;
    const count = this.scopedCount.get(countKey) ?? 0;
    let collection: Collection;
    if (query === undefined || query === '' || count >= SCOPED_PER_NAMESPACE) {
      collection = this.get({ ...kind, namespace });
    } else {
      const before = this.all.size;
      collection = this.get({ ...kind, namespace, labelSelector: query });
      if (this.all.size > before) this.scopedCount.set(countKey, count + 1);
    }
    this.assigned.set(key, collection);
    return collection;
  }

  /** How often each collection listed, by kind (tests: a 410 led to a re-list). */
  listCounts(): Array<{ query: KubeListQuery; lists: number }> {
    return [...this.all.values()].map((collection) => ({ query: collection.query, lists: collection.lists }));
  }
}

/** Rejects with the signal's reason once it aborts; dispose() takes the listener off a signal that outlives the wait. */
export function abortedWith(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let fail: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    fail = (): void => reject(signal.reason instanceof Error ? signal.reason : new PaiDeployError('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  promise.catch(() => undefined);
  return {
    promise,
    dispose: () => {
      if (fail !== undefined) signal.removeEventListener('abort', fail);
    },
  };
}
