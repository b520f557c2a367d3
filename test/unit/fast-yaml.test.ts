import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { fastParseYaml } from '../../src/config/fast-yaml.js';
import { makeLocator } from '../../src/config/yaml-source.js';
import type { PathSegment } from '../../src/findings/finding.js';
import { prng } from '../support/prng.js';

/** Differential test: wherever the fast path answers, it must agree with the yaml library on values and positions. */
function reference(text: string) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.1', uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  return { value: doc.toJS({ maxAliasCount: 100 }), locate: makeLocator('f.yaml', doc, lineCounter) };
}

function leafPaths(value: unknown, path: PathSegment[] = []): PathSegment[][] {
  const paths: PathSegment[][] = [path];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...leafPaths(item, [...path, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths.push(...leafPaths(v, [...path, k]));
  return paths;
}

let agreed = 0;
function compare(text: string): void {
  const fast = fastParseYaml('f.yaml', text);
  if (!fast) return;
  const ref = reference(text);
  expect(ref, `the fast path accepted what the yaml library rejects:\n${text}`).toBeDefined();
  expect(fast.value, text).toEqual(ref!.value);
  const fastLocate = (path: PathSegment[], part: 'key' | 'value') => {
    const exact = fast.positions.get(path.map((s) => (typeof s === 'number' ? `#${s}` : `.${s}`)).join(''));
    return exact ? (part === 'key' && exact.key ? exact.key : exact.value) : undefined;
  };
  for (const path of leafPaths(fast.value)) {
    const leaf = path.reduce<unknown>((node, segment) => (node as Record<string | number, unknown>)[segment], fast.value);
    // yaml places an empty value after the colon, the fast path on the key; both name the right line.
    if (leaf === null) {
      expect(fastLocate(path, 'value')?.line, `${text}\n${JSON.stringify(path)}`).toBe(ref!.locate(path, 'value').line);
      continue;
    }
    for (const part of ['key', 'value'] as const) {
      if (part === 'key' && typeof path.at(-1) !== 'string') continue;
      expect(fastLocate(path, part), `${part} of ${JSON.stringify(path)} in\n${text}`).toEqual(ref!.locate(path, part));
    }
  }
  agreed++;
}


const SCALARS = ['true', 'yes', 'No', 'on', '~', 'null', '0755', '0x1F', '1e3', '1_000', '12:30', '2001-12-14', '10.0', '.5', '-1', '+1', '10.0.0.1', '10.0.0.0/13', 'nvidia.com/gpu', '60Gi', 'v1.15.11', 'a b', 'é', '"q"', "'s'", '-x', '--flag', 'a#b', '=', '<<'];

function randomText(random: () => number): string {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const value = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 2 ? 4 : 7));
    if (kind <= 1) return pick(SCALARS);
    if (kind === 2) return Math.floor(random() * 1000);
    if (kind === 3) return random() < 0.3 ? null : random() < 0.5;
    if (kind <= 5) return Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 3) }, () => [pick(['a', 'b-c', 'd_e', 'f.g', 'h1', 'yes', '0', 'x y']), value(depth + 1)]));
    return Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1));
  };
  const text = stringify(value(0), { version: random() < 0.5 ? '1.1' : '1.2', indentSeq: random() < 0.5 });
  // Add comments, CRLF and odd spacing the way people write files.
  return text
    .split('\n')
    .map((line) => (random() < 0.1 && line.trim() !== '' ? `${line} # note` : line))
    .join(random() < 0.2 ? '\r\n' : '\n');
}

describe('the fast YAML path agrees with the yaml library', () => {
  it('on the shipped examples and typical files', () => {
    for (const name of ['layout.yaml', 'config.yaml']) compare(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));
    compare('a:\n- 1\n- b: 2\n  c: 3\n-   d: "x"\n    e: \'it\'\'s\'\nf: ~\ng:\n');
    expect(agreed).toBeGreaterThanOrEqual(3);
  });

  it('on random documents', () => {
    const random = prng(7);
    agreed = 0;
    for (let i = 0; i < 2000; i++) compare(randomText(random));
    // The fast path must answer most plain documents, or it would not be worth having.
    expect(agreed).toBeGreaterThan(200);
  });

  it('declines what it does not handle', () => {
    for (const text of ['a: [1, 2]\n', 'a: &x 1\nb: *x\n', 'a: |\n  text\n', 'a: "esc\\n"\n', 'a: b\na: c\n', 'a:\n\tb: 1\n', '---\na: 1\n', 'a: one\n  two\n', '"q": 1\n', 'a: {b: 1}\n']) {
      expect(fastParseYaml('f.yaml', text), text).toBeUndefined();
    }
  });
});
