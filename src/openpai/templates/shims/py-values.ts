/**
 * How the JavaScript values a template sees stand for the Python values Jinja2 saw when paictl rendered it.
 *
 * paictl handed Jinja2 the cluster object model as PyYAML built it; pai-deploy hands renderTemplate the same
 * configuration as plain JavaScript values. The mapping the shims rely on:
 *
 * | JavaScript                         | Python                                                         |
 * |------------------------------------|----------------------------------------------------------------|
 * | `undefined`                        | Jinja2's Undefined (a missing key, an unknown name)            |
 * | `null`                             | None                                                           |
 * | boolean                            | bool                                                           |
 * | integral number, bigint            | int (a float such as `1.0` arrives as `1`: see py-str.ts)      |
 * | other number                       | float                                                          |
 * | string                             | str                                                            |
 * | array                              | list; a tuple when marked with {@link tuple}                   |
 * | plain object (prototype Object/null)| dict, keys in insertion order (but see {@link isDict})        |
 *
 * Anything else (a Date, a Map, a class instance) is an opaque object the shims do not pretend to know.
 */

/**
 * A plain object is a dict. JavaScript orders integer-like keys ("2", "10") before the others whatever the
 * insertion order, where Python keeps insertion order: a dict whose keys look like integers prints and iterates
 * in ascending key order instead of the YAML file's. OpenPAI's configuration keys are names, not numbers.
 */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Arrays that stand for Python tuples (what `.items()` yields, `(a, b)` in a template): repr `(1, 2)`, `(1,)`. */
const tuples = new WeakSet<readonly unknown[]>();

/** Marks an array as a Python tuple and returns it. */
export function tuple<T extends unknown[]>(items: T): T {
  tuples.add(items);
  return items;
}

export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && tuples.has(value);
}

/** What Python 3 calls the dict views `.keys()`, `.values()` and `.items()` return (their repr names them). */
export type DictViewKind = 'dict_keys' | 'dict_values' | 'dict_items';
const views = new WeakMap<readonly unknown[], DictViewKind>();

export function dictView<T extends unknown[]>(kind: DictViewKind, items: T): T {
  views.set(items, kind);
  return items;
}

export function dictViewKind(value: unknown): DictViewKind | undefined {
  return Array.isArray(value) ? views.get(value) : undefined;
}

/** Python's name of a value's type, as its error messages say it (`'NoneType' object is not iterable`). */
export function pyTypeName(value: unknown): string {
  if (value === undefined) return 'Undefined';
  if (value === null) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    case 'function':
      return 'method';
    default:
      break;
  }
  if (Array.isArray(value)) return dictViewKind(value) ?? (isTuple(value) ? 'tuple' : 'list');
  if (isDict(value)) return 'dict';
  return 'object';
}

/** Python's int and bool (a bool is an int there: `True + 1 == 2`, `True == 1`). */
export function isPyNumber(value: unknown): value is number | bigint | boolean {
  return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean';
}

/** A Python int (bool included) as a bigint, or undefined for floats and non-numbers. */
export function asBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return undefined;
}

/** A bigint result as a number when that is exact, so the common case stays a plain number. */
export function normalizeInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Python's view of a number-like value as a float, for arithmetic that leaves the ints. */
export function asNumber(value: number | bigint | boolean): number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : Number(value);
}

/**
 * The Python exception a shim raises where Jinja2 would have raised one (UndefinedError, TypeError, ValueError,
 * ZeroDivisionError), or `Unsupported` where pai-deploy's renderer does not do what Jinja2 would (never silently
 * different). Internal: renderTemplate turns it into a TemplateRenderError with the template's name and position.
 */
export type PyErrorType = 'UndefinedError' | 'TypeError' | 'ValueError' | 'ZeroDivisionError' | 'Unsupported';

export class JinjaRuntimeError extends Error {
  readonly pyType: PyErrorType;
  constructor(pyType: PyErrorType, message: string) {
    super(message);
    this.name = 'JinjaRuntimeError';
    this.pyType = pyType;
  }
}

/** Python's code points of a string (Python indexes, measures and iterates strings by code point). */
export function codePoints(text: string): string[] {
  return Array.from(text);
}
