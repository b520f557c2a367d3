/**
 * Scalar values as PyYAML's SafeLoader builds them. OpenPAI's deployment scripts and Ansible read layout.yaml and
 * config.yaml with PyYAML, which implements YAML 1.1: `yes`/`off` are booleans, `010` is octal, `1:30` is
 * sexagesimal, `2001-12-14` is a date. Whatever this reader reports must be what those tools will see, so every
 * rule below follows PyYAML's resolver and constructor (resolver.py and constructor.py), including its quirks:
 * `y`/`n` stay strings, `1e3` is a string (a YAML 1.1 float needs a dot and a signed exponent), `0o17` is a string,
 * `-.5` is a string. test/unit/yaml-pyyaml.test.ts checks this against a real PyYAML.
 */

/** Thrown when PyYAML would refuse to construct a value (its ConstructorError or a ValueError from int()/date()). */
export class ConstructError extends Error {
  override name = 'ConstructError';
}

/** The tags a node can resolve to, by their YAML 1.1 names (tag:yaml.org,2002:NAME). */
export type CoreTag =
  | 'str'
  | 'int'
  | 'float'
  | 'bool'
  | 'null'
  | 'timestamp'
  | 'merge'
  | 'value'
  | 'binary'
  | 'seq'
  | 'map'
  | 'set'
  | 'omap'
  | 'pairs';

export const YAML_TAG_PREFIX = 'tag:yaml.org,2002:';
const CORE_TAGS: ReadonlySet<string> = new Set([
  'str',
  'int',
  'float',
  'bool',
  'null',
  'timestamp',
  'merge',
  'value',
  'binary',
  'seq',
  'map',
  'set',
  'omap',
  'pairs',
]);

/** The core tag a full tag name denotes, or undefined for tags PyYAML's safe loader has no constructor for. */
export function coreTag(fullTag: string): CoreTag | undefined {
  if (!fullTag.startsWith(YAML_TAG_PREFIX)) return undefined;
  const name = fullTag.slice(YAML_TAG_PREFIX.length);
  return CORE_TAGS.has(name) ? (name as CoreTag) : undefined;
}

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL)$/;
const INT =
  /^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

/**
 * The tag PyYAML's implicit resolver gives a plain scalar. Like PyYAML it only tries the resolvers registered for
 * the first character, in registration order (bool, float, int, merge, null, timestamp, value), so most words
 * are strings after one character comparison.
 */
export function implicitTag(text: string): CoreTag {
  if (text === '') return 'null';
  switch (text.charCodeAt(0)) {
    case 0x79:
    case 0x59:
    case 0x74:
    case 0x54:
    case 0x66:
    case 0x46:
    case 0x6f:
    case 0x4f: // y Y t T f F o O
      return BOOL.test(text) ? 'bool' : 'str';
    case 0x6e:
    case 0x4e: // n N
      return BOOL.test(text) ? 'bool' : NULL.test(text) ? 'null' : 'str';
    case 0x7e: // ~
      return text === '~' ? 'null' : 'str';
    case 0x2d:
    case 0x2b: // - +
      return FLOAT.test(text) ? 'float' : INT.test(text) ? 'int' : 'str';
    case 0x2e: // .
      return FLOAT.test(text) ? 'float' : 'str';
    case 0x3c: // <
      return text === '<<' ? 'merge' : 'str';
    case 0x3d: // =
      return text === '=' ? 'value' : 'str';
    default: {
      const c = text.charCodeAt(0);
      if (c < 0x30 || c > 0x39) return 'str';
      // None of the three has two dots, so an IP address is a string without running them.
      if (text.indexOf('.') !== text.lastIndexOf('.')) return 'str';
      return FLOAT.test(text) ? 'float' : INT.test(text) ? 'int' : TIMESTAMP.test(text) ? 'timestamp' : 'str';
    }
  }
}

