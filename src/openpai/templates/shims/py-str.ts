import { pythonFloatRepr } from '../../../config/yaml-values.js';
import { dictViewKind, isDict, isTuple } from './py-values.js';

/**
 * Python's `str()` and `repr()` of the values a template prints. Jinja2 prints `{{ x }}` as `str(x)`, and
 * OpenPAI's templates rely on it: webportal splices `{{ cluster_cfg['webportal']['plugins'] }}` into JavaScript as
 * `[{'id': 'x', 'title': 'y'}]`, job-exit-spec prints dicts, booleans print `True`/`False`, None prints `None`.
 *
 * Floats: a YAML `1.0` reaches JavaScript as the number 1, so it prints `1`, where Python printed `1.0`; an
 * integral float cannot be told from an int once parsed. Non-integral floats (`0.9`, `1e-05`, `1e+16`) print as
 * Python's repr does, and so do `inf`, `-inf` and `nan`.
 *
 * Strings inside lists and dicts follow Python 3's repr: single quotes unless the string holds a single quote and
 * no double quote; backslash, the quote, \t \n \r escaped; other non-printable characters as \xhh, \uhhhh or
 * \Uhhhhhhhh. "Printable" is decided with Node's Unicode tables, which are newer than Python 3.7's (characters
 * assigned after Unicode 11 print raw here, escaped by Python 3.7). Python 2, which paictl ran under, wrote
 * `u'...'` for non-ASCII strings and escaped every non-ASCII character; no OpenPAI configuration value is
 * non-ASCII by default.
 */
export function pyStr(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

export function pyRepr(value: unknown): string {
  if (value === undefined) return 'Undefined';
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'bigint':
      return value.toString();
    case 'number':
      return pyNumberRepr(value);
    case 'string':
      return pyStringRepr(value);
    case 'function':
      return '<bound method>';
    default:
      break;
  }
  if (Array.isArray(value)) {
    const inner = value.map(pyRepr).join(', ');
    const view = dictViewKind(value);
    if (view !== undefined) return `${view}([${inner}])`;
    if (isTuple(value)) return value.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (isDict(value)) {
    // Keys are strings in JavaScript; a YAML int key (`1:`) was an int in Python and printed unquoted.
    const entries = Object.entries(value).map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

/** An integral number is a Python int (all its digits, where JavaScript writes 1e+21); the rest are floats. */
export function pyNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}

// Python's str.isprintable() is false for these categories (other, separators), except the ASCII space.
const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

export function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f) out += char;
    else if (!NON_PRINTABLE.test(char)) out += char;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}
