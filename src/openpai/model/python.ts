/**
 * The few Python 2.7 behaviours OpenPAI v1.8.0's configuration parsers lean on, in TypeScript.
 *
 * paictl ran under Python 2 (its parsers call dict.iterkeys(), "{}".encode("base64"), import urlparse; the v1.8.0
 * dev-box installs Ubuntu 16.04's python 2.7 and python-yaml 3.11), so every URL the object model builds is a
 * Python 2 `str.format`, every JSON string is Python 2's `json.dumps`, and webportal's plugin queries are Python 2's
 * `urllib.urlencode`. These functions reproduce those for the values PyYAML's safe loader gives (see
 * src/config/yaml-values.ts); where a value has no faithful JavaScript form the function says so.
 */
import { PaiDeployError } from '../../errors.js';
import { YamlTimestamp } from '../../config/yaml-source.js';
import { pythonFloatRepr } from '../../config/yaml-values.js';
import type { ModelValue } from './types.js';
import { isMap } from './values.js';

/**
 * A Python exception OpenPAI's parser would have raised on a value, by its class name. The parsers' helper
 * (parser.ts `python`) turns it into a finding; it never leaves buildClusterModel.
 */
export class PythonFailure extends PaiDeployError {
  constructor(
    readonly type: 'TypeError' | 'ValueError' | 'UnicodeEncodeError' | 'OverflowError',
    readonly detail: string,
  ) {
    super(`${type}: ${detail}`, { hint: 'OpenPAI v1.8.0 (Python 2) stops on this value.' });
  }
}

/** Python's truth value of a loaded YAML value (`if username and passwd:`). */
export function pyTruthy(value: ModelValue | undefined): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Uint8Array) return value.length > 0;
  if (value instanceof YamlTimestamp) return true;
  return Object.keys(value).length > 0;
}

