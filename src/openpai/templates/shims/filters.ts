import { iterate } from './iterate.js';
import { pyStr } from './py-str.js';
import { JinjaRuntimeError, codePoints, isDict, pyTypeName } from './py-values.js';
import { truthy } from './truthy.js';

/**
 * Jinja2's filters with Jinja2's semantics; nunjucks' own would differ (its `default` replaces null too, its
 * `length` counts UTF-16 units, its `string` writes `true` and `[object Object]`). Only filters whose Jinja2
 * behaviour is reproduced are known: any other filter fails when the template is compiled (as an unknown filter
 * does in Jinja2), instead of rendering with nunjucks' JavaScript semantics. OpenPAI v1.8.0's templates use
 * `default`, `length` and `string`.
 */
export type FilterFunction = (
  value: unknown,
  args: readonly unknown[],
  keywords: Readonly<Record<string, unknown>>,
) => unknown;

/** One argument by position or by keyword (`default('x', boolean=true)`), as Python binds them. */
function argument(
  args: readonly unknown[],
  keywords: Readonly<Record<string, unknown>>,
  index: number,
  name: string,
  fallback: unknown,
): unknown {
  if (index < args.length) return args[index];
  return Object.hasOwn(keywords, name) ? keywords[name] : fallback;
}

/** `default(value, default_value='', boolean=False)`: Undefined (and, with boolean, any false value) → default. */
const defaultFilter: FilterFunction = (value, args, keywords) => {
  const fallback = argument(args, keywords, 0, 'default_value', '');
  const boolean = truthy(argument(args, keywords, 1, 'boolean', false));
  return value === undefined || (boolean && !truthy(value)) ? fallback : value;
};

/** Python's `len()`: code points of a string, items of a list, keys of a dict; Undefined has length 0. */
export const lengthFilter: FilterFunction = (value) => {
  if (value === undefined) return 0;
  if (typeof value === 'string') return codePoints(value).length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  throw new JinjaRuntimeError('TypeError', `object of type '${pyTypeName(value)}' has no len()`);
};

/** Python's `str()`. */
const stringFilter: FilterFunction = (value) => pyStr(value);

/** `join(value, d='')`: Python's `d.join(str(x) for x in value)`. */
const joinFilter: FilterFunction = (value, args, keywords) => {
  const separator = pyStr(argument(args, keywords, 0, 'd', ''));
  return iterate(value).map(pyStr).join(separator);
};

// str.lower()/upper() on ASCII; JavaScript's case mapping of other scripts matches Python's for nearly all of them.
const lowerFilter: FilterFunction = (value) => pyStr(value).toLowerCase();
const upperFilter: FilterFunction = (value) => pyStr(value).toUpperCase();

// Python's str.strip() removes what str.isspace() calls whitespace: JavaScript's \s plus the separators \x1c-\x1f
// and \x85, without U+FEFF (which \s includes).
const PY_SPACE = '[\\s\\x1c-\\x1f\\x85]';
const STRIP = new RegExp(`^(?:(?!\\ufeff)${PY_SPACE})+|(?:(?!\\ufeff)${PY_SPACE})+$`, 'gu');
const trimFilter: FilterFunction = (value) => pyStr(value).replace(STRIP, '');

export const FILTERS: Readonly<Record<string, FilterFunction>> = {
  default: defaultFilter,
  d: defaultFilter,
  length: lengthFilter,
  count: lengthFilter,
  string: stringFilter,
  join: joinFilter,
  lower: lowerFilter,
  upper: upperFilter,
  trim: trimFilter,
};
