/**
 * Loaded YAML values as the ported parsers handle them: plain objects keyed by the text json.dumps would write,
 * copied before a parser mutates them (OpenPAI's parsers update their inputs in place), and merged the three ways
 * OpenPAI's parsers merge a service's defaults with the user's section.
 */
import { YamlTimestamp } from '../../config/yaml-source.js';
import type { ModelMap, ModelValue } from './types.js';

export function isMap(value: unknown): value is ModelMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof YamlTimestamp) &&
    !(value instanceof Uint8Array)
  );
}

/**
 * Sets a key read from a file. A key such as `__proto__` is data here: defined as an own property, it can never
 * reach the object's prototype.
 */
export function put(target: ModelMap, key: string, value: ModelValue): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

export function has(target: ModelMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** The value under a key read from a file, undefined when absent (never an inherited property). */
export function get(target: ModelMap, key: string): ModelValue | undefined {
  return has(target, key) ? target[key] : undefined;
}

/** A deep copy: the parsers mutate what they are given, the caller's values stay as they were. */
export function clone<T extends ModelValue | undefined>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => clone(item)) as T;
  if (isMap(value)) {
    const out: ModelMap = {};
    for (const [key, item] of Object.entries(value)) put(out, key, clone(item));
    return out as T;
  }
  return value;
}

/**
 * `dict(defaults, **section)`, and also `copy.deepcopy(defaults).update(section)`: the defaults' keys in their
 * order, each replaced by the section's value when it has one, then the section's other keys. The parts are copied.
 */
export function shallowMerge(defaults: ModelMap, section: ModelMap): ModelMap {
  const out = clone(defaults);
  for (const [key, value] of Object.entries(section)) put(out, key, clone(value));
  return out;
}

/**
 * cluster's merge: like shallowMerge, but where both sides hold a mapping under a key the two are merged the same
 * way (so `cluster.common` may name only the keys it changes).
 */
export function recursiveMerge(defaults: ModelMap, section: ModelMap): ModelMap {
  const out = clone(defaults);
  for (const [key, value] of Object.entries(section)) {
    const base = get(out, key);
    put(out, key, isMap(value) && isMap(base) ? recursiveMerge(base, value) : clone(value));
  }
  return out;
}
