import { parse } from 'yaml';
import type { PathSegment, SourceLocation } from '../findings/finding.js';

/**
 * A fast path for the common, plain shape of layout.yaml and config.yaml: block mappings and sequences of
 * one-line scalars, with comments. The yaml library needs ~0.5 s for a 4,096-machine layout; this reads it in a
 * few tens of milliseconds. Anything outside that shape (flow collections, anchors, tags, block or multi-line
 * scalars, escapes, duplicate keys, odd indentation, tabs, several documents) returns undefined, and the caller
 * falls back to the yaml library, which also produces every syntax finding. Scalars resolve exactly as the yaml
 * library resolves them under YAML 1.1 (a differential test compares the two on fuzzed input).
 */
export interface FastYaml {
  value: unknown;
  /** Position of each node, keyed by its path; `key` is where the mapping key naming it starts. */
  positions: Map<string, { key?: SourceLocation; value: SourceLocation }>;
}

interface Line {
  number: number;
  indent: number;
  /** Content after the indentation, comment-only and blank lines excluded. */
  text: string;
}

class Bail extends Error {}

const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
const SAFE_STRING = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const SAFE_IPV4 = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(\/[0-9]{1,2})?$/;
const RESERVED = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|nan|NaN|NAN|inf|Inf|INF)$/;
const NUMERIC_KEY = /^[0-9_.+-]/;

export function pathKey(path: readonly PathSegment[]): string {
  return path.map((segment) => (typeof segment === 'number' ? `#${segment}` : `.${segment}`)).join('');
}