/** Python 2's str() of a float: 12 significant digits, exponent form from 1e11 and below 1e-4, ".0" on integers. */
export function pyFloatStr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const negative = value < 0;
  const { digits: rounded, exponent: decpt } = roundSignificant(Math.abs(value), 12);
  const digits = rounded.replace(/0+$/, '');
  let text: string;
  if (decpt <= -4 || decpt > 11) {
    const exponent = decpt - 1;
    const rest = digits.slice(1);
    text = `${digits[0]}${rest === '' ? '' : `.${rest}`}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (decpt <= 0) {
    text = `0.${'0'.repeat(-decpt)}${digits}`;
  } else {
    const whole = digits.slice(0, decpt).padEnd(decpt, '0');
    const fraction = digits.slice(decpt);
    text = `${whole}.${fraction === '' ? '0' : fraction}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * A positive double rounded to `precision` significant digits as Python's correctly rounded dtoa does: from its
 * exact decimal value, a tie going to the even digit (JavaScript's toExponential sends ties up). `exponent` is the
 * position of the decimal point (0.5 has 0, 5 has 1).
 */
function roundSignificant(value: number, precision: number): { digits: string; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let power = biased - 1075;
  if (biased === 0) power = -1074;
  else mantissa |= 1n << 52n;
  // value = mantissa * 2^power, exactly: as a decimal integer `exact` times 10^-scale.
  let exact: bigint;
  let scale: number;
  if (power >= 0) {
    exact = mantissa << BigInt(power);
    scale = 0;
  } else {
    exact = mantissa * 5n ** BigInt(-power);
    scale = -power;
  }
  const text = exact.toString();
  const exponent = text.length - scale;
  if (text.length <= precision) return { digits: text.padEnd(precision, '0'), exponent };
  let kept = BigInt(text.slice(0, precision));
  const rest = text.slice(precision);
  const half = '5'.padEnd(rest.length, '0');
  if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n;
  const digits = kept.toString();
  // 999...9 rounded up gains a digit: the point moves one place.
  return digits.length > precision
    ? { digits: digits.slice(0, precision), exponent: exponent + 1 }
    : { digits, exponent };
}

/**
 * A number as Python printed it. A loaded YAML number is a JavaScript number either way, so an integral float
 * (`9286.0`) prints as the int it equals; PyYAML would have kept it a float ("9286.0"). Ints past 2^53 have lost
 * digits already in the reader.
 */
function pyNumberStr(value: number): string {
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pyFloatStr(value);
}

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- ASCII is the point
  return /^[\u0000-\u007f]*$/.test(text);
}

/** Python 2's repr() of a string: PyYAML 3.11 returns str for ASCII text and unicode (u'...') for the rest. */
export function pyStringRepr(text: string): string {
  const unicode = !isAscii(text);
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0x100)) out += `\\x${hex(code, 2)}`;
    else if (code >= 0x100 && code < 0x10000) out += `\\u${hex(code, 4)}`;
    else if (code >= 0x10000) out += `\\U${hex(code, 8)}`;
    else out += char;
  }
  return `${unicode ? 'u' : ''}${quote}${out}${quote}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** Python's repr() of a loaded value (what str() of a list or dict shows for its items). */
export function pyRepr(value: ModelValue): string {
  if (typeof value === 'string') return pyStringRepr(value);
  if (value instanceof YamlTimestamp) {
    const date = `${value.year}, ${value.month}, ${value.day}`;
    if (value.kind === 'date') return `datetime.date(${date})`;
    return `datetime.datetime(${date}, ${value.hour}, ${value.minute}${value.second || value.microsecond ? `, ${value.second}` : ''}${value.microsecond ? `, ${value.microsecond}` : ''}${value.offsetMinutes === null ? '' : ', tzinfo=<...>'})`;
  }
  if (value instanceof Uint8Array) return pyStringRepr(Buffer.from(value).toString('latin1'));
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isMap(value)) {
    // Python 2 lists a dict in hash order; this lists it in file order (see the integrator notes).
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return pyStr(value);
}

/**
 * Python 2's str() of a loaded value, which is also what `'{0}'.format(value)` writes. A string with non-ASCII
 * characters is a unicode object under Python 2, and formatting it into OpenPAI's byte-string templates (the URLs)
 * raised UnicodeEncodeError: `strict` reproduces that.
 */
export function pyStr(value: ModelValue, strict = false): string {
  if (typeof value === 'string') {
    if (strict && !isAscii(value))
      throw new PythonFailure('UnicodeEncodeError', `'ascii' codec can't encode ${pyStringRepr(value)}`);
    return value;
  }
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumberStr(value);
  if (value instanceof YamlTimestamp) {
    const iso = value.isoformat();
    return value.kind === 'date' ? iso : iso.replace('T', ' ');
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return pyRepr(value);
}

/** `'{0}:{1}'.format(a, b)`-style interpolation with Python 2's str() of each value. */
export function pyFormat(parts: TemplateStringsArray, ...values: ModelValue[]): string {
  let out = parts[0] ?? '';
  values.forEach((value, index) => {
    out += pyStr(value, true) + (parts[index + 1] ?? '');
  });
  return out;
}

const PY_INT = /^[ \t\n\r\f\v]*[-+]?[0-9]+[ \t\n\r\f\v]*$/;

/** Python 2's int() of a loaded value: floats truncate, booleans are 0/1, strings must be plain decimal. */
export function pyInt(value: ModelValue | undefined): number | PythonFailure {
  if (value === true) return 1;
  if (value === false) return 0;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return new PythonFailure('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(value)) return new PythonFailure('OverflowError', 'cannot convert float infinity to integer');
    return Math.trunc(value);
  }
  if (typeof value === 'string') {
    if (!PY_INT.test(value))
      return new PythonFailure('ValueError', `invalid literal for int() with base 10: ${pyStringRepr(value)}`);
    return Number(value.trim());
  }
  return new PythonFailure('TypeError', `int() argument must be a string or a number, not ${pyTypeName(value)}`);
}

