import { createHash } from 'node:crypto';

/**
 * JSON with every object's keys sorted, so equal values always give the same text (and the same hash) whatever
 * order their keys were built in. Follows JSON.stringify where it is lossless (toJSON, undefined properties dropped,
 * undefined in arrays as null, non-finite numbers as null) and throws a TypeError where JSON.stringify would silently
 * lose the content (Map, Set, functions, symbols, bigint, cycles): a phase's inputs whose change the hash cannot see
 * would make a rerun wrongly skip the phase.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$', new Set()) ?? 'null';
}

/** The hex sha256 of a value's canonical JSON: what state.json keeps as a phase's inputHash. */
export function hashInputs(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/** Returns undefined for what JSON omits from an object (undefined); the caller decides what that means. */
function serialize(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return undefined;
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // JSON.stringify maps -0 to 0 and NaN/Infinity to null: the same convention as JSON itself.
      return JSON.stringify(value);
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new TypeError(`cannot hash a ${typeof value} at ${path}: phase inputs must be plain JSON data`);
    case 'object':
      break;
  }
  const object = value;
  if (hasToJson(object)) return serialize(object.toJSON(), path, ancestors);
  if (object instanceof Map || object instanceof Set) {
    throw new TypeError(
      `cannot hash a ${object instanceof Map ? 'Map' : 'Set'} at ${path}: use an array or a plain object`,
    );
  }
  if (ancestors.has(object)) throw new TypeError(`cannot hash a circular structure at ${path}`);
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      const items = (object as unknown[]).map(
        (item, index) => serialize(item, `${path}[${index}]`, ancestors) ?? 'null',
      );
      return `[${items.join(',')}]`;
    }
    const members: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const member = serialize((object as Record<string, unknown>)[key], `${path}.${key}`, ancestors);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}

function hasToJson(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}