export function fastParseYaml(file: string, text: string): FastYaml | undefined {
  const lines: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!.endsWith('\r') ? raw[i]!.slice(0, -1) : raw[i]!;
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - content.length;
    if (line.slice(0, indent).includes('\t') || content.includes('\t')) return undefined;
    if (indent === 0 && (content.startsWith('---') || content.startsWith('...') || content.startsWith('%'))) return undefined;
    lines.push({ number: i + 1, indent, text: content });
  }
  if (lines.length === 0) return undefined;
  const positions: FastYaml['positions'] = new Map();
  const at = (line: Line, column: number): SourceLocation => ({ file, line: line.number, column: column + 1 });
  let index = 0;

  const parseBlock = (indent: number, path: PathSegment[]): unknown => {
    const first = lines[index]!;
    return isSequenceItem(first.text) ? parseSequence(indent, path) : parseMapping(indent, path);
  };

  const parseMapping = (indent: number, path: PathSegment[]): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    positions.set(pathKey(path), { value: at(lines[index]!, lines[index]!.indent) });
    while (index < lines.length) {
      const line = lines[index]!;
      if (line.indent < indent) break;
      if (line.indent > indent || isSequenceItem(line.text)) throw new Bail();
      const colon = keyEnd(line.text);
      if (colon === -1) throw new Bail();
      const key = line.text.slice(0, colon);
      if (!PLAIN_KEY.test(key) || RESERVED.test(key) || NUMERIC_KEY.test(key) || key === '__proto__' || Object.hasOwn(result, key)) {
        throw new Bail();
      }
      const childPath = [...path, key];
      const keyAt = at(line, line.indent);
      const rest = line.text.slice(colon + 1);
      index++;
      if (isEmptyValue(rest)) {
        const next = lines[index];
        if (next && next.indent > indent) {
          positions.set(pathKey(childPath), { key: keyAt, value: at(next, next.indent) });
          result[key] = parseBlock(next.indent, childPath);
          positions.get(pathKey(childPath))!.key = keyAt;
        } else if (next && next.indent === indent && isSequenceItem(next.text)) {
          result[key] = parseSequence(indent, childPath);
          positions.get(pathKey(childPath))!.key = keyAt;
        } else {
          result[key] = null;
          positions.set(pathKey(childPath), { key: keyAt, value: keyAt });
        }
      } else {
        const offset = line.indent + colon + 1 + (rest.length - rest.trimStart().length);
        result[key] = scalarValue(rest);
        positions.set(pathKey(childPath), { key: keyAt, value: at(line, offset) });
      }
    }
    return result;
  };

  const parseSequence = (indent: number, path: PathSegment[]): unknown[] => {
    const result: unknown[] = [];
    positions.set(pathKey(path), { ...positions.get(pathKey(path)), value: at(lines[index]!, lines[index]!.indent) });
    while (index < lines.length) {
      const line = lines[index]!;
      if (line.indent < indent) break;
      if (line.indent > indent || !isSequenceItem(line.text)) {
        if (line.indent === indent) break;
        throw new Bail();
      }
      const childPath = [...path, result.length];
      const rest = line.text.slice(1);
      const spaces = rest.length - rest.trimStart().length;
      const content = rest.trimStart();
      if (content === '' || content.startsWith('#')) {
        index++;
        const next = lines[index];
        if (!next || next.indent <= indent) {
          positions.set(pathKey(childPath), { value: at(line, line.indent) });
          result.push(null);
        } else {
          result.push(parseBlock(next.indent, childPath));
        }
      } else if (isSequenceItem(content)) {
        throw new Bail();
      } else if (keyEnd(content) !== -1) {
        // A compact mapping ("- key: value"): its keys align one column past the dash and its spaces.
        lines[index] = { number: line.number, indent: line.indent + 1 + spaces, text: content };
        result.push(parseMapping(line.indent + 1 + spaces, childPath));
      } else {
        positions.set(pathKey(childPath), { value: at(line, line.indent + 1 + spaces) });
        result.push(scalarValue(content));
        index++;
      }
    }
    return result;
  };

  try {
    const value = parseBlock(lines[0]!.indent, []);
    if (index !== lines.length) return undefined;
    return { value, positions };
  } catch (error) {
    if (error instanceof Bail) return undefined;
    throw error;
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Index of the ": " (or final ":") that ends a plain key, or -1 when the line is not "key: ...". */
function keyEnd(text: string): number {
  const colon = text.search(/:( |$)/);
  if (colon <= 0) return -1;
  if (/["'[\]{}#&*!|>%@`?]/.test(text.slice(0, colon))) return -1;
  return colon;
}

function isEmptyValue(rest: string): boolean {
  const trimmed = rest.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

const resolved = new Map<string, unknown>();

function scalarValue(raw: string): unknown {
  const text = stripComment(raw.trim());
  const first = text[0];
  if (first === '"') {
    if (text.length < 2 || !text.endsWith('"') || text.slice(1, -1).includes('"') || text.includes('\\')) throw new Bail();
    return text.slice(1, -1);
  }
  if (first === "'") {
    const inner = text.slice(1, -1);
    if (text.length < 2 || !text.endsWith("'") || inner.replace(/''/g, '').includes("'")) throw new Bail();
    return inner.replace(/''/g, "'");
  }
  if (first === undefined || '[]{}&*!|>%@`?:-,#'.includes(first) && !/^-[0-9A-Za-z.]/.test(text)) throw new Bail();
  if (/: |\s#/.test(text)) throw new Bail();
  if ((SAFE_STRING.test(text) && !RESERVED.test(text)) || SAFE_IPV4.test(text)) return text;
  if (resolved.has(text)) return resolved.get(text);
  let value: unknown;
  try {
    value = parse(text, { version: '1.1' });
  } catch {
    throw new Bail();
  }
  if (value !== null && typeof value === 'object') throw new Bail();
  resolved.set(text, value);
  return value;
}

function stripComment(text: string): string {
  if (text.startsWith('"') || text.startsWith("'")) {
    const quote = text[0]!;
    let end = 1;
    while (end < text.length) {
      if (text[end] === quote) {
        if (quote === "'" && text[end + 1] === "'") {
          end += 2;
          continue;
        }
        break;
      }
      end++;
    }
    const after = text.slice(end + 1);
    if (after.trim() !== '' && !/^\s+#/.test(after)) throw new Bail();
    return text.slice(0, end + 1);
  }
  const hash = text.search(/\s#/);
  return (hash === -1 ? text : text.slice(0, hash)).trimEnd();
}
