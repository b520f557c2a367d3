import { pyRepr } from './py-str.js';
import { JinjaRuntimeError, asBigInt, codePoints, dictView, isDict, pyTypeName, tuple } from './py-values.js';

/**
 * Jinja2's `x['k']` (getitem) and `x.k` (getattr) on the configuration's values.
 *
 * - `x['k']` tries the item first, then a Python attribute; `x.k` the attribute first (so `d.items` is the method
 *   even when the dict has a key `items`), then the item. Only own keys count: nunjucks would also find
 *   JavaScript's prototype members (`d['constructor']`, `list['length']`), which Python has not.
 * - A missing key, an index out of range, a key of None or of a number gives Undefined, which prints as '' and is
 *   false (Jinja2's default Undefined).
 * - Reading anything *from* Undefined raises UndefinedError in Jinja2 (`cluster_cfg['missing']['x']`); nunjucks
 *   would give undefined again. It is raised here too, naming the expression that was undefined.
 * - Lists and strings take int indexes, negative ones from the end, as in Python.
 * - The Python attributes known are the dict methods Python 2's dict had (paictl ran on Python 2, and
 *   cluster-configuration's host-configuration template calls `.iteritems()`): items/iteritems, keys/iterkeys,
 *   values/itervalues, get, has_key. Reading another method Python's str, list or dict has (`s.upper`,
 *   `l.append`) fails loudly rather than giving Undefined where Jinja2 would have called it.
 */
export function lookup(target: unknown, key: unknown, attribute: boolean, describe: string): unknown {
  if (target === undefined) {
    const access = attribute && typeof key === 'string' ? `.${key}` : `[${pyRepr(key)}]`;
    throw new JinjaRuntimeError('UndefinedError', `${describe} is undefined, so ${access} cannot be read from it`);
  }
  if (attribute) {
    const method = pyAttribute(target, key);
    if (method !== undefined) return method;
    const item = pyItem(target, key);
    return item === MISSING ? undefined : item;
  }
  const item = pyItem(target, key);
  if (item !== MISSING) return item;
  return pyAttribute(target, key);
}

const MISSING: unique symbol = Symbol('missing');

function pyItem(target: unknown, key: unknown): unknown {
  if (isDict(target)) {
    const text = dictKeyText(key);
    return text !== undefined && Object.hasOwn(target, text) ? target[text] : MISSING;
  }
  if (Array.isArray(target) || typeof target === 'string') {
    const index = asBigInt(key);
    if (index === undefined) return MISSING;
    const items: readonly unknown[] = typeof target === 'string' ? codePoints(target) : target;
    const position = Number(index < 0n ? index + BigInt(items.length) : index);
    return position >= 0 && position < items.length ? items[position] : MISSING;
  }
  return MISSING;
}

/** The text a dict key is stored under in JavaScript (the YAML reader's convention for non-string keys). */
function dictKeyText(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (key === null) return 'null';
  return undefined;
}

function pyAttribute(target: unknown, name: unknown): unknown {
  if (typeof name !== 'string') return undefined;
  if (isDict(target) && Object.hasOwn(DICT_METHODS, name)) {
    const method = DICT_METHODS[name]!;
    return (...args: unknown[]) => method(target, args);
  }
  const kind =
    typeof target === 'string' ? 'str' : Array.isArray(target) ? 'list' : isDict(target) ? 'dict' : undefined;
  // Python has these methods and Jinja2 would call them; they are not reproduced, so they fail loudly here
  // instead of being Undefined (which would print '' or make an `if` false where Jinja2 would not).
  if (kind !== undefined && UNSUPPORTED_METHODS[kind].has(name))
    throw new JinjaRuntimeError(
      'Unsupported',
      `Python's ${kind}.${name}() is not supported by pai-deploy's Jinja2 renderer`,
    );
  return undefined;
}

const UNSUPPORTED_METHODS: Readonly<Record<'str' | 'list' | 'dict', ReadonlySet<string>>> = {
  str: new Set(
    (
      'capitalize casefold center count encode endswith expandtabs find format format_map index isalnum isalpha ' +
      'isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle isupper join ljust lower ' +
      'lstrip maketrans partition replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith ' +
      'strip swapcase title translate upper zfill'
    ).split(' '),
  ),
  list: new Set('append clear copy count extend index insert pop remove reverse sort'.split(' ')),
  dict: new Set('clear copy fromkeys pop popitem setdefault update viewitems viewkeys viewvalues'.split(' ')),
};

type DictMethod = (dict: Record<string, unknown>, args: readonly unknown[]) => unknown;

const items: DictMethod = (dict) =>
  dictView(
    'dict_items',
    Object.entries(dict).map(([key, value]) => tuple([key, value])),
  );
const keys: DictMethod = (dict) => dictView('dict_keys', Object.keys(dict));
const values: DictMethod = (dict) => dictView('dict_values', Object.values(dict));

const DICT_METHODS: Record<string, DictMethod> = {
  items,
  iteritems: items,
  keys,
  iterkeys: keys,
  values,
  itervalues: values,
  get: (dict, args) => {
    const text = dictKeyText(args[0]);
    return text !== undefined && Object.hasOwn(dict, text) ? dict[text] : args.length > 1 ? args[1] : null;
  },
  has_key: (dict, args) => {
    const text = dictKeyText(args[0]);
    return text !== undefined && Object.hasOwn(dict, text);
  },
};

/**
 * Calling a value (`d.items()`, `loop.cycle('a', 'b')`, `range(3)`): Undefined raises UndefinedError (Jinja2),
 * anything else that is not callable TypeError. `describe` names the callee in the message.
 */
export function call(callee: unknown, args: readonly unknown[], describe: string, thisArg: unknown): unknown {
  if (callee === undefined)
    throw new JinjaRuntimeError('UndefinedError', `${describe} is undefined, so it cannot be called`);
  if (typeof callee !== 'function')
    throw new JinjaRuntimeError('TypeError', `'${pyTypeName(callee)}' object is not callable (${describe})`);
  return (callee as (...a: unknown[]) => unknown).apply(thisArg, [...args]);
}
