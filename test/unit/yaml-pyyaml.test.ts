import { expect, it } from 'vitest';
import { parseYamlSource, YamlTimestamp } from '../../src/config/yaml-source.js';
import { describeWithInfra } from '../support/infra.js';
import { prng } from '../support/prng.js';
import { pyyaml, pyyamlProbe, type Answer } from '../support/pyyaml.js';

/**
 * Differential test against PyYAML, the reader that matters: OpenPAI's deployment scripts and Ansible load
 * layout.yaml and config.yaml with it (YAML 1.1, `yaml.safe_load`). Every document, random or hand-picked, goes
 * to one python3 process as a JSON line; it answers with the JSON of what safe_load built (or the error it
 * raised), and our reader must build the same value, or refuse the same document.
 *
 * Values are compared in a JSON form both sides produce: non-finite floats, timestamps (Python's isoformat(),
 * which YamlTimestamp also gives) and bytes become tagged objects; mapping keys become the text json.dumps writes
 * for them (1 -> "1", True -> "true", None -> "null"), which is how the reader stores them.
 */

/** Our value in the oracle's JSON form. */
function comparable(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $float: 'nan' };
    if (!Number.isFinite(value)) return { $float: value > 0 ? 'inf' : '-inf' };
    return value;
  }
  if (value instanceof YamlTimestamp) return { $timestamp: value.isoformat() };
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

interface Mismatch {
  document: string;
  pyyaml: Answer;
  ours: unknown;
  findings: string[];
}

function compareAll(documents: readonly string[]): { mismatches: Mismatch[]; loaded: number } {
  const answers = pyyaml(documents);
  const mismatches: Mismatch[] = [];
  let loaded = 0;
  documents.forEach((document, index) => {
    const source = parseYamlSource('doc.yaml', Buffer.from(document));
    const answer = answers[index]!;
    const findings = source.syntaxFindings.map((f) => `${f.code}@${f.line}:${f.column} ${f.message}`);
    // An empty document: PyYAML gives None, the reader an empty-file finding (the CLI needs a mapping anyway).
    const refused = source.value === undefined && !source.syntaxFindings.some((f) => f.code === 'empty-file');
    const ours = refused ? undefined : source.value === undefined ? null : comparable(source.value);
    if ('error' in answer) {
      if (!refused) mismatches.push({ document, pyyaml: answer, ours, findings });
      return;
    }
    loaded++;
    const same = !refused && isDeepStrictEqual(ours, answer.ok) && JSON.stringify(ours) === JSON.stringify(answer.ok);
    if (!same) mismatches.push({ document, pyyaml: answer, ours: refused ? '(refused)' : ours, findings });
  });
  return { mismatches, loaded };
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toStrictEqual(b);
    return true;
  } catch {
    return false;
  }
}

function report(mismatches: Mismatch[]): string {
  return mismatches
    .slice(0, 5)
    .map(
      (m) =>
        `--- document ${JSON.stringify(m.document)}\n    PyYAML: ${JSON.stringify(m.pyyaml)}\n    ours:   ${JSON.stringify(m.ours)} ${m.findings.join('; ')}`,
    )
    .join('\n');
}

