import { describe, expect, it } from 'vitest';
import { arithmetic, concat, unary } from '../../src/openpai/templates/shims/arithmetic.js';
import { compareChain, compareOnce, pyEquals, sameAs } from '../../src/openpai/templates/shims/compare.js';
import { contains } from '../../src/openpai/templates/shims/contains.js';
import { FILTERS } from '../../src/openpai/templates/shims/filters.js';
import { iterate, loopContext, unpack } from '../../src/openpai/templates/shims/iterate.js';
import { call, lookup } from '../../src/openpai/templates/shims/lookup.js';
import { pyRepr, pyStr, pyStringRepr } from '../../src/openpai/templates/shims/py-str.js';
import { JinjaRuntimeError, dictView, tuple } from '../../src/openpai/templates/shims/py-values.js';
import { jinjaSourceText } from '../../src/openpai/templates/shims/source-newlines.js';
import { decodeStringLiteral } from '../../src/openpai/templates/shims/string-literal.js';
import { TESTS } from '../../src/openpai/templates/shims/tests.js';
import { and, or, truthy } from '../../src/openpai/templates/shims/truthy.js';

/** The Python exception a shim raises, or 'no error'. */
function raised(action: () => unknown): string {
  try {
    action();
    return 'no error';
  } catch (error) {
    if (error instanceof JinjaRuntimeError) return error.pyType;
    throw error;
  }
}

describe('py-str: Python str() and repr()', () => {
  it('prints booleans, None and Undefined as Python does', () => {
    expect(pyStr(true)).toBe('True');
    expect(pyStr(false)).toBe('False');
    expect(pyStr(null)).toBe('None');
    expect(pyStr(undefined)).toBe('');
    expect(pyRepr(undefined)).toBe('Undefined');
  });

  it('prints ints with all their digits and floats as Python repr', () => {
    expect(pyStr(42)).toBe('42');
    expect(pyStr(-7)).toBe('-7');
    expect(pyStr(1e21)).toBe('1000000000000000000000');
    expect(pyStr(2n ** 70n)).toBe('1180591620717411303424');
    expect(pyStr(0.1)).toBe('0.1');
    expect(pyStr(1.5e-7)).toBe('1.5e-07');
    expect(pyStr(0.0001)).toBe('0.0001');
    expect(pyStr(123456.789)).toBe('123456.789');
    expect(pyStr(1.5e16)).toBe('15000000000000000');
    expect(pyStr(Infinity)).toBe('inf');
    expect(pyStr(-Infinity)).toBe('-inf');
    expect(pyStr(NaN)).toBe('nan');
  });

  it('cannot know an integral float: 1.0 from YAML prints 1 (documented limitation)', () => {
    expect(pyStr(1.0)).toBe('1');
  });

  it('quotes strings inside containers with Python 3 repr rules', () => {
    expect(pyStringRepr('plain')).toBe("'plain'");
    expect(pyStringRepr("it's")).toBe('"it\'s"');
    expect(pyStringRepr('say "hi"')).toBe('\'say "hi"\'');
    expect(pyStringRepr('both \' and "')).toBe("'both \\' and \"'");
    expect(pyStringRepr('back\\slash')).toBe("'back\\\\slash'");
    expect(pyStringRepr('\t\n\r')).toBe("'\\t\\n\\r'");
    expect(pyStringRepr('\0\x1f\x7f')).toBe("'\\x00\\x1f\\x7f'");
    expect(pyStringRepr('é ü 😀')).toBe("'é ü 😀'");
    expect(pyStringRepr('\x85\xa0\xad\u200b\u2028\ue000\uffff')).toBe("'\\x85\\xa0\\xad\\u200b\\u2028\\ue000\\uffff'");
    expect(pyStringRepr('\u{e0001}')).toBe("'\\U000e0001'");
  });

  it('prints lists, tuples, dicts (in insertion order) and dict views', () => {
    expect(pyStr([1, 'a', null, true, 2.5])).toBe("[1, 'a', None, True, 2.5]");
    expect(pyStr({ b: 1, a: [false] })).toBe("{'b': 1, 'a': [False]}");
    expect(pyStr([{ x: [{ y: {} }] }, [], {}])).toBe("[{'x': [{'y': {}}]}, [], {}]");
    expect(pyStr(tuple([1, 'a']))).toBe("(1, 'a')");
    expect(pyStr(tuple([1]))).toBe('(1,)');
    expect(pyStr(tuple([]))).toBe('()');
    expect(pyStr(dictView('dict_items', [tuple(['a', 1])]))).toBe("dict_items([('a', 1)])");
    // webportal splices its plugin list into JavaScript this way.
    expect(pyStr([{ id: 'x', title: 'y' }])).toBe("[{'id': 'x', 'title': 'y'}]");
  });

  it('keeps top-level strings as they are', () => {
    expect(pyStr("it's \n")).toBe("it's \n");
  });
});

