import { PaiDeployError } from '../../errors.js';
import { KubeApiError, refOf, type KubeApi, type KubeObject, type KubeObjectRef } from '../../ports/kube-api.js';
import {
  ApiVersionNotServedError,
  convertToApiVersion,
  mapToServedVersion,
  type ServedMapping,
} from './api-versions.js';
import { describeChanges, type FieldChange } from './changes.js';
import { describeObject } from './conversion.js';
import { cloneJson, isJsonObject, type JsonObject } from './json.js';
import {
  clientSideApplyPatch,
  LAST_APPLIED_ANNOTATION,
  lastAppliedText,
  readLastApplied,
  withLastApplied,
  withoutLastApplied,
} from './last-applied.js';
import { isEmptyPatch } from './three-way-patch.js';

/**
 * `kubectl apply` for one object over the KubeApi port, on whatever server kubespray left: 1.15 (kubespray 2.11,
 * server-side apply off) or a current one.
 *
 * - The group version is the one the server serves (api-versions.ts).
 * - Server-side apply (field manager `pai-deploy`, forced: pai-deploy's manifests are the desired state) where the
 *   server has it on. Whether it does is read from the server's answers, not from its version: the first 415
 *   UnsupportedMediaType (1.15 without the ServerSideApply gate, kubespray 2.11's default) turns it off for the rest
 *   of the connection; 1.15 with the gate on refuses some objects with a 500 (its alpha apply needs `protocol` on
 *   every container and Service port: "associative list with keys has an element that omits key field"), and then
 *   only that object goes client-side.
 *   Server-side, the server prunes what the manager `pai-deploy` applied before and the manifest dropped. An object
 *   applied client-side before keeps its last-applied annotation current, so both ways prune against the latest
 *   manifest; fields the client-side merge patches wrote (managedFields operation Update) are not the apply's, and
 *   a server-side apply does not prune those.
 * - Client-side apply otherwise: kubectl's last-applied annotation and a three-way JSON merge patch
 *   (last-applied.ts, three-way-patch.ts); nothing is sent when there is nothing to change.
 * - A dry run is the server's (`dryRun=All`, also on 1.15): validated, defaulted and admitted as for real, stored
 *   nowhere; the result says which fields would change.
 */
