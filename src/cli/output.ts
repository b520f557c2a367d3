import type { Finding, FindingSummary } from '../findings/finding.js';

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function colourEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/**
 * Whether a live display (listr2) may be drawn: listr2 draws on stdout at stdout's width, so both streams must be a
 * terminal that reports a width (a pseudo-terminal without one would get a column per character), and TERM not dumb.
 * Otherwise progress is plain lines on stderr and stdout carries only the report.
 */
export function liveDisplayPossible(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stdout.isTTY === true && stderr.isTTY === true && (stdout.columns ?? 0) > 0 && env['TERM'] !== 'dumb';
}

export interface Style {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}

/** One finding, compiler style: `layout.yaml:25:5 error [duplicate-hostname] message` and an indented hint. */
export function formatFinding(finding: Finding, style: Style): string {
  const where = finding.line > 0 ? `${finding.file}:${finding.line}:${finding.column}` : finding.file;
  const severity = finding.severity === 'error' ? style.red('error') : style.yellow('warning');
  return `${style.bold(where)} ${severity} [${finding.code}] ${finding.message}\n    ${style.dim('hint:')} ${finding.hint}`;
}

export function formatFindings(summary: FindingSummary, style: Style): string {
  const lines = [...summary.errors, ...summary.warnings].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column,
  );
  const body = lines.map((finding) => formatFinding(finding, style));
  const counts = `${plural(summary.errors.length, 'error')}, ${plural(summary.warnings.length, 'warning')}`;
  body.push(summary.valid ? style.green(`valid (${counts})`) : style.red(`invalid: ${counts}`));
  return body.join('\n') + '\n';
}

export function findingsJson(summary: FindingSummary): string {
  return JSON.stringify({ valid: summary.valid, errors: summary.errors, warnings: summary.warnings }, null, 2) + '\n';
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
