import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  stringify,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { parseYamlSource, parseYamlSourceAsync, YamlTimestamp, type YamlSource } from '../../src/config/yaml-source.js';
import type { PathSegment } from '../../src/findings/finding.js';
import { prng } from '../support/prng.js';

const read = (text: string): YamlSource => parseYamlSource('f.yaml', Buffer.from(text));
const at = (source: YamlSource, path: PathSegment[], part: 'key' | 'value' = 'value') => {
  const { line, column } = source.locate(path, part);
  return `${line}:${column}`;
};
const codes = (source: YamlSource) => source.syntaxFindings.map((finding) => finding.code);

describe('values: YAML 1.1 as PyYAML loads it', () => {
  it('resolves booleans, octal, hex, sexagesimal, floats and nulls like PyYAML, not like YAML 1.2', () => {
    const source = read(
      'a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: 010\nh: 0o17\ni: 0x1F\nj: 1_000\nk: 1:30\nl: 190:20:30.15\nm: .inf\nn: -.Inf\n' +
        'o: ~\np: null\nq:\nr: 1e3\ns: 1.0e+3\nt: -.5\nu: .5\nv: 08\nw: 0b101\nx: "010"\n',
    );
    expect(source.syntaxFindings).toEqual([]);
    expect(source.value).toEqual({
      a: true,
      b: false,
      c: true,
      d: false,
      e: 'y',
      f: 'n',
      g: 8,
      h: '0o17',
      i: 31,
      j: 1000,
      k: 90,
      l: 685230.15,
      m: Infinity,
      n: -Infinity,
      o: null,
      p: null,
      q: null,
      r: '1e3',
      s: 1000,
      t: '-.5',
      u: 0.5,
      v: '08',
      w: 5,
      x: '010',
    });
    expect(Number.isNaN((read('a: .NaN\n').value as { a: number }).a)).toBe(true);
  });

  it('keys that are numbers, booleans or null are stored under the text json.dumps writes for them', () => {
    const source = read('010: octal\nfalse: f\n~: nothing\n0.5: half\n1.0: float\n2001-12-14: day\n');
    expect(source.value).toEqual({
      '8': 'octal',
      false: 'f',
      null: 'nothing',
      '0.5': 'half',
      '1.0': 'float',
      '2001-12-14': 'day',
    });
    // In a Python dict 1, 1.0 and true are one key: the first spelling stays, the last value wins.
    const collide = read('1: a\ntrue: b\n1.0: c\n');
    expect(collide.value).toEqual({ '1': 'c' });
    expect(codes(collide)).toEqual(['yaml-duplicate-key', 'yaml-duplicate-key']);
  });

  it('gives timestamps as YamlTimestamp: a Date that keeps date/datetime, zone and microseconds, and prints as isoformat()', () => {
    const source = read(
      'd: 2001-12-14\nt: 2001-12-14t21:59:43.10-05:00\nn: 2001-12-14 21:59:43.1234567\nz: 2001-12-14T21:59:43Z\nq: "2001-12-14"\n',
    );
    const value = source.value as Record<string, YamlTimestamp | string>;
    expect(value['d']).toBeInstanceOf(YamlTimestamp);
    expect(value['d']).toBeInstanceOf(Date);
    expect(JSON.parse(JSON.stringify(value))).toEqual({
      d: '2001-12-14',
      t: '2001-12-14T21:59:43.100000-05:00',
      n: '2001-12-14T21:59:43.123456',
      z: '2001-12-14T21:59:43+00:00',
      q: '2001-12-14',
    });
    const t = value['t'] as YamlTimestamp;
    expect([t.kind, t.offsetMinutes, t.microsecond, t.toISOString()]).toEqual([
      'datetime',
      -300,
      100000,
      '2001-12-15T02:59:43.100Z',
    ]);
    expect((value['n'] as YamlTimestamp).offsetMinutes).toBeNull();
    expect(String(t)).toBe('2001-12-14 21:59:43.100000-05:00');
    expect(codes(read('a: 2001-02-30\n'))).toEqual(['yaml-bad-value']);
  });

  it('merges << keys as PyYAML: own keys win, earlier mappings of a list win over later ones', () => {
    const source = read('a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  w: 0\n  <<: [*a, *b]\n  x: 9\nd:\n  <<: *b\n');
    expect(source.value).toEqual({
      a: { x: 1, y: 1 },
      b: { y: 2, z: 2 },
      c: { y: 1, z: 2, x: 9, w: 0 },
      d: { y: 2, z: 2 },
    });
    expect(Object.keys((source.value as Record<string, object>)['c']!)).toEqual(['y', 'z', 'x', 'w']);
    expect(read('c: {"<<": {x: 1}}\n').value).toEqual({ c: { '<<': { x: 1 } } });
    expect(codes(read('c:\n  <<: 1\n'))).toEqual(['yaml-unresolvable']);
  });

  it('shares anchored values, reads flow style, block scalars, a leading "---", a "..." end and a BOM', () => {
    const source = read(
      '\uFEFF%YAML 1.1\n---\nbase: &base\n  mem: "60Gi"\nuse: *base\nlist: [a, {b: c}, [1, 2]]\nlit: |\n  one\n  two\nfold: >-\n  one\n  two\nkeep: |+\n  x\n\n...\n',
    );
    expect(source.syntaxFindings).toEqual([]);
    const value = source.value as Record<string, unknown>;
    expect(value).toEqual({
      base: { mem: '60Gi' },
      use: { mem: '60Gi' },
      list: ['a', { b: 'c' }, [1, 2]],
      lit: 'one\ntwo\n',
      fold: 'one two',
      keep: 'x\n\n',
    });
    expect(value['use']).toBe(value['base']);
  });

  it('keeps Unicode spaces: they are not YAML whitespace', () => {
    expect(read('a: x\u00a0\nb: \u2003y\nc: "\u00a0"\nd: \u3000\n').value).toEqual({
      a: 'x\u00a0',
      b: '\u2003y',
      c: '\u00a0',
      d: '\u3000',
    });
  });

  it('keeps the last value of a duplicate key, as PyYAML does, and reports the repeat', () => {
    const source = read('a: 1\nb: 2\na: 3\n');
    expect(source.value).toEqual({ a: 3, b: 2 });
    expect(source.syntaxFindings).toMatchObject([
      { code: 'yaml-duplicate-key', line: 3, column: 1, severity: 'error' },
    ]);
    expect(at(source, ['a'], 'key')).toBe('3:1');
  });

  it("reads the explicit YAML 1.1 tags PyYAML's safe loader knows and refuses the others", () => {
    const source = read(
      'a: !!str 010\nb: !!int "0x1F"\nc: !!float "1"\nd: !!bool "yes"\ne: !!null x\nf: ! 010\ng: !!set {x, y}\nh: !!omap [x: 1, y: 2]\ni: !!binary aGk=\nj: !<tag:yaml.org,2002:str> 5\n',
    );
    expect(source.syntaxFindings).toEqual([]);
    expect(source.value).toEqual({
      a: '010',
      b: 31,
      c: 1,
      d: true,
      e: null,
      f: 8,
      g: ['x', 'y'],
      h: [
        ['x', 1],
        ['y', 2],
      ],
      i: new Uint8Array([104, 105]),
      j: '5',
    });
    for (const [text, code] of [
      ['a: !foo x\n', 'yaml-unknown-tag'],
      ['a: !!python/name:os.system x\n', 'yaml-unknown-tag'],
      ['a: !!int x\n', 'yaml-bad-value'],
      ['a: !!bool maybe\n', 'yaml-bad-value'],
      ['a: <<\n', 'yaml-bad-value'],
      ['a: =\n', 'yaml-bad-value'],
      ['? [1]\n: 2\n', 'yaml-unhashable-key'],
    ]) {
      const failed = read(text!);
      expect(codes(failed), text).toEqual([code]);
      expect(failed.value).toBeUndefined();
    }
    expect(read('=: 1\n').value).toEqual({ '=': 1 });
    expect(read('__proto__: 1\n').value).toEqual(JSON.parse('{"__proto__": 1}'));
  });
});