/** Python's name for the type of a loaded value, as its error messages say it. */
export function pyTypeName(value: ModelValue | undefined): string {
  if (value === undefined || value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return isAscii(value) ? 'str' : 'unicode';
  if (Array.isArray(value)) return 'list';
  if (value instanceof YamlTimestamp) return value.kind === 'date' ? 'datetime.date' : 'datetime.datetime';
  if (value instanceof Uint8Array) return 'str';
  return 'dict';
}

/**
 * Python's `type(value) == int`: not a bool, not a float, not a long (a YAML int from 2^63 on is a long under
 * Python 2 on 64 bits). `wasFloat` says whether the YAML text was a float (`3000.0`), which the loaded number no
 * longer tells.
 */
export function isPyInt(value: ModelValue | undefined, wasFloat: boolean): boolean {
  return typeof value === 'number' && Number.isInteger(value) && !wasFloat && Math.abs(value) < 2 ** 63;
}

/**
 * Python 2's `json.dumps(value)` with its defaults: ", " and ": " separators, every non-ASCII or control character
 * as \uXXXX. Python 2 writes a dict's keys in hash order; this writes them in file order: the readers of these
 * strings (rest-server's group extensions, marketplace's storage settings) parse them, so only the order differs.
 */
export function pyJsonDumps(value: ModelValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return Number.isInteger(value) ? BigInt(value).toString() : pythonFloatRepr(value);
  }
  if (typeof value === 'string') return jsonString(value);
  if (value instanceof YamlTimestamp) throw new PythonFailure('TypeError', `${pyRepr(value)} is not JSON serializable`);
  if (value instanceof Uint8Array) return jsonString(Buffer.from(value).toString('latin1'));
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${jsonString(k)}: ${pyJsonDumps(v)}`)
    .join(', ')}}`;
}