export interface ApplierOptions {
  /** Who owns the applied fields; default `pai-deploy`. */
  fieldManager?: string;
  dryRun?: boolean;
  signal: AbortSignal;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';
export type ApplyStrategy = 'server-side' | 'client-side';

export interface ApplyResult {
  /** At the group version applied. */
  ref: KubeObjectRef;
  outcome: ApplyOutcome;
  strategy: ApplyStrategy;
  /** The apiVersion the manifest was written with, and the one it was applied as. */
  writtenApiVersion: string;
  apiVersion: string;
  dryRun: boolean;
  /**
   * The fields the apply changed (in a dry run: would change), the live object before against the server's answer;
   * bookkeeping (resourceVersion, managedFields, …), status and the last-applied annotation left out (changes.ts).
   */
  changes: FieldChange[];
  /** For the user: the group version mapping, a namespace filled in, a fallback to client-side apply. */
  notes: string[];
  /** The object as the server stored it (a dry run: would store it); the live object when nothing was sent. */
  stored: KubeObject;
}

export interface Applier {
  apply(object: KubeObject): Promise<ApplyResult>;
  /** One after the other, in the order given; the first failure stops (the rest is not applied). */
  applyEach(objects: readonly KubeObject[]): Promise<ApplyResult[]>;
  /**
   * `untried` before the first apply over this connection, `on` once the server took one, `off` after its first
   * 415 (what one applier learns, every applier over the same KubeApi knows).
   */
  readonly serverSideApply: 'untried' | 'on' | 'off';
}

/** A write refused for a conflict is read and computed again, up to this many attempts in all. */
const ATTEMPTS = 3;

export function createApplier(kube: KubeApi, options: ApplierOptions): Applier {
  const fieldManager = options.fieldManager ?? 'pai-deploy';
  const dryRun = options.dryRun ?? false;
  const { signal } = options;
  const writeOptions = { fieldManager, dryRun };

  const result = (
    object: KubeObject,
    writtenApiVersion: string,
    fields: Pick<ApplyResult, 'outcome' | 'strategy' | 'changes' | 'notes' | 'stored'>,
  ): ApplyResult => ({
    ref: refOf(object),
    writtenApiVersion,
    apiVersion: object.apiVersion,
    dryRun,
    ...fields,
  });

  const applyServerSide = async (object: KubeObject, live: KubeObject | undefined): Promise<KubeObject> => {
    const body = withoutLastApplied(object);
    // An object applied client-side before (by kubectl, or by pai-deploy on a server without server-side apply)
    // keeps its last-applied record current, so a later client-side apply prunes against this manifest.
    if (live !== undefined && readLastApplied(live).state !== 'absent') {
      body.metadata.annotations = { ...body.metadata.annotations, [LAST_APPLIED_ANNOTATION]: lastAppliedText(object) };
    }
    return kube.patch(refOf(object), { type: 'apply', body, force: true }, writeOptions, signal);
  };

  const applyClientSide = async (
    object: KubeObject,
    firstLive: KubeObject | undefined,
    notes: string[],
  ): Promise<Pick<ApplyResult, 'outcome' | 'changes' | 'stored'>> => {
    const ref = refOf(object);
    let live = firstLive;
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (live === undefined) {
          const created = await kube.create(withLastApplied(object), writeOptions, signal);
          return { outcome: 'created', changes: describeChanges(undefined, created), stored: created };
        }
        const patch = clientSideApplyPatch(object, live, originalFor(object, live, notes));
        if (isEmptyPatch(patch)) return { outcome: 'unchanged', changes: [], stored: live };
        // Conditional on the object read: a change meanwhile answers 409 Conflict, and the patch is computed again.
        const metadata = isJsonObject(patch['metadata']) ? patch['metadata'] : {};
        patch['metadata'] = { ...metadata, resourceVersion: live.metadata.resourceVersion ?? null };
        const answer = await kube.patch(ref, { type: 'merge', body: patch }, writeOptions, signal);
        const same = !dryRun && answer.metadata.resourceVersion === live.metadata.resourceVersion;
        return { outcome: same ? 'unchanged' : 'configured', changes: describeChanges(live, answer), stored: answer };
      } catch (error) {
        // Conflict: changed since read; AlreadyExists: created meanwhile. Both: read again and recompute.
        const again =
          error instanceof KubeApiError && (error.reason === 'Conflict' || error.reason === 'AlreadyExists');
        if (!again || attempt >= ATTEMPTS) throw error;
        live = await kube.get(ref, signal);
      }
    }
  };

  const apply = async (manifest: KubeObject): Promise<ApplyResult> => {
    checkManifest(manifest);
    let mapping: ServedMapping;
    try {
      mapping = mapToServedVersion(manifest, await kube.served(signal));
    } catch (error) {
      if (!(error instanceof ApiVersionNotServedError)) throw error;
      // Discovery is read once per connection: a CRD applied since (by this run, or by someone else) serves kinds
      // the first read did not have. Read it again once before giving up.
      mapping = mapToServedVersion(manifest, await kube.served(signal, { refresh: true }));
    }
    const notes = [...mapping.notes];
    const object = cloneJson(mapping.object);
    if (mapping.resource.namespaced && object.metadata.namespace === undefined) {
      object.metadata.namespace = 'default';
      notes.push('no metadata.namespace: applied in default');
    } else if (!mapping.resource.namespaced && object.metadata.namespace !== undefined) {
      delete object.metadata.namespace;
      notes.push(`metadata.namespace dropped: ${object.kind} is not namespaced`);
    }

    const live = await kube.get(refOf(object), signal);
    if (serverSideOf(kube) !== 'off') {
      try {
        const stored = await applyServerSide(object, live);
        serverSideByConnection.set(kube, 'on');
        const changes = describeChanges(live, stored);
        const outcome = serverSideOutcome(live, stored, changes, dryRun);
        return result(object, mapping.writtenApiVersion, { outcome, strategy: 'server-side', changes, notes, stored });
      } catch (error) {
        const fallback = serverSideRefusal(error);
        if (fallback === undefined) throw error;
        if (fallback === 'off') {
          serverSideByConnection.set(kube, 'off');
          notes.push(
            'server-side apply is off on this server (415 UnsupportedMediaType: Kubernetes 1.15 without the ServerSideApply feature gate, as kubespray 2.11 sets it up): applied client-side, and so is everything after it',
          );
        } else {
          notes.push(
            "server-side apply refused this object (500: an associative list's element omits a key field, e.g. a port without protocol; 1.15's alpha server-side apply requires it): applied client-side",
          );
        }
      }
    }
    const done = await applyClientSide(object, live, notes);
    return result(object, mapping.writtenApiVersion, { ...done, strategy: 'client-side', notes });
  };

  return {
    apply,
    async applyEach(objects) {
      const results: ApplyResult[] = [];
      for (const object of objects) results.push(await apply(object));
      return results;
    },
    get serverSideApply() {
      return serverSideOf(kube);
    },
  };
}