describe('positions', () => {
  it('names the line and column of every key and value, as the old reader did', () => {
    const source = read(
      'a: &x 1\nb: *x\nc: "q"\nd:\ne: | # note\n  text\nf: &m\n  g: 1\nh: !!str 5\ni:\n  - \n  -   x\nj:\n- 1\nk: [1, {l: m}]\n"n o": p\n',
    );
    const expected: Array<[PathSegment[], string, string]> = [
      [['a'], '1:1', '1:7'],
      [['b'], '2:1', '2:4'],
      [['c'], '3:1', '3:4'],
      [['d'], '4:1', '4:1'],
      [['e'], '5:1', '5:4'],
      [['f'], '7:1', '8:3'],
      [['f', 'g'], '8:3', '8:6'],
      [['h'], '9:1', '9:10'],
      [['i', 0], '11:3', '11:3'],
      [['i', 1], '12:7', '12:7'],
      [['j'], '13:1', '14:1'],
      [['k', 1, 'l'], '15:9', '15:12'],
      [['n o'], '16:1', '16:8'],
    ];
    for (const [path, key, value] of expected) {
      expect(at(source, path, 'key'), `key of ${JSON.stringify(path)}`).toBe(key);
      expect(at(source, path), `value of ${JSON.stringify(path)}`).toBe(value);
    }
    expect(at(source, [])).toBe('1:1');
  });

  it('locates a missing path, or one through an alias, at the nearest node that exists', () => {
    const source = read('a:\n  b: 1\n  c: [x]\nd: &d {e: 1}\nf: *d\ng:\n  <<: *d\n  h: 2\n');
    expect(at(source, ['a', 'zz'])).toBe('2:3');
    expect(at(source, ['a', 'c', 5])).toBe('3:6');
    expect(at(source, ['a', 'b', 'deeper'])).toBe('2:6');
    expect(at(source, ['f', 'e'])).toBe('5:4');
    expect(at(source, ['nothing'], 'key')).toBe('1:1');
    // A merged key points at the << that brought it and at the alias it came from.
    expect(at(source, ['g', 'e'], 'key')).toBe('7:3');
    expect(at(source, ['g', 'e'])).toBe('7:7');
    expect(at(source, ['g', 'h'])).toBe('8:6');
  });

  it('counts positions after a leading "---" and a BOM the way an editor shows them', () => {
    const source = read('\uFEFF---\nmachine-list:\n  - hostname: a\r\n    hostip: 10.0.0.1\n');
    expect(at(source, ['machine-list', 0, 'hostip'], 'key')).toBe('4:5');
    expect(at(source, ['machine-list', 0, 'hostip'])).toBe('4:13');
  });

  it('counts lines the same in LF, CRLF and CR-only files: every position, every syntax finding', () => {
    const documents = [
      'a: &x 1\nb: *x\nc: "q"\nd:\ne: | # note\n  text\nf: &m\n  g: 1\nh: !!str 5\ni:\n  - \n  -   x\nk: [1, {l: m}]\n',
      '# a comment\nmachine-sku:\n  a: {mem: 1Gi}\nmachine-list:\n  - hostname: x # trailing\n    hostip: 1\n',
      'a: 1\nb: 2\na: 3\n',
      'a:\n  b: [1,\n  c\n',
      'a: 1\n---\nb: 2\n',
      'a:\n\tb: 1\n',
    ];
    for (const lf of documents) {
      const positions = (text: string) => {
        const source = read(text);
        return {
          at: paths(source.value).map(
            (path) => `${JSON.stringify(path)} ${at(source, path, 'key')} ${at(source, path)}`,
          ),
          syntax: source.syntaxFindings.map(
            (finding) => `${finding.code} ${finding.line}:${finding.column} ${finding.message}`,
          ),
        };
      };
      const expected = positions(lf);
      expect(positions(lf.replaceAll('\n', '\r\n')), JSON.stringify(lf)).toEqual(expected);
      expect(positions(lf.replaceAll('\n', '\r')), JSON.stringify(lf)).toEqual(expected);
    }
  });

  it("agrees with the shipped examples' line numbers", () => {
    const text = readFileSync(new URL('../../examples/layout.yaml', import.meta.url), 'utf8');
    const source = read(text);
    const lines = text.split('\n');
    const list = (source.value as { 'machine-list': Array<Record<string, unknown>> })['machine-list'];
    list.forEach((machine, index) => {
      const { line, column } = source.locate(['machine-list', index, 'hostname'], 'key');
      expect(lines[line - 1]!.slice(column - 1)).toMatch(/^hostname:/);
      expect(machine['hostname']).toBeTypeOf('string');
    });
  });
});

