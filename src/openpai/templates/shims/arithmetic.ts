import { pyStr } from './py-str.js';
import {
  JinjaRuntimeError,
  asBigInt,
  asNumber,
  isPyNumber,
  isTuple,
  normalizeInt,
  pyTypeName,
  tuple,
} from './py-values.js';

/**
 * Python's arithmetic, as Jinja2 evaluates `+ - * / // % **` and `~`. JavaScript would coerce: `'a' + 1` is 'a1'
 * there and TypeError in Python; `[1] + [2]` is '12' there and `[1, 2]` in Python; `'ab' * 2` NaN and 'abab'.
 * Ints stay exact (bigint past 2^53: `2 ** 100`), bools count as ints.
 *
 * Limitation: `/` always gives a Python float, and a float whose value is integral prints `5.0` in Python but `5`
 * here (see py-str.ts); `//` of floats likewise. OpenPAI's templates only multiply (`scrape_interval * 10`).
 */
export type ArithmeticOp = '+' | '-' | '*' | '/' | '//' | '%' | '**';

export function arithmetic(left: unknown, op: ArithmeticOp, right: unknown): unknown {
  // Before the Undefined check: Python formats `'a' % Undefined` (Undefined passes for a mapping) rather than fail.
  if (op === '%' && typeof left === 'string')
    throw new JinjaRuntimeError('Unsupported', "printf-style string formatting ('...' % value) is not supported");
  if (left === undefined || right === undefined)
    throw new JinjaRuntimeError('UndefinedError', `an operand of '${op}' is undefined`);
  if (isPyNumber(left) && isPyNumber(right)) return numeric(left, op, right);
  if (op === '+') {
    if (typeof left === 'string' && typeof right === 'string') return left + right;
    if (Array.isArray(left) && Array.isArray(right) && isTuple(left) === isTuple(right)) {
      const joined = [...left, ...right];
      return isTuple(left) ? tuple(joined) : joined;
    }
    if (typeof left === 'string' || Array.isArray(left))
      throw new JinjaRuntimeError(
        'TypeError',
        `can only concatenate ${pyTypeName(left)} (not "${pyTypeName(right)}") to ${pyTypeName(left)}`,
      );
  }
  if (op === '*') {
    const repeated = repeat(left, right) ?? repeat(right, left);
    if (repeated !== undefined) return repeated;
  }
  throw new JinjaRuntimeError(
    'TypeError',
    `unsupported operand type(s) for ${op}: '${pyTypeName(left)}' and '${pyTypeName(right)}'`,
  );
}

/** `'ab' * 2`, `[1] * 3` (a count below 1 gives an empty sequence). */
function repeat(sequence: unknown, count: unknown): unknown {
  const times =
    typeof count === 'boolean' || typeof count === 'bigint' || typeof count === 'number' ? asBigInt(count) : undefined;
  if (times === undefined) return undefined;
  const n = times < 0n ? 0 : Number(times);
  if (typeof sequence === 'string') return sequence.repeat(n);
  if (Array.isArray(sequence)) {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(...sequence);
    return isTuple(sequence) ? tuple(out) : out;
  }
  return undefined;
}

function numeric(left: number | bigint | boolean, op: ArithmeticOp, right: number | bigint | boolean): number | bigint {
  const a = asBigInt(left);
  const b = asBigInt(right);
  if (a !== undefined && b !== undefined) {
    // int op int stays an int, exactly, except true division.
    switch (op) {
      case '+':
        return normalizeInt(a + b);
      case '-':
        return normalizeInt(a - b);
      case '*':
        return normalizeInt(a * b);
      case '//':
        if (b === 0n) throw zeroDivision('integer division or modulo by zero');
        return normalizeInt(floorDiv(a, b));
      case '%':
        if (b === 0n) throw zeroDivision('integer division or modulo by zero');
        return normalizeInt(a - b * floorDiv(a, b));
      case '**':
        if (b >= 0n) return normalizeInt(a ** b);
        if (a === 0n) throw zeroDivision('0.0 cannot be raised to a negative power');
        return Number(a) ** Number(b);
      case '/':
        if (b === 0n) throw zeroDivision('division by zero');
        return Number(a) / Number(b);
    }
  }
  const x = asNumber(left);
  const y = asNumber(right);
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) throw zeroDivision('float division by zero');
      return x / y;
    case '//':
      if (y === 0) throw zeroDivision('float divmod()');
      return Math.floor(x / y);
    case '%': {
      if (y === 0) throw zeroDivision('float modulo');
      const rest = x % y;
      return rest !== 0 && rest < 0 !== y < 0 ? rest + y : rest;
    }
    case '**':
      if (x === 0 && y < 0) throw zeroDivision('0.0 cannot be raised to a negative power');
      return x ** y;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? quotient - 1n : quotient;
}

function zeroDivision(message: string): JinjaRuntimeError {
  return new JinjaRuntimeError('ZeroDivisionError', message);
}

/** Python's unary minus and plus (bools become ints). */
export function unary(op: '-' | '+', value: unknown): unknown {
  if (value === undefined) throw new JinjaRuntimeError('UndefinedError', `the operand of unary '${op}' is undefined`);
  if (!isPyNumber(value))
    throw new JinjaRuntimeError('TypeError', `bad operand type for unary ${op}: '${pyTypeName(value)}'`);
  const int = asBigInt(value);
  if (int !== undefined) return normalizeInt(op === '-' ? -int : int);
  const n = asNumber(value);
  return op === '-' ? -n : n;
}

/** Jinja2's `~`: both operands as Python `str()` (Undefined as ''), joined. */
export function concat(left: unknown, right: unknown): string {
  return pyStr(left) + pyStr(right);
}
