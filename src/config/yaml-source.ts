import type { Event } from 'js-yaml';
import type { Finding, PathSegment, SourceLocation } from '../findings/finding.js';
import { indexOfKey, YamlConstruction, type Positions, type Problem } from './yaml-construct.js';
import {
  abortError,
  packedLength,
  parseEventsInWorker,
  parseEventsSync,
  parseInThread,
  unpackEvents,
  type ParseFailure,
} from './yaml-events.js';

export { YamlTimestamp } from './yaml-values.js';

/**
 * A YAML input file parsed the way its consumers read it: OpenPAI's scripts and Ansible load layout.yaml and
 * config.yaml with PyYAML, which speaks YAML 1.1 (`yes` is a boolean, `010` is 8), so the values here are the
 * ones PyYAML's safe_load gives (see yaml-values.ts), and files PyYAML would refuse get a finding. Positions are
 * kept so every finding can name a line and column.
 *
 * One reader serves every input file: js-yaml's event parser (any YAML: flow style, anchors, block scalars, a
 * leading "---") and an iterative construction over its events (yaml-construct.ts). Comment-preserving edits of
 * the user's files use the `yaml` library elsewhere; this reader does not.
 */
export interface YamlSource {
  file: string;
  /**
   * The parsed value, or undefined when the file could not be parsed at all (or PyYAML would refuse it). Plain
   * JSON-like data, except that YAML 1.1 timestamps are YamlTimestamp (a Date that serialises as Python's
   * isoformat()), !!binary is a Uint8Array, and non-string keys are stored under their json.dumps text.
   */
  value: unknown;
  /** Location of the value at `path`, or of the key naming it when `part` is 'key'. Falls back to the nearest parent. */
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): SourceLocation;
  /** Findings about the file itself: not text, empty, malformed YAML, something PyYAML would not load. */
  syntaxFindings: Finding[];
}

/**
 * Below this size the async reader parses on the calling thread: starting a worker costs ~30 ms, more than
 * parsing 512 KiB (a 5,000-machine layout) takes. Above it, parsing runs in a worker that Ctrl-C can stop at once.
 */
const INLINE_PARSE_LIMIT = 512 * 1024;
/** The async reader yields to the event loop after this much work. */
const SLICE_MS = 10;

export function parseYamlSource(file: string, bytes: Buffer): YamlSource {
  const prepared = prepare(file, bytes);
  if ('source' in prepared) return prepared.source;
  try {
    const parsed = parseEventsSync(prepared.text);
    if ('failure' in parsed) return parseFailure(file, prepared.text, parsed.failure);
    const construction = new YamlConstruction(prepared.text, parsed.events);
    construction.run(Infinity);
    return finish(file, prepared.text, construction);
  } catch (error) {
    return unreadable(file, error);
  }
}

/**
 * The same reader for callers that must stay responsive: it yields to the event loop about every 10 ms and, when
 * `signal` is aborted, stops promptly with `signal.reason` (an AbortError). Large files are parsed in a worker
 * thread, which is terminated on abort.
 */
export async function parseYamlSourceAsync(file: string, bytes: Buffer, signal?: AbortSignal): Promise<YamlSource> {
  const checkpoint = async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw signal.reason ?? abortError();
  };
  if (signal?.aborted) throw signal.reason ?? abortError();
  const prepared = prepare(file, bytes);
  if ('source' in prepared) return prepared.source;
  try {
    return await readAsync(file, prepared.text, checkpoint, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? abortError();
    return unreadable(file, error);
  }
}

