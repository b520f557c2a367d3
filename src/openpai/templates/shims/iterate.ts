import { JinjaRuntimeError, codePoints, isDict, pyTypeName } from './py-values.js';

/**
 * Python's iteration, which `{% for %}` follows in Jinja2: a list yields its items, a dict its *keys* (nunjucks'
 * single-variable loop over an object yields nothing; OpenPAI's `{% for host in cluster_cfg['layout']['machine-list'] %}`
 * iterates a dict keyed by hostname), a string its characters (code points), Undefined nothing. None, numbers and
 * booleans are not iterable: TypeError, as in Jinja2.
 */
export function iterate(value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (isDict(value)) return Object.keys(value);
  if (typeof value === 'string') return codePoints(value);
  throw new JinjaRuntimeError('TypeError', `'${pyTypeName(value)}' object is not iterable`);
}

/**
 * Python's tuple unpacking of one item into `count` loop variables (`{% for key, item in route['match'].items() %}`):
 * the item is iterated like any value (so a two-character dict key unpacks into its characters, as in Python) and
 * must yield exactly `count` values.
 */
export function unpack(item: unknown, count: number): readonly unknown[] {
  if (
    item === undefined ||
    item === null ||
    typeof item === 'number' ||
    typeof item === 'bigint' ||
    typeof item === 'boolean'
  )
    throw new JinjaRuntimeError('TypeError', `cannot unpack non-iterable ${pyTypeName(item)} object`);
  const values = iterate(item);
  if (values.length > count) throw new JinjaRuntimeError('ValueError', `too many values to unpack (expected ${count})`);
  if (values.length < count)
    throw new JinjaRuntimeError('ValueError', `not enough values to unpack (expected ${count}, got ${values.length})`);
  return values;
}

/**
 * Jinja2's `loop` inside a for body, over the items the loop really visits: with a loop filter
 * (`{% for x in A if C %}`) `loop.index`, `loop.length` and `loop.last` count the filtered items only, which is why
 * the filter runs before the body and not as an `if` inside it.
 */
export interface LoopContext {
  index: number;
  index0: number;
  revindex: number;
  revindex0: number;
  first: boolean;
  last: boolean;
  length: number;
  previtem: unknown;
  nextitem: unknown;
  depth: number;
  depth0: number;
  cycle: (...values: unknown[]) => unknown;
}

export function loopContext(items: readonly unknown[], index0: number): LoopContext {
  const length = items.length;
  return {
    index: index0 + 1,
    index0,
    revindex: length - index0,
    revindex0: length - index0 - 1,
    first: index0 === 0,
    last: index0 === length - 1,
    length,
    previtem: index0 > 0 ? items[index0 - 1] : undefined,
    nextitem: index0 < length - 1 ? items[index0 + 1] : undefined,
    depth: 1,
    depth0: 0,
    cycle: (...values: unknown[]) => {
      if (values.length === 0) throw new JinjaRuntimeError('TypeError', 'no items for cycling given');
      return values[index0 % values.length];
    },
  };
}
