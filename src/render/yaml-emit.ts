import { visit } from 'yaml';

/**
 * A small, fast YAML emitter for the large plain documents pai-deploy writes (hosts.yml and layout.yaml hold one
 * entry per machine; the yaml library's stringify costs ~0.5 s at 4,096 machines). Plain data only: mappings,
 * lists, strings, finite numbers, booleans and null. A string is written plain only when both YAML 1.1 readers
 * (PyYAML, Ansible) and YAML 1.2 read it back as the same string; anything else is double-quoted.
 */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

const SAFE_WORD = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const SAFE_IPV4 = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(\/[0-9]{1,2})?$/;
const RESERVED_WORD =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|nan|NaN|NAN|inf|Inf|INF)$/;

export function emitYaml(value: PlainValue): string {
  const lines: string[] = [];
  emitBlock(value, 0, lines);
  return lines.join('\n') + '\n';
}

export function scalar(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  return (SAFE_WORD.test(value) && !RESERVED_WORD.test(value)) || SAFE_IPV4.test(value) ? value : doubleQuoted(value);
}

/**
 * A YAML double-quoted scalar that PyYAML and Ansible read back as exactly `value`. JSON's quoting is not enough:
 * it leaves DEL, the C1 controls and U+2028/U+2029 raw, which PyYAML refuses as non-printable (or, for U+0085,
 * folds into a space). Those, like every C0 control, are written as escapes YAML 1.1 defines.
 */
export function doubleQuoted(value: string): string {
  return `"${value.replace(/["\\]/g, (char) => `\\${char}`).replace(AWKWARD, yamlEscape)}"`;
}

// U+FFFE and U+FFFF too: PyYAML's and libyaml's readers refuse them raw ("unacceptable character #xfffe").
// eslint-disable-next-line no-control-regex -- escaping control characters is the point
const AWKWARD = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

const NAMED: Record<string, string> = {
  '\0': '\\0',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\u0085': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function yamlEscape(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Marks every string scalar under `node` (a node of the `yaml` library) to be written double-quoted: the library's
 * own choice is not always safe for YAML 1.1 readers (it writes `=` and, through createPair, `<<` plain, which
 * PyYAML reads as tags). Use with escapeRawInQuoted on the output.
 */
export function quoteStrings(node: unknown): void {
  visit(node as Parameters<typeof visit>[0], {
    Scalar(_key, scalar) {
      if (typeof scalar.value !== 'string') return;
      scalar.type = 'QUOTE_DOUBLE';
      // With YAML 1.1's merge keys on, the library writes a `<<` value plain whatever its type; an explicit !!str
      // makes it quoted, and PyYAML reads `!!str "<<"` as the string.
      if (scalar.value === '<<') scalar.tag = 'tag:yaml.org,2002:str';
    },
  });
}

/**
 * Makes text the `yaml` library wrote safe for PyYAML: with every string it created double-quoted
 * (quoteStrings), the characters it leaves raw there become escapes. Only valid for such output.
 */
export function escapeRawInQuoted(text: string): string {
  return text.replace(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g, yamlEscape);
}

function emitBlock(value: PlainValue, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !isEmpty(item)) {
        const nested: string[] = [];
        emitBlock(item, indent + 2, nested);
        lines.push(`${pad}- ${nested[0]!.slice(indent + 2)}`, ...nested.slice(1));
      } else {
        lines.push(`${pad}- ${inline(item)}`.trimEnd());
      }
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (isCollection(item) && !isEmpty(item)) {
        lines.push(`${pad}${scalar(key)}:`);
        emitBlock(item, Array.isArray(item) ? indent + 2 : indent + 2, lines);
      } else {
        lines.push(`${pad}${scalar(key)}: ${inline(item)}`.trimEnd());
      }
    }
    return;
  }
  lines.push(pad + scalar(value));
}

function inline(value: PlainValue): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value);
}

function isCollection(value: PlainValue): value is PlainValue[] | { [key: string]: PlainValue } {
  return value !== null && typeof value === 'object';
}

function isEmpty(value: PlainValue[] | { [key: string]: PlainValue }): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}