async function readAsync(
  file: string,
  text: string,
  checkpoint: () => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<YamlSource> {
  let events: Event[];
  const inline = text.length <= INLINE_PARSE_LIMIT ? parseInThread(text) : undefined;
  if (inline) {
    if ('failure' in inline) return parseFailure(file, text, inline.failure);
    events = inline.events;
  } else {
    const outcome = await parseEventsInWorker(text, signal);
    if ('failure' in outcome) return parseFailure(file, text, outcome.failure);
    events = [];
    const total = packedLength(outcome.packed);
    for (let from = 0; from < total;) {
      const deadline = performance.now() + SLICE_MS;
      while (from < total && performance.now() < deadline) {
        const to = Math.min(total, from + 8192);
        unpackEvents(outcome.packed, outcome.directives, from, to, events);
        from = to;
      }
      await checkpoint();
    }
  }
  await checkpoint();
  const construction = new YamlConstruction(text, events);
  while (!construction.run(performance.now() + SLICE_MS)) await checkpoint();
  return finish(file, text, construction);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The checks before parsing: binary files, empty files, the BOM, characters PyYAML reads differently. */
function prepare(file: string, bytes: Buffer): { source: YamlSource } | { text: string } {
  const nul = bytes.indexOf(0);
  const text = bytes.toString('utf8');
  // The bytes are checked, not the decoded text: a literal U+FFFD is valid UTF-8 and must pass.
  const badUtf8 = isUtf8(bytes) ? -1 : text.indexOf('\uFFFD');
  if (nul !== -1 || badUtf8 !== -1) {
    const offset = nul !== -1 ? Buffer.from(bytes.subarray(0, nul)).toString('utf8').length : badUtf8;
    const position = new LineIndex(text).position(offset);
    return {
      source: failedSource(file, {
        severity: 'error',
        code: 'not-text',
        file,
        line: position.line,
        column: position.column,
        path: '',
        message: `${file} is not a UTF-8 text file (${nul !== -1 ? 'NUL byte' : 'invalid UTF-8 sequence'} at line ${position.line})`,
        hint: 'Point the option at the YAML file itself; binary or UTF-16 files cannot be read.',
      }),
    };
  }
  const stripped = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!/^\s*[^\s#]/m.test(stripped)) {
    return {
      source: failedSource(file, {
        severity: 'error',
        code: 'empty-file',
        file,
        line: 1,
        column: 1,
        path: '',
        message: `${file} is empty (no YAML content, only blank lines or comments)`,
        hint: 'Fill it in; `pai-deploy config init` writes a commented example.',
      }),
    };
  }
  // PyYAML's reader refuses these raw anywhere in the file (C0 controls but tab/LF/CR, DEL, C1 but NEL, U+FFFE/F):
  // "unacceptable character: control characters are not allowed". Escapes in double quotes are fine.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const refused = stripped.search(/[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/);
  if (refused !== -1) {
    const position = new LineIndex(stripped).position(refused);
    const code = stripped.charCodeAt(refused).toString(16).toUpperCase().padStart(4, '0');
    return {
      source: failedSource(file, {
        severity: 'error',
        code: 'yaml-unacceptable-character',
        file,
        line: position.line,
        column: position.column,
        path: '',
        message: `the raw character U+${code} at line ${position.line} is refused by PyYAML and Ansible ("control characters are not allowed")`,
        hint: `Remove it, or write it as an escape ("\\u${code.toLowerCase()}") inside a double-quoted string.`,
      }),
    };
  }
  // YAML 1.1 counts NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks, YAML 1.2 (js-yaml) as ordinary
  // characters; PyYAML would split the line there, so the value read here could differ from OpenPAI's.
  const lineBreak = stripped.search(/[\u0085\u2028\u2029]/);
  if (lineBreak !== -1) {
    const position = new LineIndex(stripped).position(lineBreak);
    return {
      source: failedSource(file, {
        severity: 'error',
        code: 'yaml-unicode-line-break',
        file,
        line: position.line,
        column: position.column,
        path: '',
        message: `U+${stripped.charCodeAt(lineBreak).toString(16).toUpperCase().padStart(4, '0')} at line ${position.line} is a line break for PyYAML (YAML 1.1) but not for YAML 1.2 readers`,
        hint: 'Remove the character, or write it as an escape (\\u2028) inside a double-quoted string.',
      }),
    };
  }
  return { text: stripped };
}

/** Last resort: whatever went wrong inside the reader, the file gets a finding and the CLI goes on. */
function unreadable(file: string, error: unknown): YamlSource {
  return failedSource(file, {
    severity: 'error',
    code: 'yaml-unreadable',
    file,
    line: 1,
    column: 1,
    path: '',
    message: `${file} could not be read as YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`,
    hint: yamlHint('yaml-unreadable'),
  });
}

function parseFailure(file: string, text: string, failure: ParseFailure): YamlSource {
  const code = failure.tooDeep ? 'yaml-too-deep' : syntaxCode(failure.reason);
  const line = Math.min(failure.line, new LineIndex(text).lines - 1);
  return failedSource(file, {
    severity: 'error',
    code,
    file,
    line: line + 1,
    column: failure.column + 1,
    path: '',
    message: `malformed YAML: ${firstLine(failure.reason)}`,
    hint: yamlHint(code),
  });
}

function finish(file: string, text: string, construction: YamlConstruction): YamlSource {
  const lines = new LineIndex(text);
  const syntaxFindings = construction.problems.map((problem) => problemFinding(file, lines, problem));
  const fatal = construction.stopped || construction.problems.some((problem) => problem.fatal);
  const locate = makeLocator(file, lines, construction.rootOffset, construction.rootPositions);
  const value = fatal ? undefined : construction.value === undefined ? null : construction.value;
  return { file, value, locate, syntaxFindings };
}

function problemFinding(file: string, lines: LineIndex, problem: Problem): Finding {
  const position = lines.position(problem.offset);
  return {
    severity: 'error',
    code: problem.code,
    file,
    line: position.line,
    column: position.column,
    path: '',
    message:
      problem.code === 'yaml-duplicate-key' || problem.code === 'yaml-unresolvable'
        ? problem.message
        : `malformed YAML: ${problem.message}`,
    hint: yamlHint(problem.code),
  };
}

function failedSource(file: string, finding: Finding): YamlSource {
  return {
    file,
    value: undefined,
    locate: () => ({ file, line: finding.line, column: finding.column }),
    syntaxFindings: [finding],
  };
}

/**
 * Finds a path in the recorded positions. A value starts where its content starts (after an anchor or tag, at
 * the opening quote, at a block scalar's `|`); an empty value is placed on its key. A path that goes through an
 * alias, or names something missing, locates to the nearest node that exists.
 */
function makeLocator(file: string, lines: LineIndex, rootOffset: number, root: Positions | undefined) {
  const at = (offset: number): SourceLocation => ({ file, ...lines.position(offset) });
  return (path: readonly PathSegment[], part: 'key' | 'value' = 'value'): SourceLocation => {
    let positions = root;
    let best = rootOffset;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (positions === undefined) return at(best);
      if (positions.kind === 'map') {
        const index = indexOfKey(positions, String(segment));
        if (index < 0) return at(best);
        if (i === path.length - 1 && part === 'key') return at(positions.offsets[2 * index]!);
        best = positions.offsets[2 * index + 1]!;
        positions = positions.children[index];
      } else {
        if (typeof segment !== 'number' || segment < 0 || segment >= positions.offsets.length) return at(best);
        best = positions.offsets[segment]!;
        positions = positions.children[segment];
      }
    }
    return at(best);
  };
}

/** Offsets to 1-based line and column (in UTF-16 units, as editors count them), built on first use. */
class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  get lines(): number {
    return this.lineStarts().length;
  }

  position(offset: number): { line: number; column: number } {
    const starts = this.lineStarts();
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  }

  private lineStarts(): number[] {
    if (!this.starts) {
      // YAML's line breaks: LF, CRLF and a lone CR (classic Mac files; PyYAML and js-yaml both break lines there).
      const starts = [0];
      const breaks = /\r\n?|\n/g;
      for (let match = breaks.exec(this.text); match; match = breaks.exec(this.text)) starts.push(breaks.lastIndex);
      this.starts = starts;
    }
    return this.starts;
  }
}

