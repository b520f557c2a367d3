import { arithmetic, concat, unary } from './shims/arithmetic.js';
import { compareChain, compareOnce } from './shims/compare.js';
import { contains } from './shims/contains.js';
import { FILTERS } from './shims/filters.js';
import { iterate, loopContext, unpack } from './shims/iterate.js';
import { call, lookup } from './shims/lookup.js';
import { pyStr } from './shims/py-str.js';
import { JinjaRuntimeError, asBigInt, isDict, normalizeInt, tuple } from './shims/py-values.js';
import { TESTS } from './shims/tests.js';
import { and, or, truthy } from './shims/truthy.js';

/**
 * What a compiled template calls at run time instead of nunjucks' JavaScript-flavoured runtime: each operation with
 * Jinja2's (Python's) semantics. jinja-compiler.ts emits `shims.<name>(...)`; the object is handed to the compiled
 * code as a parameter, so nothing global (nunjucks' shared runtime module, installJinjaCompat's patches) is
 * touched and other nunjucks users in the process are unaffected.
 *
 * Calls that can raise get one extra, last argument, `(lineno = L, colno = C)`, evaluated after their operands: it
 * moves nunjucks' position variables to this operation, so an error names the operation's line and column rather
 * than an operand's. The functions ignore it.
 */

/** nunjucks' Frame as the compiled code passes it: the loop and `set` variables, innermost first. */
interface Frame {
  lookup(name: string): unknown;
}
interface Context {
  ctx: Record<string, unknown>;
}

/** Jinja2's `range()`, as a list (iterates and measures the same; prints `[0, 1, 2]` where Python 3 prints `range(0, 3)`). */
function range(...args: unknown[]): number[] | bigint[] {
  const ints = args.map((arg) => {
    const n = asBigInt(arg);
    if (n === undefined) throw new JinjaRuntimeError('TypeError', 'range() takes int arguments');
    return n;
  });
  if (ints.length < 1 || ints.length > 3) throw new JinjaRuntimeError('TypeError', 'range() takes 1 to 3 arguments');
  const [start, stop, step] =
    ints.length === 1
      ? [0n, ints[0]!, 1n]
      : ints.length === 2
        ? [ints[0]!, ints[1]!, 1n]
        : [ints[0]!, ints[1]!, ints[2]!];
  if (step === 0n) throw new JinjaRuntimeError('ValueError', 'range() arg 3 must not be zero');
  const out: bigint[] = [];
  // Jinja2's default (non-sandboxed) range has no size limit; a template asking for millions of items is a mistake.
  for (let i = start; step > 0n ? i < stop : i > stop; i += step) {
    out.push(i);
    if (out.length > 1_000_000) throw new JinjaRuntimeError('Unsupported', 'range() of more than a million items');
  }
  return out.map(normalizeInt) as number[];
}

const GLOBALS: Readonly<Record<string, unknown>> = { range };

/** Jinja2's name lookup: the innermost loop or `set` variable, then the render context, then the globals. */
function name(context: Context, frame: Frame, key: string): unknown {
  const local = frame.lookup(key);
  if (local !== undefined) return local;
  if (Object.hasOwn(context.ctx, key)) return context.ctx[key];
  return Object.hasOwn(GLOBALS, key) ? GLOBALS[key] : undefined;
}

/** nunjucks passes keyword arguments as a last object marked `__keywords`. */
function splitKeywords(args: readonly unknown[]): [unknown[], Record<string, unknown>] {
  const last = args.at(-1);
  if (isDict(last) && Object.hasOwn(last, '__keywords')) {
    const keywords: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(last)) if (key !== '__keywords') keywords[key] = value;
    return [args.slice(0, -1), keywords];
  }
  return [[...args], {}];
}

function filter(args: readonly unknown[], filterName: string): unknown {
  const [[value, ...rest], keywords] = splitKeywords(args);
  return FILTERS[filterName]!(value, rest, keywords);
}

function test(args: readonly unknown[], testName: string): boolean {
  const [[value, ...rest]] = splitKeywords(args);
  return TESTS[testName]!(value, rest);
}

export const shims = {
  name,
  lookup,
  call,
  contains,
  iterate,
  unpack,
  loopContext,
  truthy,
  not: (value: unknown) => !truthy(value),
  or,
  and,
  compare: compareOnce,
  compareChain,
  arithmetic,
  unary,
  concat,
  output: pyStr,
  filter,
  test,
  tuple: (items: unknown[]) => tuple(items),
} as const;

export type Shims = typeof shims;