/** Builds the value of a scalar node with the given tag, as PyYAML's SafeConstructor does; throws ConstructError. */
export function constructScalar(tag: CoreTag, text: string): unknown {
  switch (tag) {
    case 'str':
      return text;
    case 'null':
      return null;
    case 'bool':
      return constructBool(text);
    case 'int':
      return constructInt(text);
    case 'float':
      return constructFloat(text);
    case 'timestamp':
      return constructTimestamp(text);
    case 'binary':
      return constructBinary(text);
    case 'merge':
    case 'value':
      // PyYAML registers resolvers for `<<` and `=` but SafeConstructor has no constructor for them as values.
      throw new ConstructError(`could not determine a constructor for the tag '${YAML_TAG_PREFIX}${tag}'`);
    default:
      throw new ConstructError(
        `expected a scalar node, but found a ${tag === 'seq' || tag === 'omap' || tag === 'pairs' ? 'sequence' : 'mapping'} tag`,
      );
  }
}

function constructBool(text: string): boolean {
  switch (text.toLowerCase()) {
    case 'yes':
    case 'true':
    case 'on':
      return true;
    case 'no':
    case 'false':
    case 'off':
      return false;
    default:
      throw new ConstructError(`${JSON.stringify(text)} is not a boolean (PyYAML accepts yes/no, true/false, on/off)`);
  }
}

/** PyYAML's construct_yaml_int, with BigInt so large values round to the same double as Python's int does. */
export function constructInt(text: string): number {
  const exact = exactInt(text);
  return typeof exact === 'number' ? exact : bigToNumber(exact);
}

function bigToNumber(value: bigint): number {
  const number = Number(value);
  return number === 0 ? 0 : number;
}

/** The integer a YAML 1.1 int denotes: a small number directly, a BigInt when it may exceed 2^53. */
function exactInt(text: string): number | bigint {
  let digits = text.replace(/_/g, '');
  let negative = false;
  if (digits[0] === '-') negative = true;
  if (digits[0] === '-' || digits[0] === '+') digits = digits.slice(1);
  if (digits === '0') return 0;
  let value: bigint;
  if (digits.startsWith('0b')) value = parseBig(digits.slice(2), 2, /^[01]+$/);
  else if (digits.startsWith('0x')) value = parseBig(digits.slice(2), 16, /^[0-9a-fA-F]+$/);
  else if (digits[0] === '0') value = parseBig(digits, 8, /^[0-7]+$/);
  else if (digits.includes(':')) {
    value = 0n;
    let base = 1n;
    const parts = digits.split(':');
    for (let i = parts.length - 1; i >= 0; i--) {
      value += parseBig(parts[i]!, 10, /^\s*[0-9]+\s*$/) * base;
      base *= 60n;
    }
  } else {
    if (/^[0-9]{1,15}$/.test(digits)) return negative ? -Number(digits) || 0 : Number(digits);
    value = parseBig(digits, 10, /^\s*[-+]?[0-9]+\s*$/);
  }
  return negative ? -value : value;
}

/** Python's int(text, radix), which also accepts the prefix of its own base (int('0o17', 8) is 15). */
function parseBig(digits: string, radix: 2 | 8 | 10 | 16, form: RegExp): bigint {
  const prefix = radix === 2 ? 'b' : radix === 8 ? 'o' : 'x';
  const trimmed = digits.trim();
  const bare = radix !== 10 && new RegExp(`^0${prefix}`, 'i').test(trimmed) ? trimmed.slice(2) : trimmed;
  if (!form.test(bare))
    throw new ConstructError(`invalid literal for int() with base ${radix}: ${JSON.stringify(digits)}`);
  return radix === 10 ? BigInt(bare) : BigInt(`0${prefix}${bare}`);
}

const PY_FLOAT = /^\s*[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf|infinity|nan)\s*$/;

/** PyYAML's construct_yaml_float: underscores dropped, `.inf`/`.nan`, base-60 parts summed in the same order. */
export function constructFloat(text: string): number {
  let value = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '-' || value[0] === '+') value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) {
    const parts = value.split(':').map(pythonFloat);
    let total = 0;
    let base = 1;
    for (let i = parts.length - 1; i >= 0; i--) {
      total += parts[i]! * base;
      base *= 60;
    }
    return sign * total;
  }
  return sign * pythonFloat(value);
}