/** The yaml library's node ranges, the positions the old reader reported: a reference for random documents. */
function referenceLocate(text: string) {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, version: '1.1', uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const start = (node: unknown): number | undefined => {
    if (isPair(node)) return start(node.key);
    const range = (node as Node | null)?.range;
    return range ? range[0] : undefined;
  };
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  };
  return (path: PathSegment[], part: 'key' | 'value'): string => {
    let node: unknown = doc.contents;
    let best = pos(start(node) ?? 0);
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      if (isMap(node)) {
        const pair = node.items.findLast(
          (item: Pair) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) return best;
        if (i === path.length - 1 && part === 'key') return pos(start(pair.key)!);
        best = pos(start(pair.value) ?? start(pair.key)!);
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        best = pos(start(node.items[segment])!);
        node = node.items[segment];
      } else return best;
    }
    return best;
  };
}

function paths(value: unknown, path: PathSegment[] = [], seen = new Set<unknown>()): PathSegment[][] {
  const out: PathSegment[][] = [path];
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...paths(item, [...path, i], seen)));
  else for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...path, key], seen));
  seen.delete(value);
  return out;
}

const WORDS = [
  'a',
  'b-c',
  'd_e',
  'f.g',
  'h1',
  'x y',
  'hostname',
  'nvidia.com/gpu',
  '60Gi',
  'v1.15.11',
  'é',
  '-x',
  'a#b',
  '10.0.0.1',
  "it's",
  'say "hi"',
  'line\nbreak',
  ' lead',
  'trail ',
];

