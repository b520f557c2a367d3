import { pyRepr } from './py-str.js';
import { JinjaRuntimeError, asNumber, isDict, isPyNumber, isTuple, pyTypeName } from './py-values.js';

/**
 * Python's comparisons, which Jinja2 evaluates where nunjucks would use JavaScript's loose ones: `1 == '1'` and
 * `0 == ''` are false in Python, `True == 1` and `1 == 1.0` true; lists and dicts compare by content; `'a' < 1`
 * raises TypeError (Python 3); comparing Undefined with `<` raises UndefinedError, and Undefined equals only
 * another Undefined.
 */
export function pyEquals(left: unknown, right: unknown): boolean {
  if (left === undefined || right === undefined) return left === right;
  if (left === null || right === null) return left === right;
  if (isPyNumber(left) && isPyNumber(right)) return numericCompare(left, right) === 0;
  if (typeof left === 'string' || typeof right === 'string') return left === right;
  if (Array.isArray(left) && Array.isArray(right)) {
    if (isTuple(left) !== isTuple(right) || left.length !== right.length) return false;
    return left.every((item, index) => pyEquals(item, right[index]));
  }
  if (isDict(left) && isDict(right)) {
    const keys = Object.keys(left);
    if (keys.length !== Object.keys(right).length) return false;
    return keys.every((key) => Object.hasOwn(right, key) && pyEquals(left[key], right[key]));
  }
  return left === right;
}

export type CompareOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

/** One step of a comparison chain; Python's `a < b < c` is `a < b and b < c`, with b evaluated once. */
export function compareOnce(left: unknown, op: CompareOp, right: unknown): boolean {
  switch (op) {
    case '==':
      return pyEquals(left, right);
    case '!=':
      return !pyEquals(left, right);
    default: {
      const order = pyOrder(left, right, op);
      if (op === '<') return order < 0;
      if (op === '>') return order > 0;
      if (op === '<=') return order <= 0;
      return order >= 0;
    }
  }
}

/** Python's chained comparison: each right operand is evaluated only while the chain holds. */
export function compareChain(first: unknown, steps: readonly (readonly [CompareOp, () => unknown])[]): boolean {
  let left = first;
  for (const [op, next] of steps) {
    const right = next();
    if (!compareOnce(left, op, right)) return false;
    left = right;
  }
  return true;
}

/** -1, 0 or 1 (NaN gives NaN, which makes every ordering false, as in Python). */
function pyOrder(left: unknown, right: unknown, op: CompareOp): number {
  if (left === undefined || right === undefined)
    throw new JinjaRuntimeError('UndefinedError', `cannot compare an undefined value with '${op}'`);
  if (isPyNumber(left) && isPyNumber(right)) return numericCompare(left, right);
  if (typeof left === 'string' && typeof right === 'string') return codePointCompare(left, right);
  if (Array.isArray(left) && Array.isArray(right) && isTuple(left) === isTuple(right)) {
    for (let index = 0; index < Math.min(left.length, right.length); index++) {
      if (!pyEquals(left[index], right[index])) return pyOrder(left[index], right[index], op);
    }
    return Math.sign(left.length - right.length);
  }
  throw new JinjaRuntimeError(
    'TypeError',
    `'${op}' not supported between instances of '${pyTypeName(left)}' and '${pyTypeName(right)}' (${pyRepr(left)} ${op} ${pyRepr(right)})`,
  );
}

function numericCompare(left: number | bigint | boolean, right: number | bigint | boolean): number {
  const a = typeof left === 'boolean' ? asNumber(left) : left;
  const b = typeof right === 'boolean' ? asNumber(right) : right;
  if (typeof a === 'number' && Number.isNaN(a)) return NaN;
  if (typeof b === 'number' && Number.isNaN(b)) return NaN;
  // JavaScript compares a bigint with a number exactly.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Python orders strings by code point; JavaScript's `<` by UTF-16 unit, which differs above U+FFFF. */
function codePointCompare(left: string, right: string): number {
  const a = Array.from(left);
  const b = Array.from(right);
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const diff = a[index]!.codePointAt(0)! - b[index]!.codePointAt(0)!;
    if (diff !== 0) return Math.sign(diff);
  }
  return Math.sign(a.length - b.length);
}

/**
 * Jinja2's `is sameas` test: Python's `is`. True, False and None are singletons, so `x is sameas false` holds only
 * for a real False (not 0, not ''). For other values identity is a CPython detail, decided here as it falls out
 * for values PyYAML or json built: small ints (-5..256), the empty string and one-character Latin-1 strings are
 * shared objects, so equal ones are identical; other numbers and strings are distinct objects even when equal, so
 * never identical (Python would say True for the very same value looked up twice, which JavaScript cannot tell
 * apart). Lists and dicts are identical only if they are the same object, in both languages. Undefined is never
 * identical to anything (every lookup makes a new one).
 */
export function sameAs(left: unknown, right: unknown): boolean {
  if (left === undefined || right === undefined) return false;
  if (typeof left !== typeof right) return false;
  if (typeof left === 'number') return Number.isInteger(left) && left >= -5 && left <= 256 && left === right;
  if (typeof left === 'bigint') return false;
  if (typeof left === 'string')
    return left === right && (left === '' || (left.length === 1 && left.charCodeAt(0) < 256));
  return left === right;
}