/**
 * What a server-side apply did: the server answers every apply with the object, whether it wrote or not. Not
 * there before: created; the resourceVersion moved: configured (a dry run moves none, so there the changed fields
 * say it).
 */
function serverSideOutcome(
  live: KubeObject | undefined,
  stored: KubeObject,
  changes: readonly FieldChange[],
  dryRun: boolean,
): ApplyOutcome {
  if (live === undefined) return 'created';
  if (dryRun) return changes.length > 0 ? 'configured' : 'unchanged';
  return stored.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured';
}

/**
 * Whether a connection's server applies server-side, as its answers said: a server does not turn the feature gate
 * on or off while a connection lasts, so one 415 is enough for all appliers over it (a dry run's and the real one).
 */
const serverSideByConnection = new WeakMap<KubeApi, 'on' | 'off'>();

function serverSideOf(kube: KubeApi): 'untried' | 'on' | 'off' {
  return serverSideByConnection.get(kube) ?? 'untried';
}

/**
 * Why the server would not apply server-side, when that means "do it client-side": `off` for the whole server
 * (415: the PATCH content type application/apply-patch+yaml is unknown to it), `object` for this object only.
 */
function serverSideRefusal(error: unknown): 'off' | 'object' | undefined {
  if (!(error instanceof KubeApiError)) return undefined;
  if (error.status === 415 || error.reason === 'UnsupportedMediaType') return 'off';
  if (error.status === 500 && /associative list with keys has an element that omits key field/.test(error.message)) {
    return 'object';
  }
  return undefined;
}

/**
 * What the last apply wrote, at the manifest's group version: an annotation kubectl wrote for an older one
 * (extensions/v1beta1 before the server moved on) is converted like a manifest would be, so pruning compares like
 * with like.
 */
function originalFor(object: KubeObject, live: KubeObject, notes: string[]): JsonObject | undefined {
  const read = readLastApplied(live);
  if (read.state === 'absent') return undefined;
  if (read.state === 'unreadable') {
    const note = 'its last-applied annotation is no JSON object: nothing pruned this time, the annotation rewritten';
    // Said once, however often a conflict has the patch computed again.
    if (!notes.includes(note)) notes.push(note);
    return undefined;
  }
  const recorded = read.manifest as unknown as KubeObject;
  if (typeof recorded.apiVersion !== 'string' || recorded.apiVersion === object.apiVersion) return read.manifest;
  const converted = convertToApiVersion(recorded, object.apiVersion);
  return (converted?.object ?? recorded) as unknown as JsonObject;
}

function checkManifest(object: KubeObject): void {
  const problems: string[] = [];
  if (typeof object.apiVersion !== 'string' || object.apiVersion === '') problems.push('no apiVersion');
  if (typeof object.kind !== 'string' || object.kind === '') problems.push('no kind');
  if (!isJsonObject(object.metadata) || typeof object.metadata.name !== 'string' || object.metadata.name === '') {
    problems.push('no metadata.name');
  }
  if (problems.length > 0) {
    const kind = typeof object.kind === 'string' && object.kind !== '' ? object.kind : 'kind-less';
    const named = !problems.includes('no metadata.name') ? ` ${describeObject(object).slice(kind.length + 1)}` : '';
    throw new PaiDeployError(`cannot apply the ${kind} manifest${named}: ${problems.join(', ')}`, {
      hint: 'Every object applied needs apiVersion, kind and metadata.name (generateName cannot be applied).',
    });
  }
}