/** The YAML 1.1 spellings where readers disagree, and what people write in cluster files. */
const SCALARS = [
  'yes',
  'Yes',
  'YES',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  'tRUE',
  'y',
  'Y',
  'n',
  'N',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  '',
  '0',
  '-0',
  '+1',
  '010',
  '0755',
  '08',
  '09.5',
  '0o17',
  '0x1F',
  '+0x1F',
  '0x_1F',
  '0b101',
  '-0b11',
  '1_000',
  '1__0',
  '_1',
  '1_',
  '0_7',
  '123456789012345678901234567890',
  '1:30',
  '-1:30',
  '1:05',
  '1:60',
  '0:30',
  '190:20:30',
  '190:20:30.15',
  '12:30:00',
  '1e3',
  '1.0e3',
  '1.0e+3',
  '1.e+3',
  '6.02e+23',
  '1e-3',
  '1.5e-7',
  '.5',
  '-.5',
  '+.5',
  '0.',
  '3.',
  '-0.0',
  '1_2.3_4',
  '0.1_2',
  '.inf',
  '-.inf',
  '+.Inf',
  '.INF',
  '.NaN',
  '.nan',
  'NaN',
  'Infinity',
  '.iNf',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10',
  '2001-12-14 21:59:43.10 -5',
  '2001-12-14T21:59:43Z',
  '2001-12-14 21:59:43.1234567+05:30',
  '2002-1-1',
  '2002-1-1 1:02:03',
  '2001-12-14 21:59:43.',
  '10.0.0.1',
  '10.0.0.0/13',
  '1.2.3',
  'v1.15.11',
  '60Gi',
  'nvidia.com/gpu',
  'pai-worker-01',
  'a b',
  'é',
  'ünï cödé',
  'x\u00a0y',
  '\u2003lead',
  '-x',
  '--flag',
  'a#b',
  'a:b',
  '1,000',
  '+',
  '.',
  'e',
  '0x',
  '0b',
];
const KEYS = [
  'a',
  'b',
  'name',
  'hostname',
  'machine-type',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'true',
  'false',
  '1',
  '010',
  '0x1F',
  '1.0',
  '0.5',
  '-1',
  '~',
  'null',
  '2001-12-14',
  '1:30',
  '.inf',
  'NaN',
  '=',
  'key with space',
  '"quoted"',
  "'single'",
  '"1"',
  '"true"',
  'é',
];
/** Plain scalars that can stand in a flow collection. */
const FLOW_SAFE = (text: string) => !/[,[\]{}#]|: |:$/.test(text) && text !== '' && !text.startsWith(':');

interface Context {
  random: () => number;
  anchors: Array<{ name: string; map: boolean }>;
  counter: number;
  /** Indentation step of the document: 2, 3 or 4 spaces. */
  step: number;
}

const pick = <T>(context: Context, items: readonly T[]): T => items[Math.floor(context.random() * items.length)]!;

function scalarToken(context: Context, flow: boolean): string {
  const r = context.random();
  const pool = flow ? SCALARS.filter(FLOW_SAFE) : SCALARS;
  if (r < 0.6) return pick(context, pool);
  if (r < 0.72) return `'${pick(context, SCALARS).replace(/'/g, "''")}'`;
  if (r < 0.84)
    return JSON.stringify(
      pick(context, [...SCALARS, 'tab\there', 'new\nline', 'quote"d', 'back\\slash', 'caf\u00e9', '\u0001']),
    );
  if (r < 0.9 && context.anchors.length > 0) return `*${pick(context, context.anchors).name}`;
  if (r < 0.93)
    return `!!str ${
      pick(
        context,
        pool.filter((s) => s !== ''),
      ) || 'x'
    }`;
  if (r < 0.96) return `!!int ${pick(context, ['1', '010', '0x1F', '1:30', '"12"'])}`;
  if (r < 0.98) return `!!float ${pick(context, ['1', '1e3', '.5', '"2.5"'])}`;
  return pick(context, ['<<', '=', '@x', '!!bool yes', '!!null', '!!timestamp 2001-12-14', '!!binary aGVsbG8=']);
}

function keyToken(context: Context, flow: boolean): string {
  const key = pick(context, KEYS);
  return flow && !FLOW_SAFE(key) ? `"${key}"` : key;
}

function anchorFor(context: Context, map: boolean): { prefix: string; done: () => void } {
  if (context.random() >= 0.15) return { prefix: '', done: () => {} };
  const name = `a${context.counter++}`;
  return { prefix: `&${name} `, done: () => context.anchors.push({ name, map }) };
}

function flowNode(context: Context, depth: number): string {
  const r = context.random();
  if (depth > 2 || r < 0.5) return scalarToken(context, true);
  const anchor = anchorFor(context, r < 0.75);
  const count = Math.floor(context.random() * 4);
  let text: string;
  if (r < 0.75) {
    const entries = Array.from({ length: count }, () => `${keyToken(context, true)}: ${flowNode(context, depth + 1)}`);
    text = `{${entries.join(', ')}}`;
  } else {
    text = `[${Array.from({ length: count }, () => flowNode(context, depth + 1)).join(', ')}]`;
  }
  anchor.done();
  return `${anchor.prefix}${text}`;
}

function blockScalar(context: Context, indent: number): string[] {
  const header = pick(context, ['|', '|-', '|+', '>', '>-', '>+', '|2']);
  const pad = ' '.repeat(indent + (header === '|2' ? 2 : 0));
  const lines = Array.from({ length: 1 + Math.floor(context.random() * 3) }, () =>
    context.random() < 0.2
      ? ''
      : `${pad}${context.random() < 0.2 ? '  ' : ''}${pick(context, ['text', 'more words', 'yes', '- not a list', '# not a comment', 'a: b'])}`,
  );
  if (lines[0] === '') lines[0] = `${pad}first`;
  return [header, ...lines];
}

/** Lines of a block node at `indent`; the first line is what follows "key:" or "- " (may be '' = nothing). */
function blockValue(context: Context, indent: number, depth: number): { inline: string; lines: string[] } {
  const r = context.random();
  if (depth > 3 || r < 0.45) return { inline: ` ${scalarToken(context, false)}`.trimEnd(), lines: [] };
  if (r < 0.55) return { inline: ` ${flowNode(context, 1)}`, lines: [] };
  if (r < 0.63) {
    const [header, ...lines] = blockScalar(context, indent + context.step);
    return { inline: ` ${header}`, lines };
  }
  if (r < 0.68) {
    // Scalars continued on more-indented lines: plain ones fold, quoted ones too.
    const pad = ' '.repeat(indent + context.step);
    const more = Array.from(
      { length: 1 + Math.floor(context.random() * 2) },
      () => `${pad}${pick(context, ['more', 'words here', 'x y', '1:30', 'yes'])}`,
    );
    if (context.random() < 0.5) return { inline: ` ${pick(context, ['first', 'a b', 'no'])}`, lines: more };
    const quote = context.random() < 0.5 ? '"' : "'";
    more[more.length - 1] += quote;
    return {
      inline: ` ${quote}${pick(context, ['first', 'a b', 'no'])}`,
      lines: context.random() < 0.3 ? ['', ...more] : more,
    };
  }
  const map = r < 0.85;
  const anchor = anchorFor(context, map);
  const lines = map
    ? blockMap(context, indent + context.step, depth + 1)
    : blockSeq(context, context.random() < 0.5 ? indent : indent + context.step, depth + 1);
  anchor.done();
  return { inline: anchor.prefix ? ` ${anchor.prefix.trim()}` : '', lines };
}

function blockMap(context: Context, indent: number, depth: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  const count = 1 + Math.floor(context.random() * 4);
  for (let i = 0; i < count; i++) {
    const maps = context.anchors.filter((a) => a.map);
    if (maps.length > 0 && context.random() < 0.12) {
      const merge =
        context.random() < 0.6
          ? `*${pick(context, maps).name}`
          : `[${Array.from({ length: 2 }, () => `*${pick(context, maps).name}`).join(', ')}]`;
      out.push(`${pad}<<: ${merge}`);
      continue;
    }
    const value = blockValue(context, indent, depth);
    const comment = value.lines.length === 0 && context.random() < 0.1 ? ' # note' : '';
    if (context.random() < 0.05) {
      // An explicit key: "? key" then ": value" on the next line.
      out.push(`${pad}? ${keyToken(context, false)}`, `${pad}:${value.inline}${comment}`, ...value.lines);
      continue;
    }
    out.push(`${pad}${keyToken(context, false)}:${value.inline}${comment}`, ...value.lines);
  }
  return out;
}

function blockSeq(context: Context, indent: number, depth: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  const count = 1 + Math.floor(context.random() * 4);
  for (let i = 0; i < count; i++) {
    if (depth <= 3 && context.random() < 0.3) {
      // A compact mapping: "- key: value" with the rest of the keys aligned after the dash.
      const [first, ...rest] = blockMap(context, indent + 2, depth + 1);
      out.push(`${pad}- ${first!.slice(indent + 2)}`, ...rest);
      continue;
    }
    const value = blockValue(context, indent, depth);
    out.push(`${pad}-${value.inline}`, ...value.lines);
  }
  return out;
}

function randomDocument(random: () => number): string {
  const context: Context = { random, anchors: [], counter: 0, step: 2 + Math.floor(random() * 3) };
  const body =
    random() < 0.85 ? blockMap(context, 0, 0) : random() < 0.5 ? blockSeq(context, 0, 0) : [flowNode(context, 0)];
  const lines = [...(random() < 0.1 ? ['# a comment', ''] : []), ...body];
  let text = lines.join('\n') + '\n';
  const r = random();
  if (r < 0.15) text = `---\n${text}`;
  else if (r < 0.2) text = `%YAML 1.1\n---\n${text}`;
  else if (r < 0.25) text = `--- # start\n${text}...\n`;
  if (random() < 0.1) text = text.replace(/\n/g, '\r\n');
  if (random() < 0.05) text = `\uFEFF${text}`;
  return text;
}

/** Hand-picked: every case the reader must get right, most of them one line each. */
const TRICKY = [
  ...SCALARS.map((s) => `v: ${s}\n`),
  ...SCALARS.map((s) => `${s.includes('#') || s === '' ? `"${s}"` : s}: key\n`),
  ...SCALARS.filter(FLOW_SAFE).map((s) => `[${s}, {${s}: ${s}}]\n`),
  ...SCALARS.map((s) => `v: ! ${s || '""'}\nw: ! "${s}"\n`),
  'a: 1\nb: 2\na: 3\n',
  '1: a\n1.0: b\ntrue: c\n~: d\n010: e\n2001-01-01: f\nyes: g\n0.5: h\n"1": i\n',
  'a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n',
  'a: &a {x: 1, y: 1}\nc:\n  y: 5\n  <<: *a\n',
  'a: &a {x: 1}\nb: &b {x: 2}\nc:\n  <<: *a\n  <<: *b\n',
  'c:\n  <<: {x: 1, <<: {q: 9}}\n',
  'a: &a {1: one, true: yes}\nb:\n  <<: *a\n  1.0: own\n',
  'a: &a {x: 1}\nb:\n  !!merge <<: *a\n',
  'a: &a {x: 1}\nb:\n  "<<": *a\n',
  'c:\n  <<: 1\n',
  'c:\n  <<:\n',
  'a: &a {x: 1}\nc:\n  <<: [*a, 1]\n',
  'a: <<\n',
  'a: =\n',
  '=: 1\n',
  'a: &x 1\nb: *x\nc: &y [*x, *x]\nd: *y\n',
  'a: &x 1\nb: &x 2\n',
  'a: *y\n',
  'a: &x [1, *x]\n',
  'a: &x.y 1\n',
  '---\na: 1\n',
  '--- a\n',
  '--- |\n  x\n',
  '---\n',
  '',
  '# only a comment\n',
  'a: 1\n...\n',
  'a: 1\n---\nb: 2\n',
  '\uFEFFa: 1\n',
  '%YAML 1.2\n---\na: yes\n',
  '%YAML 2.0\n---\na: 1\n',
  '%TAG !e! tag:yaml.org,2002:\n---\na: !e!int "5"\n',
  'a: !<tag:yaml.org,2002:str> 5\n',
  'a: !foo bar\n',
  'a: !!foo bar\n',
  'a: !!python/name:os.system x\n',
  'a: !!str 010\nb: !!int "010"\nc: !!float "1"\nd: !!bool "yes"\ne: !!null "x"\n',
  'a: !!bool maybe\n',
  'a: !!int abc\n',
  'a: !!int 0o17\n',
  'a: !!float 1e3\n',
  'a: !!binary aGVsbG8=\n',
  'a: !!omap [x: 1, y: 2]\n',
  'a: !!pairs [x: 1, x: 2]\n',
  'a: !!timestamp 2001-12-14\n',
  'a: !!timestamp junk\n',
  'a: 2001-02-30\n',
  'a: 2000-02-29\n',
  'a: 1900-02-29\n',
  'a: 0000-01-01\n',
  'a: 2001-12-14 25:00:00\n',
  'a: 2001-12-14 23:59:60\n',
  'a: 2001-12-14 1:00:00 +24\n',
  'a: 2001-12-14 1:00:00 +1:99\n',
  '? [1, 2]\n: x\n',
  '{[1]: 2}\n',
  '? a\n',
  '? \n: v\n',
  'a:\n  - b\n  -\n  - c\n',
  '- - a\n  - b\n- c\n',
  'a: |-\n  x\n\n  y\n\n',
  'a: >+\n  x\n   y\n  z\n\n',
  'a: |\n  x\n  \ty\n',
  'a: >\n\n  folded\n  text\n',
  'a: "x\ty"\n',
  'a: 1 # \tnote\n',
  'a:\t1\n',
  'a: x\ty\n',
  'machine-sku:\n\tsku: {}\n',
  'a: 1\n\t\n',
  'a: [1,\t2]\n',
  'a: x\u00a0\nb: \u2003y\nc: "\u00a0"\n',
  'a:\u00a0x\n',
  'a: "\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\e\\0\\/"\n',
  "a: 'it''s'\n",
  'a: "\\q"\n',
  'a: b\n  c\n',
  'a: - b\n',
  'x: [a, b]: c\n',
  '- a\nb: 1\n',
  '[a, b\n',
  'a: @x\n',
  'a: `x\n',
  'a: "x\n',
  'a: "x\n  y\n\n  z"\n',
  "a: 'x\n  y'\n",
  'a: "x \\\n  y"\n',
  '- a\n  b\n',
  'a: x\n# c\n  y\n',
  'a  : 1\n',
  'a: [1, 2,]\n',
  '{a: 1, a: 2}\n',
  '- ? a\n  : b\n',
  `${'k'.repeat(1100)}: v\n`,
  `${'k'.repeat(1024)}: v\n`,
  `${'k'.repeat(1025)}: v\n`,
  `"${'k'.repeat(1023)}": v\n`,
  `? ${'k'.repeat(1100)}\n: v\n`,
  `{${'k'.repeat(1100)}: v}\n`,
  'a: |\r\n  x\r\n  y\r\n',
  'a: >\r\n  x\r\n  y\r\n',
  'a: "\\ud83d\\ude00"\n',
  '"a\\tb": 1\n',
  '--- !!seq\n- a\n',
  '!!map {a: 1}\n',
  'a: &a !!str x\nb: *a\n',
  'a: 1\n  # indented comment\nb: 2\n',
  'a:\n  # comment\n  b: 1\n',
  '- a # c\n- b\n',
  'a: "b" # c\n',
  "a: 'b' #c\n",
  'a: b #c\n',
  'a: b# c\n',
  '[a, b]\n',
  '{a: b, c: [d, e]}\n',
  '"a": b\n',
  "'a': b\n",
  'a:\n- b\n-   c: d\n    e: f\n',
  'a:\n    - b\n    - c\n',
  'a: !!str &x 1\nb: *x\n',
  '&x a: b\n*x : c\n',
  'a: [*b]\n',
  '- &a x\n- *a\n- [*a, *a]\n',
  '__proto__: 1\nconstructor: 2\n',
  'a: 123456789012345678901234567890\n',
  '1e400: big\n',
  '1.5e300: x\n',
  '0.0001: x\n',
  '0.00001: x\n',
  '1.0e+16: x\n',
  '-0.0: x\n',
];

await describeWithInfra('the reader agrees with PyYAML', pyyamlProbe, () => {
  it('on hand-picked YAML 1.1 cases', () => {
    const { mismatches, loaded } = compareAll(TRICKY);
    expect(mismatches, report(mismatches)).toEqual([]);
    expect(loaded).toBeGreaterThan(TRICKY.length / 2);
  });

  it('on random documents', () => {
    const random = prng(20240611);
    const documents = Array.from({ length: 3000 }, () => randomDocument(random));
    const { mismatches, loaded } = compareAll(documents);
    expect(mismatches, report(mismatches)).toEqual([]);
    // Most generated documents must be loadable, or the comparison would only be about errors.
    expect(loaded).toBeGreaterThan(documents.length * 0.6);
  }, 60_000);
});