describe('truthy: Python truth values', () => {
  it.each([
    [undefined, false],
    [null, false],
    [false, false],
    [0, false],
    ['', false],
    [[], false],
    [{}, false],
    [true, true],
    [NaN, true],
    [-1, true],
    ['0', true],
    [[0], true],
    [{ a: null }, true],
  ])('%j is %s', (value, expected) => {
    expect(truthy(value)).toBe(expected);
  });

  it('a bigint zero is false', () => {
    expect(truthy(0n)).toBe(false);
    expect(truthy(2n ** 64n)).toBe(true);
  });

  it('and/or return an operand and evaluate the second only when needed', () => {
    expect(or([], () => 'e')).toBe('e');
    expect(and({}, () => 1)).toEqual({});
    let evaluated = false;
    expect(
      or('x', () => {
        evaluated = true;
        return 'y';
      }),
    ).toBe('x');
    expect(evaluated).toBe(false);
  });
});

describe('compare: Python equality, ordering and identity', () => {
  it('compares as Python, not as JavaScript loosely', () => {
    expect(pyEquals(1, '1')).toBe(false);
    expect(pyEquals(0, '')).toBe(false);
    expect(pyEquals(true, 1)).toBe(true);
    expect(pyEquals(1, 1.0)).toBe(true);
    expect(pyEquals(2n, 2)).toBe(true);
    expect(pyEquals(null, undefined)).toBe(false);
    expect(pyEquals(undefined, undefined)).toBe(true);
    expect(pyEquals([1, [2]], [1, [2]])).toBe(true);
    expect(pyEquals([1], tuple([1]))).toBe(false);
    expect(pyEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(pyEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(pyEquals(NaN, NaN)).toBe(false);
  });

  it('orders numbers, strings by code point and lists lexicographically; mixed types raise TypeError', () => {
    expect(compareOnce(1, '<', 2)).toBe(true);
    expect(compareOnce(true, '<', 2)).toBe(true);
    expect(compareOnce('B', '<', 'a')).toBe(true);
    // U+FFFF sorts before U+1F600 by code point, after it by UTF-16 unit.
    expect(compareOnce('\uffff', '<', '😀')).toBe(true);
    expect(compareOnce([1, 2], '<', [1, 3])).toBe(true);
    expect(compareOnce([1], '<', [1, 0])).toBe(true);
    expect(compareOnce(NaN, '>=', 1)).toBe(false);
    expect(raised(() => compareOnce('a', '<', 1))).toBe('TypeError');
    expect(raised(() => compareOnce(null, '<', 1))).toBe('TypeError');
    expect(raised(() => compareOnce({}, '<', {}))).toBe('TypeError');
    expect(raised(() => compareOnce(undefined, '<', 1))).toBe('UndefinedError');
    expect(raised(() => compareOnce(undefined, '==', 1))).toBe('no error');
  });

  it('chains comparisons, evaluating each operand once and only while the chain holds', () => {
    expect(
      compareChain(1, [
        ['<', () => 2],
        ['<', () => 3],
      ]),
    ).toBe(true);
    expect(
      compareChain(3, [
        ['>', () => 2],
        ['>', () => 2],
      ]),
    ).toBe(false);
    let calls = 0;
    expect(
      compareChain(3, [
        ['<', () => 2],
        ['<', () => ++calls],
      ]),
    ).toBe(false);
    expect(calls).toBe(0);
  });

  it('sameas: singletons, small ints, short strings and the same object', () => {
    expect(sameAs(true, true)).toBe(true);
    expect(sameAs(1, true)).toBe(false);
    expect(sameAs(0, false)).toBe(false);
    expect(sameAs(null, null)).toBe(true);
    expect(sameAs(7, 7)).toBe(true);
    expect(sameAs(1000, 1000)).toBe(false);
    expect(sameAs('a', 'a')).toBe(true);
    expect(sameAs('ab', 'ab')).toBe(false);
    const list: unknown[] = [];
    expect(sameAs(list, list)).toBe(true);
    expect(sameAs([], [])).toBe(false);
    expect(sameAs(undefined, undefined)).toBe(false);
  });
});

describe("contains: Python's `in`, undefined-safe", () => {
  it('an undefined container contains nothing (nunjucks would throw)', () => {
    expect(contains('x', undefined)).toBe(false);
  });

  it('dicts by key, lists by equality, strings by substring', () => {
    expect(contains('ssl', { ssl: null })).toBe(true);
    expect(contains('null', { ssl: null })).toBe(false);
    expect(contains('constructor', {})).toBe(false);
    expect(contains(1, { 1: 'a' })).toBe(true);
    expect(contains(true, [1])).toBe(true);
    expect(contains(2, [1.0, 2.0])).toBe(true);
    expect(contains([1], [[1], 2])).toBe(true);
    expect(contains('1', [1])).toBe(false);
    expect(contains('gpu', 'gpu-machine')).toBe(true);
    expect(contains('', 'x')).toBe(true);
  });

  it('raises TypeError where Python does', () => {
    expect(raised(() => contains('x', null))).toBe('TypeError');
    expect(raised(() => contains('x', 5))).toBe('TypeError');
    expect(raised(() => contains(1, 'abc'))).toBe('TypeError');
    expect(raised(() => contains([1], { a: 1 }))).toBe('TypeError');
  });
});

describe("iterate: Python's iteration and unpacking, Jinja2's loop", () => {
  it('a dict yields its keys in order, a string its code points, Undefined nothing', () => {
    expect(iterate({ b: 1, a: 2 })).toEqual(['b', 'a']);
    expect(iterate('h😀')).toEqual(['h', '😀']);
    expect(iterate(undefined)).toEqual([]);
    expect(iterate([1, 2])).toEqual([1, 2]);
  });

  it('None, numbers and booleans are not iterable', () => {
    expect(raised(() => iterate(null))).toBe('TypeError');
    expect(raised(() => iterate(3))).toBe('TypeError');
    expect(raised(() => iterate(true))).toBe('TypeError');
  });

  it('unpacks exactly as many values as there are targets', () => {
    expect(unpack(['x', 1], 2)).toEqual(['x', 1]);
    expect(unpack('ab', 2)).toEqual(['a', 'b']);
    expect(raised(() => unpack([1], 2))).toBe('ValueError');
    expect(raised(() => unpack([1, 2, 3], 2))).toBe('ValueError');
    expect(raised(() => unpack(1, 2))).toBe('TypeError');
    expect(raised(() => unpack(null, 2))).toBe('TypeError');
  });

  it('loop context over the visited items', () => {
    const items = ['a', 'b', 'c'];
    expect(loopContext(items, 0)).toMatchObject({
      index: 1,
      index0: 0,
      revindex: 3,
      first: true,
      last: false,
      length: 3,
    });
    expect(loopContext(items, 2)).toMatchObject({
      index: 3,
      revindex0: 0,
      last: true,
      previtem: 'b',
      nextitem: undefined,
    });
    expect(loopContext(items, 1).cycle('odd', 'even')).toBe('even');
  });
});

describe('lookup: getitem/getattr with Undefined semantics', () => {
  it('reads own keys and list/string indexes, negative ones from the end', () => {
    expect(lookup({ a: 1 }, 'a', false, 'd')).toBe(1);
    expect(lookup({ a: 1 }, 'a', true, 'd')).toBe(1);
    expect(lookup([1, 2], -1, false, 'l')).toBe(2);
    expect(lookup('h😀c', 1, false, 's')).toBe('😀');
    expect(lookup({ 1: 'one' }, 1, false, 'd')).toBe('one');
  });

  it('gives Undefined for a missing key, an out-of-range index, prototype members and lookups on None', () => {
    expect(lookup({}, 'zz', false, 'd')).toBeUndefined();
    expect(lookup({}, 'constructor', false, 'd')).toBeUndefined();
    expect(lookup([1], 'length', false, 'l')).toBeUndefined();
    expect(lookup([1], 5, false, 'l')).toBeUndefined();
    expect(lookup(null, 'x', false, 'n')).toBeUndefined();
    expect(lookup(3, 'x', true, 'n')).toBeUndefined();
  });

  it('raises UndefinedError for anything read from Undefined, naming the expression', () => {
    expect(() => lookup(undefined, 'port', false, "cluster_cfg['pylon']")).toThrow(
      "cluster_cfg['pylon'] is undefined, so ['port'] cannot be read from it",
    );
    expect(raised(() => lookup(undefined, 'x', true, 'missing'))).toBe('UndefinedError');
  });

  it("knows Python 2's dict methods; `.name` prefers the method, `['name']` the key", () => {
    const d = { a: 1, items: 'an item' };
    const items = lookup(d, 'items', true, 'd') as () => unknown;
    expect(pyStr(items())).toBe("dict_items([('a', 1), ('items', 'an item')])");
    expect(lookup(d, 'items', false, 'd')).toBe('an item');
    expect(pyStr((lookup(d, 'iteritems', true, 'd') as () => unknown)())).toContain("('a', 1)");
    expect((lookup(d, 'keys', true, 'd') as () => unknown)()).toEqual(['a', 'items']);
    expect((lookup(d, 'values', true, 'd') as () => unknown)()).toEqual([1, 'an item']);
    const get = lookup(d, 'get', true, 'd') as (...a: unknown[]) => unknown;
    expect(get('a')).toBe(1);
    expect(get('zz')).toBeNull();
    expect(get('zz', 'dflt')).toBe('dflt');
    expect((lookup(d, 'has_key', true, 'd') as (k: string) => unknown)('a')).toBe(true);
    // Without such a key, `d['keys']` is the method, as in Jinja2.
    expect(typeof lookup({}, 'keys', false, 'd')).toBe('function');
  });

  it('refuses Python methods it does not reproduce instead of giving Undefined', () => {
    expect(raised(() => lookup('abc', 'upper', true, 's'))).toBe('Unsupported');
    expect(raised(() => lookup([1], 'append', true, 'l'))).toBe('Unsupported');
    expect(raised(() => lookup({}, 'update', true, 'd'))).toBe('Unsupported');
  });

  it('calls functions; Undefined and non-functions raise', () => {
    expect(call((a: unknown) => a, [5], 'f', undefined)).toBe(5);
    expect(raised(() => call(undefined, [], 'missing', undefined))).toBe('UndefinedError');
    expect(raised(() => call(3, [], 'x', undefined))).toBe('TypeError');
  });
});

describe('arithmetic: Python operators', () => {
  it('keeps ints exact and follows Python for floor division and modulo', () => {
    expect(arithmetic(7, '//', 2)).toBe(3);
    expect(arithmetic(-7, '//', 2)).toBe(-4);
    expect(arithmetic(-7, '%', 3)).toBe(2);
    expect(arithmetic(7, '%', -3)).toBe(-2);
    expect(arithmetic(7.5, '%', -2)).toBe(-0.5);
    expect(arithmetic(2, '**', 100)).toBe(2n ** 100n);
    expect(arithmetic(2, '**', -1)).toBe(0.5);
    expect(arithmetic(true, '+', 1)).toBe(2);
    expect(arithmetic(7, '/', 2)).toBe(3.5);
    expect(arithmetic(30, '*', 10)).toBe(300);
  });

  it('concatenates and repeats sequences, refuses mixed types', () => {
    expect(arithmetic('a', '+', 'b')).toBe('ab');
    expect(arithmetic([1], '+', [2])).toEqual([1, 2]);
    expect(arithmetic('ab', '*', 2)).toBe('abab');
    expect(arithmetic(3, '*', 'x')).toBe('xxx');
    expect(arithmetic([0], '*', 2)).toEqual([0, 0]);
    expect(raised(() => arithmetic('a', '+', 1))).toBe('TypeError');
    expect(raised(() => arithmetic(1, '+', 'a'))).toBe('TypeError');
    expect(raised(() => arithmetic('a', '-', 'b'))).toBe('TypeError');
    expect(raised(() => arithmetic(1, '+', undefined))).toBe('UndefinedError');
    expect(raised(() => arithmetic(1, '/', 0))).toBe('ZeroDivisionError');
    expect(raised(() => arithmetic(1, '%', 0))).toBe('ZeroDivisionError');
    expect(raised(() => arithmetic('%s', '%', 1))).toBe('Unsupported');
  });

  it('unary minus and `~`', () => {
    expect(unary('-', true)).toBe(-1);
    expect(raised(() => unary('-', 'a'))).toBe('TypeError');
    expect(raised(() => unary('-', undefined))).toBe('UndefinedError');
    expect(concat('x', true)).toBe('xTrue');
    expect(concat(undefined, null)).toBe('None');
    expect(concat([1], { a: 'b' })).toBe("[1]{'a': 'b'}");
  });
});

describe("filters: Jinja2's default, length, string, join, lower, upper, trim", () => {
  const filter = (name: string, value: unknown, ...args: unknown[]) => FILTERS[name]!(value, args, {});

  it('default replaces Undefined only, or any false value with boolean=true', () => {
    expect(filter('default', undefined, 'd')).toBe('d');
    expect(filter('default', null, 'd')).toBeNull();
    expect(filter('default', '', 'd')).toBe('');
    expect(filter('default', '', 'd', true)).toBe('d');
    expect(FILTERS['default']!([], ['d'], { boolean: true })).toBe('d');
    expect(filter('d', undefined)).toBe('');
  });

  it("length is Python's len()", () => {
    expect(filter('length', '😀é')).toBe(2);
    expect(filter('length', { a: 1, b: 2 })).toBe(2);
    expect(filter('count', [1, 2, 3])).toBe(3);
    expect(filter('length', undefined)).toBe(0);
    expect(raised(() => filter('length', null))).toBe('TypeError');
    expect(raised(() => filter('length', 5))).toBe('TypeError');
  });

  it("string is Python's str(); join, lower, upper, trim work on it", () => {
    expect(filter('string', true)).toBe('True');
    expect(filter('string', { a: [null] })).toBe("{'a': [None]}");
    expect(filter('string', undefined)).toBe('');
    expect(filter('join', [1, true, null, 'x'], ', ')).toBe('1, True, None, x');
    expect(filter('join', { k1: 1, k2: 2 })).toBe('k1k2');
    expect(filter('upper', 'MiXed')).toBe('MIXED');
    expect(filter('lower', true)).toBe('true');
    expect(filter('trim', ' \t\x85a b\x1c\u3000')).toBe('a b');
    expect(filter('trim', '\ufeffa')).toBe('\ufeffa');
  });
});

describe("tests: Jinja2's is-tests", () => {
  const test = (name: string, value: unknown, ...args: unknown[]) => TESTS[name]!(value, args);

  it('defined, none, sameas and the type tests', () => {
    expect(test('defined', null)).toBe(true);
    expect(test('defined', undefined)).toBe(false);
    expect(test('undefined', undefined)).toBe(true);
    expect(test('none', null)).toBe(true);
    expect(test('sameas', false, false)).toBe(true);
    expect(test('sameas', 0, false)).toBe(false);
    expect(test('number', true)).toBe(true);
    expect(test('integer', true)).toBe(false);
    expect(test('integer', 3)).toBe(true);
    expect(test('mapping', {})).toBe(true);
    expect(test('mapping', [])).toBe(false);
    expect(test('sequence', 'abc')).toBe(true);
    expect(test('sequence', undefined)).toBe(true);
    expect(test('iterable', 5)).toBe(false);
    expect(test('boolean', 1)).toBe(false);
  });

  it('odd, even, divisibleby, eq, in', () => {
    expect(test('odd', 7)).toBe(true);
    expect(test('even', -6)).toBe(true);
    expect(test('divisibleby', 9, 3)).toBe(true);
    expect(raised(() => test('divisibleby', 9, 0))).toBe('ZeroDivisionError');
    expect(raised(() => test('odd', undefined))).toBe('UndefinedError');
    expect(test('eq', 1, true)).toBe(true);
    expect(test('in', 'a', ['a'])).toBe(true);
  });
});

describe("source-newlines: Jinja2's '\\n'.join(source.splitlines())", () => {
  it.each([
    ['', ''],
    ['\n', ''],
    ['\n\n', '\n'],
    ['a', 'a'],
    ['a\n', 'a'],
    ['a\n\n', 'a\n'],
    ['a\r\n', 'a'],
    ['a\r\nb\r\n', 'a\nb'],
    ['a\rb\r', 'a\nb'],
    ['a\fb\vc\x1cd\x1de\x1ef\x85g\u2028h\u2029i', 'a\nb\nc\nd\ne\nf\ng\nh\ni'],
    ['a\x1fb', 'a\x1fb'],
  ])('%j → %j', (source, expected) => {
    expect(jinjaSourceText(source)).toBe(expected);
  });
});

describe("string-literal: Python's unicode-escape decoding", () => {
  it.each([
    ['plain', 'plain'],
    ["it\\'s", "it's"],
    ['back\\\\slash', 'back\\slash'],
    ['\\n\\t\\r', '\n\t\r'],
    ['\\a\\b\\f\\v', '\x07\b\f\v'],
    ['\\x41\\u00e9\\U0001F600', 'Aé😀'],
    ['\\101\\0\\7777', 'A\0\u01ff7'],
    ['regex \\d+\\.\\w', 'regex \\d+\\.\\w'],
    ['line\\\ncontinued', 'linecontinued'],
    ['é', 'é'],
    ['\\é', '\\xe9'],
    ['\\😀', '\\U0001f600'],
  ])('%j → %j', (raw, expected) => {
    expect(decodeStringLiteral(raw)).toBe(expected);
  });

  it('refuses escapes Python cannot decode and \\N{...}', () => {
    expect(raised(() => decodeStringLiteral('\\x4'))).toBe('Unsupported');
    expect(raised(() => decodeStringLiteral('\\N{BULLET}'))).toBe('Unsupported');
  });
});