/** Python's float() of a string (the forms it accepts, not JavaScript's Number() forms such as 0x1F or ''). */
function pythonFloat(text: string): number {
  const lower = text.toLowerCase();
  if (!PY_FLOAT.test(lower)) throw new ConstructError(`could not convert string to float: ${JSON.stringify(text)}`);
  const trimmed = lower.trim();
  const unsigned = trimmed.replace(/^[-+]/, '');
  const negative = trimmed.startsWith('-');
  if (unsigned === 'inf' || unsigned === 'infinity') return negative ? -Infinity : Infinity;
  if (unsigned === 'nan') return NaN;
  return Number(trimmed);
}

/**
 * A YAML 1.1 timestamp. PyYAML gives a `datetime.date` for `2001-12-14` and a `datetime.datetime` for the long
 * forms, naive without a zone and aware with one, to the microsecond. This class keeps all of that. It is a Date
 * (the instant, naive times taken as UTC) so code that treated timestamps as Dates keeps working, and it turns
 * into JSON as Python's `isoformat()`: JSON.stringify of a loaded file equals `json.dumps(yaml.safe_load(f),
 * default=lambda v: v.isoformat())`, the representation the PyYAML differential test compares.
 */
export class YamlTimestamp extends Date {
  readonly kind: 'date' | 'datetime';
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  /** Offset from UTC in minutes, or null for a naive datetime (and for a date). */
  readonly offsetMinutes: number | null;

  constructor(parts: TimestampParts) {
    super(instantOf(parts));
    this.kind = parts.kind;
    this.year = parts.year;
    this.month = parts.month;
    this.day = parts.day;
    this.hour = parts.hour;
    this.minute = parts.minute;
    this.second = parts.second;
    this.microsecond = parts.microsecond;
    this.offsetMinutes = parts.offsetMinutes;
  }

  /** Python's isoformat(): 2001-12-14, 2001-12-14T21:59:43.100000-05:00. */
  isoformat(separator = 'T'): string {
    const date = `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
    if (this.kind === 'date') return date;
    let text = `${date}${separator}${pad(this.hour, 2)}:${pad(this.minute, 2)}:${pad(this.second, 2)}`;
    if (this.microsecond !== 0) text += `.${pad(this.microsecond, 6)}`;
    if (this.offsetMinutes !== null) {
      const sign = this.offsetMinutes < 0 ? '-' : '+';
      const minutes = Math.abs(this.offsetMinutes);
      text += `${sign}${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;
    }
    return text;
  }

  override toJSON(): string {
    return this.isoformat();
  }

  /** Python's str(): what a Jinja template in OpenPAI or Ansible prints for this value. */
  override toString(): string {
    return this.isoformat(' ');
  }
}

interface TimestampParts {
  kind: 'date' | 'datetime';
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  offsetMinutes: number | null;
}

