import type { Finding, FindingSummary } from '../../findings/finding.js';
import { escapeControl } from '../io/escape.js';
import type { Palette } from '../io/style.js';

/** One finding, compiler style: `layout.yaml:25:5 error [duplicate-hostname] message` and an indented hint. */
export function formatFinding(finding: Finding, style: Palette): string {
  const where = escapeControl(finding.line > 0 ? `${finding.file}:${finding.line}:${finding.column}` : finding.file);
  const severity = finding.severity === 'error' ? style.red('error') : style.yellow('warning');
  return `${style.bold(where)} ${severity} [${finding.code}] ${escapeControl(finding.message)}\n    ${style.dim('hint:')} ${escapeControl(finding.hint)}`;
}

/** Every command shows findings this way: sorted by file and position, then a one-line verdict. */
export function formatFindings(summary: FindingSummary, style: Palette): string {
  const lines = [...summary.errors, ...summary.warnings].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column,
  );
  const body = lines.map((finding) => formatFinding(finding, style));
  body.push(findingsVerdict(summary, style));
  return body.join('\n') + '\n';
}

/** The one-line verdict: `valid (0 errors, 2 warnings)` or `invalid: 1 error, 0 warnings`. */
export function findingsVerdict(summary: FindingSummary, style: Palette): string {
  const counts = `${plural(summary.errors.length, 'error')}, ${plural(summary.warnings.length, 'warning')}`;
  return summary.valid ? style.green(`valid (${counts})`) : style.red(`invalid: ${counts}`);
}

export function findingsJson(summary: FindingSummary, extra: Record<string, unknown> = {}): string {
  return (
    JSON.stringify({ valid: summary.valid, errors: summary.errors, warnings: summary.warnings, ...extra }, null, 2) +
    '\n'
  );
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