function jsonString(text: string): string {
  // JSON.stringify escapes what Python escapes below 0x20 (the same short forms); Python also escapes DEL and up.
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${hex(c.charCodeAt(0), 4)}`);
}

// --- urllib / urlparse (Python 2.7) ----------------------------------------------------------------------------

const ALWAYS_SAFE = /[A-Za-z0-9_.-]/;

/** urllib.quote_plus(s) with safe='': spaces become '+', everything but letters, digits and "_.-" is %XX. */
function quotePlus(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'latin1')) {
    const char = String.fromCharCode(byte);
    if (char === ' ') out += '+';
    else if (ALWAYS_SAFE.test(char)) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The pairs urlencode() iterates: a dict's items, or a sequence of 2-item sequences. */
function queryPairs(query: ModelValue): [ModelValue, ModelValue][] {
  if (isMap(query)) return Object.entries(query);
  if (Array.isArray(query)) {
    return query.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new PythonFailure('TypeError', 'not a valid non-string sequence or mapping object');
      return [pair[0]!, pair[1]!];
    });
  }
  throw new PythonFailure('TypeError', 'not a valid non-string sequence or mapping object');
}

/**
 * `urllib.urlencode(query, True)` (doseq): a list value gives one pair per item, a non-ASCII string value has each
 * character replaced by "?" (Python 2 encodes unicode values with errors="replace"), a non-ASCII key or list item
 * is a UnicodeEncodeError. A dict's keys come in file order here, in hash order under Python 2.
 */
export function pyUrlencodeDoseq(query: ModelValue): string {
  const out: string[] = [];
  for (const [key, value] of queryPairs(query)) {
    const k = quotePlus(pyStr(key, true));
    if (typeof value === 'string') {
      out.push(`${k}=${quotePlus(isAscii(value) ? value : Array.from(value, (c) => (isAscii(c) ? c : '?')).join(''))}`);
    } else if (Array.isArray(value)) {
      for (const item of value) out.push(`${k}=${quotePlus(pyStr(item, true))}`);
    } else if (isMap(value)) {
      for (const item of Object.keys(value)) out.push(`${k}=${quotePlus(pyStr(item, true))}`);
    } else if (value instanceof Uint8Array) {
      for (const byte of value) out.push(`${k}=${quotePlus(String.fromCharCode(byte))}`);
    } else {
      out.push(`${k}=${quotePlus(pyStr(value, true))}`);
    }
  }
  return out.join('&');
}

// urlparse's scheme lists (Python 2.7): which schemes join relatively, carry a host, split ";params" off the path.
const USES_RELATIVE: ReadonlySet<string> = new Set(
  'ftp http gopher nntp imap wais file https shttp mms prospero rtsp rtspu sftp svn svn+ssh'.split(' ').concat(''),
);
const USES_NETLOC: ReadonlySet<string> = new Set(
  'ftp http gopher nntp telnet imap wais file mms https shttp snews prospero rtsp rtspu rsync svn svn+ssh sftp nfs git git+ssh'
    .split(' ')
    .concat(''),
);
const USES_PARAMS: ReadonlySet<string> = new Set(
  'ftp hdl prospero http imap https shttp rtsp rtspu sip sips mms sftp tel'.split(' ').concat(''),
);
const SCHEME_CHARS = /^[A-Za-z0-9+.-]+$/;

interface SplitUrl {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

/** urlparse.urlsplit(url, scheme) of Python 2.7. */
export function pyUrlsplit(input: string, defaultScheme = ''): SplitUrl {
  let url = input;
  let scheme = defaultScheme;
  let netloc = '';
  let query = '';
  let fragment = '';
  const colon = url.indexOf(':');
  if (colon > 0) {
    const head = url.slice(0, colon);
    const rest = url.slice(colon + 1);
    if (head === 'http' || (SCHEME_CHARS.test(head) && (rest === '' || /[^0-9]/.test(rest)))) {
      scheme = head.toLowerCase();
      url = rest;
    }
  }
  if (url.startsWith('//')) {
    let end = url.length;
    for (const delimiter of ['/', '?', '#']) {
      const at = url.indexOf(delimiter, 2);
      if (at >= 0) end = Math.min(end, at);
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
    if (netloc.includes('[') !== netloc.includes(']')) throw new PythonFailure('ValueError', 'Invalid IPv6 URL');
  }
  const hash = url.indexOf('#');
  if (hash >= 0) {
    fragment = url.slice(hash + 1);
    url = url.slice(0, hash);
  }
  const mark = url.indexOf('?');
  if (mark >= 0) {
    query = url.slice(mark + 1);
    url = url.slice(0, mark);
  }
  return { scheme, netloc, path: url, query, fragment };
}

function splitParams(scheme: string, path: string): { path: string; params: string } {
  if (!USES_PARAMS.has(scheme) || !path.includes(';')) return { path, params: '' };
  const at = path.includes('/') ? path.indexOf(';', path.lastIndexOf('/')) : path.indexOf(';');
  if (at < 0) return { path, params: '' };
  return { path: path.slice(0, at), params: path.slice(at + 1) };
}

function urlunsplit({ scheme, netloc, path, query, fragment }: SplitUrl): string {
  let url = path;
  if (netloc || (scheme && USES_NETLOC.has(scheme) && !url.startsWith('//'))) {
    if (url && !url.startsWith('/')) url = `/${url}`;
    url = `//${netloc}${url}`;
  }
  if (scheme) url = `${scheme}:${url}`;
  if (query) url += `?${query}`;
  if (fragment) url += `#${fragment}`;
  return url;
}

/**
 * `urlparse.urljoin(base, '?' + query)`, the only join webportal makes: the base keeps its scheme, host, path and
 * params, gets the new query (or keeps its own when the new one is empty) and loses its fragment.
 */
export function pyUrljoinQuery(base: string, query: string): string {
  const url = `?${query}`;
  if (!base) return url;
  const b = pyUrlsplit(base);
  const { path: bpath, params: bparams } = splitParams(b.scheme, b.path);
  if (!USES_RELATIVE.has(b.scheme)) return url;
  const netloc = USES_NETLOC.has(b.scheme) ? b.netloc : '';
  const path = bparams ? `${bpath};${bparams}` : bpath;
  return urlunsplit({ scheme: b.scheme, netloc, path, query: query || b.query, fragment: '' });
}

/** `urlparse(url).port` of Python 2.7: the digits after the host's colon, None without them or out of range. */
export function pyUrlPort(url: string): number | null {
  const host = pyUrlsplit(url).netloc.split('@').pop()!.split(']').pop()!;
  if (!host.includes(':')) return null;
  const text = host.split(':')[1]!;
  if (!text) return null;
  const port = pyInt(text);
  if (port instanceof PythonFailure) throw port;
  return port >= 0 && port <= 65535 ? port : null;
}
