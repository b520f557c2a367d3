import { escapeControl } from '../io/escape.js';
import { ciPath, entrySentence, type CiEntry, type CiReport } from './ci-report.js';

/**
 * GitHub Actions workflow commands: a line `::error file=F,line=L,col=C,title=T::message` on a step's stdout becomes
 * an annotation on that file and line (in the run's summary and, for files of the pull request, on its diff).
 *
 * Written here rather than with @actions/core: its error()/warning() write straight to process.stdout, while a
 * report here must go through the I/O host or into --output's file, and the escaping it does is the two documented
 * rules below.
 */
export function formatGithub(report: CiReport, cwd: string): string {
  return report.entries
    .filter((entry) => entry.outcome === 'error' || entry.outcome === 'warning')
    .map((entry) => githubCommand(entry, cwd))
    .join('');
}

function githubCommand(entry: CiEntry, cwd: string): string {
  const properties: Array<[string, string]> = [];
  if (entry.location) {
    properties.push(['file', escapeControl(ciPath(entry.location.file, cwd).path)]);
    if (entry.location.line > 0) {
      properties.push(['line', String(entry.location.line)]);
      if (entry.location.column > 0) properties.push(['col', String(entry.location.column)]);
    }
  }
  properties.push(['title', entry.code]);
  // The annotation's text: the message (with the machine it is about), then the hint on a line of its own.
  // Values from the inputs or the machines are made single-line and free of terminal controls first, so the one
  // line break is ours and nothing a machine printed can end the command and start another.
  const text = escapeControl(entrySentence(entry)) + (entry.hint ? `\nhint: ${escapeControl(entry.hint)}` : '');
  const command = entry.outcome === 'error' ? 'error' : 'warning';
  const props = properties.map(([key, value]) => `${key}=${escapeProperty(value)}`).join(',');
  return `::${command} ${props}::${escapeData(text)}\n`;
}

/** A command's message: `%`, CR and LF percent-encoded (GitHub decodes them back; `%` first, so it stays one). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: as a message, and `:` and `,` too, which would otherwise end the value. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