function randomDocument(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const shared: object[] = [];
  const value = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 3 ? 4 : 8));
    if (kind === 0) return pick(WORDS);
    if (kind === 1) return Math.floor(random() * 1000);
    if (kind === 2) return random() < 0.5;
    if (kind === 3) return random() < 0.5 ? null : `${pick(WORDS)}\n${pick(WORDS)}\n`;
    if (kind === 4 && shared.length > 0) return pick(shared);
    if (kind <= 5) {
      const map = Object.fromEntries(
        Array.from({ length: 1 + Math.floor(random() * 3) }, () => [
          pick(WORDS.filter((w) => !w.includes('\n'))),
          value(depth + 1),
        ]),
      );
      shared.push(map);
      return map;
    }
    const list = Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1));
    shared.push(list);
    return list;
  };
  const text = stringify(value(0), {
    version: '1.1',
    indentSeq: random() < 0.5,
    collectionStyle: random() < 0.2 ? 'flow' : 'any',
    defaultStringType: pick(['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL'] as const),
  });
  const lines = text
    .split('\n')
    .map((line) => (random() < 0.1 && line.trim() !== '' && !line.trimEnd().endsWith('|-') ? `${line} # note` : line));
  return (random() < 0.3 ? '---\n' : '') + lines.join(random() < 0.2 ? '\r\n' : '\n');
}

