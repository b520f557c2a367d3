import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { Finding, PathSegment, SourceLocation } from '../findings/finding.js';
import { fastParseYaml, pathKey, type FastYaml } from './fast-yaml.js';

/**
 * A YAML input file parsed the way its consumers read it (PyYAML and Ansible speak YAML 1.1, so `yes` is a
 * boolean), with positions kept so every finding can name line and column.
 */
export interface YamlSource {
  file: string;
  /** The parsed value, or undefined when the file could not be parsed at all. */
  value: unknown;
  /** Location of the value at `path`, or of the key naming it when `part` is 'key'. Falls back to the nearest parent. */
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): SourceLocation;
  /** Findings about the file itself: not text, empty, malformed YAML. */
  syntaxFindings: Finding[];
}

const ALIAS_LIMIT = 100;

export function parseYamlSource(file: string, bytes: Buffer): YamlSource {
  const lineCounter = new LineCounter();
  const nul = bytes.indexOf(0);
  const text = bytes.toString('utf8');
  const badUtf8 = text.indexOf('\uFFFD');
  if (nul !== -1 || badUtf8 !== -1) {
    const offset = nul !== -1 ? Buffer.from(bytes.subarray(0, nul)).toString('utf8').length : badUtf8;
    const position = positionInText(text, offset);
    return failedSource(file, {
      severity: 'error',
      code: 'not-text',
      file,
      line: position.line,
      column: position.column,
      path: '',
      message: `${file} is not a UTF-8 text file (${nul !== -1 ? 'NUL byte' : 'invalid UTF-8 sequence'} at line ${position.line})`,
      hint: 'Point the option at the YAML file itself; binary or UTF-16 files cannot be read.',
    });
  }
  const stripped = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (stripped.split('\n').every((line) => line.trim() === '' || line.trimStart().startsWith('#'))) {
    return failedSource(file, {
      severity: 'error',
      code: 'empty-file',
      file,
      line: 1,
      column: 1,
      path: '',
      message: `${file} is empty (no YAML content, only blank lines or comments)`,
      hint: 'Fill it in; `pai-deploy config init` writes a commented example.',
    });
  }
  const fast = fastParseYaml(file, stripped);
  if (fast) return { file, value: fast.value, locate: makeFastLocator(file, fast.positions), syntaxFindings: [] };
  const doc = parseDocument(stripped, { lineCounter, version: '1.1', uniqueKeys: true, prettyErrors: false });
  const syntaxFindings: Finding[] = [];
  for (const error of doc.errors) {
    const position = lineCounter.linePos(error.pos[0]);
    syntaxFindings.push({
      severity: 'error',
      code: `yaml-${error.code.toLowerCase().replace(/_/g, '-')}`,
      file,
      line: position.line,
      column: position.col,
      path: '',
      message: `malformed YAML: ${firstLine(error.message)}`,
      hint: yamlHint(error.code),
    });
  }
  const locate = makeLocator(file, doc, lineCounter);
  if (syntaxFindings.length > 0) return { file, value: undefined, locate, syntaxFindings };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: ALIAS_LIMIT });
  } catch (error) {
    return failedSource(file, {
      severity: 'error',
      code: 'yaml-unresolvable',
      file,
      line: 1,
      column: 1,
      path: '',
      message: `YAML cannot be resolved: ${firstLine(error instanceof Error ? error.message : String(error))}`,
      hint: 'Remove aliases that expand excessively or refer to undefined anchors.',
    });
  }
  return { file, value, locate, syntaxFindings };
}

function failedSource(file: string, finding: Finding): YamlSource {
  return {
    file,
    value: undefined,
    locate: () => ({ file, line: finding.line, column: finding.column }),
    syntaxFindings: [finding],
  };
}

function makeFastLocator(file: string, positions: FastYaml['positions']) {
  return (path: readonly PathSegment[], part: 'key' | 'value' = 'value'): SourceLocation => {
    const exact = positions.get(pathKey(path));
    if (exact) return part === 'key' && exact.key ? exact.key : exact.value;
    for (let length = path.length - 1; length >= 0; length--) {
      const ancestor = positions.get(pathKey(path.slice(0, length)));
      if (ancestor) return ancestor.value;
    }
    return { file, line: 1, column: 1 };
  };
}

/** Exported for the differential test against the fast path. */
export function makeLocator(file: string, doc: Document, lineCounter: LineCounter) {
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  return (path: readonly PathSegment[], part: 'key' | 'value' = 'value'): SourceLocation => {
    let node: unknown = doc.contents;
    let best: SourceLocation = at(rangeStart(node) ?? 0);
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const isLast = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item: Pair) => keyMatches(item.key, segment));
        if (!pair) return best;
        const keyStart = rangeStart(pair.key);
        if (isLast && part === 'key' && keyStart !== undefined) return at(keyStart);
        const valueStart = rangeStart(pair.value);
        best = at(valueStart ?? keyStart ?? 0);
        if (valueStart === undefined && keyStart !== undefined) best = at(keyStart);
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        const start = rangeStart(item);
        if (start === undefined) return best;
        best = at(start);
        node = item;
      } else {
        return best;
      }
    }
    return best;
  };
}

function keyMatches(key: unknown, segment: PathSegment | undefined): boolean {
  if (isScalar(key)) return String(key.value) === String(segment);
  return false;
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range;
    if (range) return range[0];
  }
  if (isPair(node)) return rangeStart(node.key);
  return undefined;
}

function positionInText(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'Each key may appear once per mapping; remove or merge the repeated key.';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'Check the indentation (spaces, not tabs) and that every key is followed by ": ".';
    case 'TAB_AS_INDENT':
      return 'YAML does not allow tabs for indentation; use spaces.';
    case 'MULTIPLE_DOCS':
      return 'Keep one YAML document per file (remove the extra "---").';
    default:
      return 'Fix the YAML syntax at this position; `pai-deploy config init` writes a valid example.';
  }
}