function instantOf(parts: TimestampParts): number {
  const instant = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not move years 0-99 to 1900-1999.
  instant.setUTCFullYear(parts.year, parts.month - 1, parts.day);
  instant.setUTCHours(parts.hour, parts.minute, parts.second, Math.floor(parts.microsecond / 1000));
  return instant.getTime() - (parts.offsetMinutes ?? 0) * 60_000;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** PyYAML's construct_yaml_timestamp, with the range checks Python's date/datetime/timezone constructors make. */
export function constructTimestamp(text: string): YamlTimestamp {
  const match = TIMESTAMP_PARTS.exec(text);
  if (!match) throw new ConstructError(`${JSON.stringify(text)} is not a timestamp`);
  const [, y, mo, d, h, mi, s, fraction, tz, tzSign, tzHour, tzMinute] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1) throw new ConstructError(`year ${year} is out of range`);
  if (month < 1 || month > 12) throw new ConstructError('month must be in 1..12');
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day < 1 || day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!))
    throw new ConstructError('day is out of range for month');
  if (h === undefined)
    return new YamlTimestamp({
      kind: 'date',
      year,
      month,
      day,
      hour: 0,
      minute: 0,
      second: 0,
      microsecond: 0,
      offsetMinutes: null,
    });
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23) throw new ConstructError('hour must be in 0..23');
  if (minute > 59) throw new ConstructError('minute must be in 0..59');
  if (second > 59) throw new ConstructError('second must be in 0..59');
  const microsecond = fraction ? Number(fraction.slice(0, 6).padEnd(6, '0')) : 0;
  let offsetMinutes: number | null = null;
  if (tzSign) {
    const minutes = Number(tzHour) * 60 + Number(tzMinute ?? 0);
    if (minutes >= 24 * 60)
      throw new ConstructError(
        'offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)',
      );
    offsetMinutes = tzSign === '-' ? -minutes : minutes;
  } else if (tz) {
    offsetMinutes = 0;
  }
  return new YamlTimestamp({ kind: 'datetime', year, month, day, hour, minute, second, microsecond, offsetMinutes });
}

function constructBinary(text: string): Uint8Array {
  // PyYAML encodes the text as ASCII, then base64.decodebytes, which skips characters outside the alphabet.
  if ([...text].some((c) => c.charCodeAt(0) > 0x7f))
    throw new ConstructError('failed to convert base64 data into ascii: non-ASCII character');
  const clean = text.replace(/[^A-Za-z0-9+/=]/g, '');
  const data = clean.replace(/=/g, '').length;
  const padding = clean.length - clean.replace(/=+$/, '').length;
  if (data % 4 === 1 || (data % 4 === 2 && padding < 2) || (data % 4 === 3 && padding < 1)) {
    throw new ConstructError('failed to decode base64 data: Incorrect padding');
  }
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

/**
 * Mapping keys. PyYAML keys a dict by any hashable value (1, True, None, a date); a JavaScript object only by
 * strings. A key is stored under the text `json.dumps` would write for it (`1`, `true`, `null`, `0.5`,
 * `2001-12-14`), so a loaded file and its PyYAML JSON have the same keys.
 */
export function keyText(tag: CoreTag, value: unknown, source: string): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return tag === 'int' ? exactInt(source).toString() : pythonFloatRepr(value);
  if (value instanceof YamlTimestamp) return value.isoformat();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return String(value);
}

/**
 * What makes two keys the same key in a Python dict: 1, 1.0 and true are equal there, '1' and 1 are not. Strings
 * never need this (their text is their identity); the other kinds get an identity that cannot be a string's.
 */
export function keyIdentity(value: unknown, text: string, unique: () => number): string {
  if (value === null) return '\u0000null';
  if (typeof value === 'boolean') return value ? '\u0000n1' : '\u0000n0';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return `\u0000nan${unique()}`;
    if (Number.isInteger(value) && /^-?[0-9]+$/.test(text)) return `\u0000n${text}`;
    if (Number.isInteger(value)) return `\u0000n${BigInt(value).toString()}`;
    return `\u0000n${String(value)}`;
  }
  if (value instanceof YamlTimestamp) {
    if (value.kind === 'date') return `\u0000d${text}`;
    if (value.offsetMinutes === null) return `\u0000t${text}`;
    return `\u0000z${value.getTime()}.${value.microsecond % 1000}`;
  }
  return `\u0000b${text}`;
}

/** Python's repr() of a float, which is how json.dumps writes a float key. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  const negative = value < 0 || Object.is(value, -0);
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  let text: string;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
      const rest = digits.slice(exponent + 1);
      text = `${whole}.${rest === '' ? '0' : rest}`;
    } else {
      text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
    }
  } else {
    const rest = digits.slice(1);
    text = `${digits[0]}${rest === '' ? '' : `.${rest}`}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return negative ? `-${text}` : text;
}
