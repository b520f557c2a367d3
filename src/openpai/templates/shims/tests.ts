import { pyEquals, sameAs } from './compare.js';
import { contains } from './contains.js';
import { JinjaRuntimeError, asBigInt, isDict, isPyNumber } from './py-values.js';

/**
 * Jinja2's tests (`x is defined`, `x is sameas false`, `n is divisibleby 3`) with Jinja2 2.11's semantics. As with
 * filters, a test not listed here fails when the template is compiled. OpenPAI v1.8.0's templates use `defined`.
 */
export type TestFunction = (value: unknown, args: readonly unknown[]) => boolean;

function intArgument(args: readonly unknown[], test: string): bigint {
  const n = asBigInt(args[0]);
  if (n === undefined) throw new JinjaRuntimeError('TypeError', `the '${test}' test needs an int argument`);
  return n;
}

function intValue(value: unknown, test: string): bigint {
  if (value === undefined) throw new JinjaRuntimeError('UndefinedError', `the '${test}' test got an undefined value`);
  const n = asBigInt(value);
  if (n === undefined) throw new JinjaRuntimeError('TypeError', `the '${test}' test needs an int, not this value`);
  return n;
}

export const TESTS: Readonly<Record<string, TestFunction>> = {
  defined: (value) => value !== undefined,
  undefined: (value) => value === undefined,
  none: (value) => value === null,
  sameas: (value, args) => sameAs(value, args[0]),
  boolean: (value) => typeof value === 'boolean',
  true: (value) => value === true,
  false: (value) => value === false,
  // Python's numbers.Number includes bool.
  number: (value) => isPyNumber(value),
  integer: (value) => typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)),
  string: (value) => typeof value === 'string',
  mapping: (value) => isDict(value),
  // Jinja2 asks for len() and a __getitem__ attribute: str, list, tuple, dict, and Undefined (len 0, and its
  // __getitem__ exists even though calling it raises).
  sequence: (value) => value === undefined || typeof value === 'string' || Array.isArray(value) || isDict(value),
  // iter() works on str, list, dict and Undefined.
  iterable: (value) => value === undefined || typeof value === 'string' || Array.isArray(value) || isDict(value),
  callable: (value) => typeof value === 'function',
  odd: (value) => intValue(value, 'odd') % 2n !== 0n,
  even: (value) => intValue(value, 'even') % 2n === 0n,
  divisibleby: (value, args) => {
    const divisor = intArgument(args, 'divisibleby');
    if (divisor === 0n) throw new JinjaRuntimeError('ZeroDivisionError', 'integer division or modulo by zero');
    return intValue(value, 'divisibleby') % divisor === 0n;
  },
  eq: (value, args) => pyEquals(value, args[0]),
  equalto: (value, args) => pyEquals(value, args[0]),
  ne: (value, args) => !pyEquals(value, args[0]),
  in: (value, args) => contains(value, args[0]),
};