describe('positions agree with the yaml library on random documents', () => {
  it('for every key and value', () => {
    const random = prng(7);
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      const text = randomDocument(random);
      const reference = referenceLocate(text);
      if (!reference) continue;
      const source = read(text);
      if (source.syntaxFindings.some((finding) => finding.code !== 'yaml-duplicate-key')) continue;
      for (const path of paths(source.value)) {
        const leaf = path.reduce<unknown>(
          (node, segment) => (node as Record<string | number, unknown>)?.[segment],
          source.value,
        );
        for (const part of ['key', 'value'] as const) {
          if (part === 'key' && typeof path.at(-1) !== 'string') continue;
          const ours = at(source, path, part);
          const theirs = reference(path, part);
          // An empty value sits on its key here, after the colon in the yaml library: the line is what matters.
          if (leaf === null && part === 'value')
            expect(ours.split(':')[0], `${text}\n${JSON.stringify(path)}`).toBe(theirs.split(':')[0]);
          else expect(ours, `${part} of ${JSON.stringify(path)} in\n${text}`).toBe(theirs);
        }
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(400);
  });
});

describe('files that are not valid YAML become findings with a position, never exceptions', () => {
  it.each([
    ['an unclosed flow sequence', 'machine-sku:\n  a: [1, 2\nmachine-list: []\n', 'yaml-bad-indent', 3],
    ['a tab as indentation', 'machine-sku:\n\tsku: {}\n', 'yaml-tab-as-indent', 2],
    ['a tab between tokens (PyYAML refuses it)', 'a:\t1\n', 'yaml-tab', 1],
    ['two documents', 'a: 1\n---\nb: 2\n', 'yaml-multiple-docs', 2],
    ['an undefined alias', 'a: 1\nb: *nope\n', 'yaml-unresolvable', 2],
    ['a recursive alias', 'a: &x [1, *x]\n', 'yaml-unresolvable', 1],
    ['a duplicate anchor (PyYAML refuses it)', 'a: &x 1\nb: &x 2\n', 'yaml-duplicate-anchor', 2],
    ['a bad escape', 'a: "\\q"\n', 'yaml-bad-dq-escape', 1],
    ['a key without a colon', 'a: 1\nb\nc: 2\n', 'yaml-', 3],
    ['a line separator PyYAML reads as a line break', 'a: x\u2028y\n', 'yaml-unicode-line-break', 1],
    ['a raw U+FFFE (PyYAML: "unacceptable character")', 'a: 1\nb: "x\ufffe"\n', 'yaml-unacceptable-character', 2],
    ['a raw C1 control', 'a: 1\n\nb: x\u0090\n', 'yaml-unacceptable-character', 3],
    ['a raw DEL in a comment', '# \u007f\na: 1\n', 'yaml-unacceptable-character', 1],
    ['a lone surrogate escape (libyaml refuses it)', 'a: 1\nb: "x\\ud800"\n', 'yaml-bad-value', 2],
  ])('%s', (_name, text, code, line) => {
    const source = read(text);
    expect(source.value).toBeUndefined();
    const finding = source.syntaxFindings.find((f) => f.code.startsWith(code));
    expect(finding, JSON.stringify(source.syntaxFindings)).toBeDefined();
    expect(finding!.line).toBe(line);
  });

  it('accepts tabs inside quotes, block scalars and comments', () => {
    expect(read('a: "x\ty"\nb: |\n  x\ty\nc: 1 # \tnote\n').value).toEqual({ a: 'x\ty', b: 'x\ty\n', c: 1 });
  });

  it('reports binary and empty files as before', () => {
    expect(codes(parseYamlSource('b.yaml', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0])))).toEqual(['not-text']);
    expect(codes(read(''))).toEqual(['empty-file']);
    expect(codes(read('# only\n\n  # comments\n'))).toEqual(['empty-file']);
    expect(read('---\n').value).toBeNull();
  });

  it('stops an alias bomb', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) {
      const [name, previous] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
      bomb.push(`${name}: &${name} [${Array(6).fill(`*${previous}`).join(',')}]`);
    }
    const source = read(bomb.join('\n'));
    expect(source.value).toBeUndefined();
    expect(codes(source)).toEqual(['yaml-unresolvable']);
  });
});

