import { JinjaRuntimeError } from './py-values.js';

/**
 * The value of a string literal in a Jinja2 template (`'...'` or `"..."`), from its raw text between the quotes.
 * Jinja2 2.11 decodes it as Python's `unicode-escape` codec does, after turning non-ASCII characters into
 * backslash escapes: `\n`, `\t`, `\\`, `\'`, `\x41`, `\u00e9`, octal `\101` are decoded, a backslash before a newline
 * drops both, and an unknown escape such as `\d` keeps its backslash (nunjucks drops it, which would turn a
 * regular expression `'\d+'` into `'d+'`). `\N{NAME}` needs Unicode's name table and is refused.
 */
export function decodeStringLiteral(raw: string): string {
  let out = '';
  const chars = Array.from(raw);
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = chars[i + 1];
    if (next === undefined) throw new JinjaRuntimeError('Unsupported', 'a string literal ends with a backslash');
    const code = next.codePointAt(0)!;
    if (code > 0x7f) {
      // The codec sees this backslash followed by the character's own escape (`\é` arrives as `\\xe9`): the
      // two backslashes decode to one, and the escape's letters stay text. Jinja2 renders `'\é'` as `\xe9`.
      out += '\\' + (code <= 0xff ? `x${hex(code, 2)}` : code <= 0xffff ? `u${hex(code, 4)}` : `U${hex(code, 8)}`);
      i++;
      continue;
    }
    i++;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (next === '\n') continue;
    if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && /^[0-7]$/.test(chars[i + 1] ?? '')) digits += chars[++i];
      out += String.fromCodePoint(parseInt(digits, 8));
      continue;
    }
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (width > 0) {
      const digits = chars.slice(i + 1, i + 1 + width).join('');
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits))
        throw new JinjaRuntimeError('Unsupported', `truncated \\${next} escape in a string literal`);
      const code = parseInt(digits, 16);
      if (code > 0x10ffff) throw new JinjaRuntimeError('Unsupported', 'illegal Unicode character in a string literal');
      out += String.fromCodePoint(code);
      i += width;
      continue;
    }
    if (next === 'N')
      throw new JinjaRuntimeError('Unsupported', '\\N{...} escapes in string literals are not supported');
    out += '\\' + next;
  }
  return out;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};
