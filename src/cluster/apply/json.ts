/**
 * JSON values as manifests and the API server's answers hold them, and the comparisons apply needs. Manifests come
 * from YAML or JSON: plain objects, arrays, strings, numbers, booleans and `null`, nothing else.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality: same keys (in any order), same values, arrays element by element. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

/**
 * Whether `live` holds every value `wanted` sets: objects may have more keys in `live` (what the server defaulted,
 * what other writers own), arrays must have the same length with each element covered. A `null` in `wanted` asks for
 * the field to be absent, so an absent or null field covers it. An absent object or list in `live` is an empty one:
 * the server does not store an empty map or list (`env: []`, `nodeSelector: {}` come back as nothing).
 */
export function jsonCovers(live: unknown, wanted: unknown): boolean {
  if (wanted === null) return live === null || live === undefined;
  const absent = live === undefined || live === null;
  if (Array.isArray(wanted)) {
    const items = absent ? [] : live;
    return (
      Array.isArray(items) && items.length === wanted.length && wanted.every((item, i) => jsonCovers(items[i], item))
    );
  }
  if (isJsonObject(wanted)) {
    const fields = absent ? {} : live;
    return isJsonObject(fields) && Object.entries(wanted).every(([key, value]) => jsonCovers(fields[key], value));
  }
  // A quantity written as a number (`cpu: 2`, `storage: 10`) is stored as its canonical string ("2"): the same
  // value. No other field takes a number where it stores a string.
  if (typeof wanted === 'number' && typeof live === 'string') return live === String(wanted);
  return live === wanted;
}

/** A deep copy (manifests are never changed in place: the caller's object stays as written). */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}
