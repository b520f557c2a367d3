import { isJsonObject, jsonCovers, jsonEqual, type JsonObject, type JsonValue } from './json.js';

/**
 * The three-way merge patch of a client-side apply, as an RFC 7386 JSON merge patch: objects merge key by key,
 * `null` deletes a key, anything else (lists included) replaces the value whole. A merge patch is the one patch
 * type every kind accepts, custom resources included, on every server version pai-deploy meets; strategic merge
 * patch is refused for custom resources, and server-side apply is off on kubespray 2.11's 1.15.
 *
 * - `original`: what the last apply wrote (the last-applied annotation), or undefined when nothing was applied
 *   before: then nothing is pruned.
 * - `modified`: the manifest now.
 * - `current`: the live object.
 *
 * The patch holds
 * - every field `original` set and `modified` no longer has, as `null` (pruned), when `current` still has it;
 * - every field `modified` sets that `current` does not hold as written;
 * - a `null` `modified` writes itself (an explicit "must be absent"), when `current` has the field;
 * and nothing else: fields only `current` has (the server's defaults, status, what other writers own) are left
 * alone. Equal inputs give `{}`: the caller then sends no request at all.
 *
 * Lists. A merge patch cannot say "the element named x" (strategic merge can: containers by name, env by name,
 * ports by containerPort), so a list that must change is sent whole, and the live list becomes exactly the
 * manifest's, with the server's defaults filled in again. A list is sent when the manifest's differs from the last
 * applied one (an element added, removed or edited, also inside an element) or when the live list no longer covers
 * it (someone changed a value the manifest sets); a live list whose elements only carry more fields than the
 * manifest's (`imagePullPolicy`, `terminationMessagePath`, `protocol`, … defaulted by the server) covers it, so a
 * repeated apply of the same manifest sends nothing.
 *
 * Where strategic merge would differ: elements another writer added to a list pai-deploy manages (a sidecar, an
 * env var set by hand, a toleration) survive a strategic merge but are dropped when the list is sent whole, and an
 * element's server-assigned field the manifest leaves out (a Service port's allocated `nodePort`) is assigned anew.
 * That is acceptable for the objects pai-deploy applies: it is their only writer (OpenPAI's services are deployed
 * from its manifests, not edited in place), the replacement happens only when the manifest's list changed, and
 * manifests that care about a stable value (a NodePort) write it.
 */
export function threeWayMergePatch(
  original: JsonObject | undefined,
  modified: JsonObject,
  current: JsonObject,
): JsonObject {
  const patch: JsonObject = {};
  for (const [key, wanted] of Object.entries(modified)) {
    const live = current[key];
    const before = original?.[key];
    if (wanted === null) {
      if (isPresent(live)) patch[key] = null;
    } else if (isJsonObject(wanted)) {
      if (isJsonObject(live) || !isPresent(live)) {
        // An absent live object merges like an empty one: an empty manifest object (`annotations: {}`, which the
        // server does not even store) then asks for nothing.
        const nested = threeWayMergePatch(
          isJsonObject(before) ? before : undefined,
          wanted,
          isJsonObject(live) ? live : {},
        );
        if (Object.keys(nested).length > 0) patch[key] = nested;
      } else {
        // A scalar or list where the manifest has an object: the merge patch builds the object from scratch.
        patch[key] = withoutNulls(wanted);
      }
    } else if (Array.isArray(wanted)) {
      if (!jsonEqual(wanted, before) || !jsonCovers(live, wanted)) patch[key] = wanted;
    } else if (!jsonCovers(live, wanted)) {
      patch[key] = wanted;
    }
  }
  if (original !== undefined) {
    for (const key of Object.keys(original)) {
      if (!Object.hasOwn(modified, key) && isPresent(current[key])) patch[key] = null;
    }
  }
  return patch;
}

/** Whether a patch asks for nothing: then no request is sent. */
export function isEmptyPatch(patch: JsonObject): boolean {
  return Object.keys(patch).length === 0;
}

/** Applies an RFC 7386 merge patch to a value (for tests, and to preview what a patch does). */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function isPresent(value: JsonValue | undefined): boolean {
  return value !== undefined && value !== null;
}

/** An object for a merge patch that creates it: a `null` inside would delete from nothing, so it is left out. */
function withoutNulls(value: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    result[key] = isJsonObject(item) ? withoutNulls(item) : item;
  }
  return result;
}
