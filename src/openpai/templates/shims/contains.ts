import { pyEquals } from './compare.js';
import { JinjaRuntimeError, isDict, pyTypeName } from './py-values.js';

/**
 * Python's `needle in haystack`, which OpenPAI's templates use on dicts (`'ssl' in cluster_cfg['pylon']`), lists
 * (`'email-admin' in ...['actions-available']`) and strings (`'gpu' in host['machine-type']`).
 *
 * Where nunjucks throws on an undefined haystack, Jinja2 answers false: its Undefined iterates as empty, so a
 * template may test a key of a section the configuration leaves out. None, numbers and booleans are not
 * containers in Python: TypeError, as Jinja2 raises. A string haystack needs a string needle (TypeError
 * otherwise). Dict keys are strings in JavaScript: a number or boolean needle is looked up by the text the YAML
 * reader stores such a key under (`1`, `true`).
 */
export function contains(needle: unknown, haystack: unknown): boolean {
  if (haystack === undefined) return false;
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string')
      throw new JinjaRuntimeError(
        'TypeError',
        `'in <string>' requires string as left operand, not ${pyTypeName(needle)}`,
      );
    return haystack.includes(needle);
  }
  if (Array.isArray(haystack)) return haystack.some((item) => pyEquals(needle, item));
  if (isDict(haystack)) {
    if (typeof needle === 'string') return Object.hasOwn(haystack, needle);
    if (typeof needle === 'number' || typeof needle === 'bigint') return Object.hasOwn(haystack, String(needle));
    if (typeof needle === 'boolean') return Object.hasOwn(haystack, needle ? 'true' : 'false');
    if (needle === null) return Object.hasOwn(haystack, 'null');
    if (Array.isArray(needle) || isDict(needle))
      throw new JinjaRuntimeError('TypeError', `unhashable type: '${pyTypeName(needle)}'`);
    return false;
  }
  throw new JinjaRuntimeError('TypeError', `argument of type '${pyTypeName(haystack)}' is not iterable`);
}
