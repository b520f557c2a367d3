export type Severity = 'error' | 'warning';

/** Where a finding points: a file and a 1-based line and column (0 when the file as a whole is meant). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * One problem with the input. `code` is stable (scripts match on it), `path` is the field path in the file
 * (e.g. `machine-list[3].hostname`), `message` names the offending value, `hint` says how to fix it.
 */
export interface Finding extends SourceLocation {
  severity: Severity;
  code: string;
  path: string;
  message: string;
  hint: string;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export interface FindingSummary {
  valid: boolean;
  errors: Finding[];
  warnings: Finding[];
}

export function summarize(findings: readonly Finding[]): FindingSummary {
  const sorted = [...findings].sort(compareFindings);
  const errors = sorted.filter((f) => f.severity === 'error');
  const warnings = sorted.filter((f) => f.severity === 'warning');
  return { valid: errors.length === 0, errors, warnings };
}

/** Quote a user value for a message, shortened so a pasted blob never floods the terminal. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === undefined) text = 'nothing';
  // JSON has no infinity or NaN (it would say null): `count: .inf` is shown as YAML wrote it.
  else if (typeof value === 'number' && !Number.isFinite(value))
    text = Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Maps a field path of an input file to a file, line and column. */
export interface Locator {
  file: string;
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): SourceLocation;
}