/** Finding codes for js-yaml's parse errors, named like the ones the yaml library gave before. */
function syntaxCode(reason: string): string {
  if (reason.startsWith('bad indentation') || reason === 'deficient indentation') return 'yaml-bad-indent';
  if (reason.startsWith('tab characters')) return 'yaml-tab-as-indent';
  if (reason.startsWith('end of the stream or a document separator')) return 'yaml-unexpected-token';
  if (reason.includes('multiline key') || reason.includes('implicit key')) return 'yaml-multiline-implicit-key';
  if (reason.startsWith('unknown escape') || reason.startsWith('expected hexadecimal')) return 'yaml-bad-dq-escape';
  if (reason.startsWith('unexpected end') || reason.startsWith('missed comma') || reason.includes(' is expected'))
    return 'yaml-missing-char';
  if (reason.includes('non-printable')) return 'yaml-bad-char';
  if (reason.includes('directive') || reason.includes('YAML version')) return 'yaml-bad-directive';
  if (reason.includes('tag')) return 'yaml-bad-tag';
  if (reason.includes('anchor') || reason.includes('alias')) return 'yaml-bad-anchor';
  return 'yaml-syntax-error';
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

function yamlHint(code: string): string {
  switch (code) {
    case 'yaml-duplicate-key':
      return 'Each key may appear once per mapping; remove or merge the repeated key.';
    case 'yaml-bad-indent':
    case 'yaml-missing-char':
    case 'yaml-unexpected-token':
    case 'yaml-multiline-implicit-key':
      return 'Check the indentation (spaces, not tabs) and that every key is followed by ": ".';
    case 'yaml-tab-as-indent':
      return 'YAML does not allow tabs for indentation; use spaces.';
    case 'yaml-tab':
      return 'Replace the tab with spaces; PyYAML (used by OpenPAI and Ansible) rejects tabs outside quotes and comments.';
    case 'yaml-multiple-docs':
      return 'Keep one YAML document per file (remove the extra "---").';
    case 'yaml-unresolvable':
      return 'Remove aliases that expand excessively or refer to undefined anchors; merge (<<) only mappings.';
    case 'yaml-unknown-tag':
    case 'yaml-bad-value':
      return 'Remove the tag or fix the value; OpenPAI reads the file with PyYAML, which refuses it as written.';
    case 'yaml-unhashable-key':
      return 'Use a plain string as the key.';
    case 'yaml-bad-tag':
      return 'Put a space after the tag, or remove it.';
    case 'yaml-key-too-long':
      return 'Shorten the key, or write it on its own line as "? key" followed by ": value".';
    case 'yaml-bad-anchor':
    case 'yaml-duplicate-anchor':
      return 'Give every anchor its own name made of letters, digits, "-" and "_".';
    case 'yaml-unreadable':
      return "This is a fault in pai-deploy's YAML reader; please report it together with the file.";
    case 'yaml-too-deep':
      return 'Flatten the document; no input file needs this much nesting.';
    default:
      return 'Fix the YAML syntax at this position; `pai-deploy config init` writes a valid example.';
  }
}