describe('size and depth', () => {
  it('reads 5,000 nested block mappings and 20,000 nested flow mappings without recursion', async () => {
    let block = '';
    for (let i = 0; i < 5000; i++) block += `${' '.repeat(i)}k:\n`;
    block += `${' '.repeat(5000)}v: 1\n`;
    const source = read(block);
    expect(source.syntaxFindings).toEqual([]);
    let node = source.value as Record<string, unknown>;
    for (let i = 0; i < 5000; i++) node = node['k'] as Record<string, unknown>;
    expect(node).toEqual({ v: 1 });
    expect(source.locate([...Array<string>(5000).fill('k'), 'v'])).toMatchObject({ line: 5001, column: 5004 });

    const flow = parseYamlSource('f.yaml', Buffer.from(`${'{a: '.repeat(20000)}1${'}'.repeat(20000)}`));
    let depth = 0;
    for (let value = flow.value; value !== null && typeof value === 'object'; value = (value as { a: unknown }).a)
      depth++;
    expect(depth).toBe(20000);
    const viaAsync = await parseYamlSourceAsync('f.yaml', Buffer.from(`${'- '.repeat(5000)}x\n`));
    expect(JSON.stringify(viaAsync.value)).toBe(`${'['.repeat(5000)}"x"${']'.repeat(5000)}`);
  }, 60_000);

  it('reads a 100,000-item list', () => {
    const source = read(`list:\n${Array.from({ length: 100_000 }, (_, i) => `- item-${i}`).join('\n')}\n`);
    expect((source.value as { list: string[] }).list).toHaveLength(100_000);
    expect(source.locate(['list', 99_999])).toMatchObject({ line: 100_001, column: 3 });
  });
});

function layout(machines: number): Buffer {
  const lines = ['machine-sku:', '  gpu-sku:', '    mem: "220Gi"', '    cpu:', '      vcore: 24', 'machine-list:'];
  for (let i = 0; i < machines; i++) {
    const n = i + 1;
    lines.push(
      `  - hostname: pai-worker-${i}`,
      `    hostip: 10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`,
      '    machine-type: gpu-sku',
      '    pai-worker: "true"',
    );
  }
  return Buffer.from(lines.join('\n') + '\n');
}

describe('the async reader', () => {
  it('gives what the sync reader gives', async () => {
    for (const text of ['a: yes\nb: [1, 2]\nc: &c {d: 2001-12-14}\ne: *c\n', 'a: 1\na: 2\n', 'a: [1\n', '']) {
      const sync = read(text);
      const async = await parseYamlSourceAsync('f.yaml', Buffer.from(text));
      expect(async.value).toEqual(sync.value);
      expect(async.syntaxFindings).toEqual(sync.syntaxFindings);
    }
    const big = layout(20_000);
    const [sync, async] = [parseYamlSource('l.yaml', big), await parseYamlSourceAsync('l.yaml', big)];
    expect(async.value).toEqual(sync.value);
    expect(async.locate(['machine-list', 19_999, 'hostip'])).toEqual(sync.locate(['machine-list', 19_999, 'hostip']));
  }, 60_000);

  it('keeps the event loop turning and stops a 100,000-machine layout within a fraction of a second', async () => {
    const big = layout(100_000);
    for (const delay of [5, 200, 600]) {
      const controller = new AbortController();
      let longestGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      }, 1);
      setTimeout(() => controller.abort(), delay);
      const started = performance.now();
      const error = await parseYamlSourceAsync('big.yaml', big, controller.signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      clearInterval(ticker);
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(performance.now() - started - delay).toBeLessThan(300);
      expect(longestGap).toBeLessThan(300);
    }
    const reason = new Error('stop');
    await expect(parseYamlSourceAsync('big.yaml', big, AbortSignal.abort(reason))).rejects.toBe(reason);
  }, 60_000);
});
