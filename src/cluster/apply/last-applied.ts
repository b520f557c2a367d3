import type { KubeObject } from '../../ports/kube-api.js';
import { cloneJson, isJsonObject, jsonEqual, type JsonObject } from './json.js';
import { threeWayMergePatch } from './three-way-patch.js';

/**
 * kubectl's record of what the last client-side apply wrote: the manifest as JSON, in an annotation of the object
 * itself. It is what a later apply prunes against (a field it set and the manifest no longer has is removed), and
 * kubectl reads the same annotation, so `kubectl apply` and pai-deploy can take turns on an object.
 */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The object without the last-applied annotation (which never records itself); a copy, the input stays. */
export function withoutLastApplied(object: KubeObject): KubeObject {
  const copy = cloneJson(object);
  const annotations = copy.metadata.annotations;
  if (annotations !== undefined && Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  }
  return copy;
}

/** The text the annotation holds for a manifest: its JSON without the annotation. */
export function lastAppliedText(manifest: KubeObject): string {
  return JSON.stringify(withoutLastApplied(manifest));
}

/** The manifest as a client-side apply creates it: with the annotation recording it. */
export function withLastApplied(manifest: KubeObject): KubeObject {
  const copy = withoutLastApplied(manifest);
  copy.metadata.annotations = { ...copy.metadata.annotations, [LAST_APPLIED_ANNOTATION]: lastAppliedText(manifest) };
  return copy;
}

export type LastApplied =
  | { state: 'absent' }
  /** The annotation is there but is no JSON object (edited by hand, cut short): nothing can be pruned against it. */
  | { state: 'unreadable' }
  | { state: 'read'; manifest: JsonObject };

export function readLastApplied(live: KubeObject): LastApplied {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined) return { state: 'absent' };
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isJsonObject(parsed)) return { state: 'unreadable' };
    // An annotation written by an older tool may record itself: the comparisons ignore it.
    return { state: 'read', manifest: withoutLastApplied(parsed as unknown as KubeObject) as unknown as JsonObject };
  } catch {
    return { state: 'unreadable' };
  }
}

/**
 * The merge patch a client-side apply of `manifest` sends to `live`, or `{}` when the object is already as applied
 * (then nothing is sent: the object, its resourceVersion included, stays as it is).
 *
 * `original` is what the last apply wrote; by default the live object's annotation, but the caller may pass it
 * converted to the manifest's apiVersion (an annotation kubectl wrote for an older group version). The annotation
 * is rewritten whenever the one stored does not record `manifest` exactly.
 */
export function clientSideApplyPatch(
  manifest: KubeObject,
  live: KubeObject,
  original: JsonObject | undefined = lastAppliedManifest(live),
): JsonObject {
  const modified = withoutLastApplied(manifest) as unknown as JsonObject;
  const current = withoutLastApplied(live) as unknown as JsonObject;
  const patch = threeWayMergePatch(original, modified, current);
  const stored = lastAppliedManifest(live);
  if (stored !== undefined && jsonEqual(stored, modified)) return patch;

  const metadata = isJsonObject(patch['metadata']) ? patch['metadata'] : {};
  let annotations = metadata['annotations'];
  if (!isJsonObject(annotations)) {
    // `null`: the manifest dropped every annotation it had. Prune those (the ones pai-deploy wrote), not the whole
    // map: the annotation of this apply must stay, and so do annotations other writers keep there.
    annotations = {};
    if (metadata['annotations'] === null) {
      const previous = original?.['metadata'];
      const owned = isJsonObject(previous) && isJsonObject(previous['annotations']) ? previous['annotations'] : {};
      for (const key of Object.keys(owned)) {
        if (live.metadata.annotations?.[key] !== undefined) annotations[key] = null;
      }
    }
  }
  annotations[LAST_APPLIED_ANNOTATION] = lastAppliedText(manifest);
  metadata['annotations'] = annotations;
  patch['metadata'] = metadata;
  return patch;
}

function lastAppliedManifest(live: KubeObject): JsonObject | undefined {
  const read = readLastApplied(live);
  return read.state === 'read' ? read.manifest : undefined;
}
