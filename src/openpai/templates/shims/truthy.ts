import { isDict } from './py-values.js';

/**
 * Python's truth value, which Jinja2 uses for `if`, `not`, `and`, `or`, `x if c else y` and loop filters. It differs
 * from JavaScript's where OpenPAI's configuration meets it: an empty list or dict is false in Python and true in
 * JavaScript (`{% if cluster_cfg['rest-server']['etcd-uris'] %}` with `[]`), and NaN is true in Python.
 * Jinja2's Undefined is false.
 */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    default:
      break;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  return true;
}

/** Python's `a or b`: the first operand when it is true, else the second (evaluated only then). */
export function or(left: unknown, right: () => unknown): unknown {
  return truthy(left) ? left : right();
}

/** Python's `a and b`: the first operand when it is false, else the second (evaluated only then). */
export function and(left: unknown, right: () => unknown): unknown {
  return truthy(left) ? right() : left;
}
