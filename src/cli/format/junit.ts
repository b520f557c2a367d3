import type { CiEntry, CiReport } from './ci-report.js';

/**
 * JUnit XML, the one report format every CI system displays (GitLab's `artifacts:reports:junit`, Jenkins, Azure
 * Pipelines, GitHub through a reporter action): a testsuite per group (an input file, a machine, `cluster`,
 * `dev-box`), a testcase per finding or check. A failed check or an error is a `<failure>`, a skipped check a
 * `<skipped>` with its reason, a warning passes with its text in `<system-out>` (JUnit has no warning state, and a
 * warning must not turn a CI page red unless --strict made it an error).
 *
 * Written here rather than with junit-report-builder: its `skipped()` takes no message, and the reason a check was
 * skipped (no GPU in the layout, --skip) is what the reader of a skipped testcase wants to see.
 */
export function formatJunit(report: CiReport): string {
  const suites = new Map<string, CiEntry[]>();
  for (const entry of report.entries) {
    const suite = suites.get(entry.group);
    if (suite) suite.push(entry);
    else suites.set(entry.group, [entry]);
  }
  const count = (entries: readonly CiEntry[], outcome: CiEntry['outcome']) =>
    entries.filter((entry) => entry.outcome === outcome).length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="pai-deploy ${report.command}" tests="${report.entries.length}" failures="${count(report.entries, 'error')}">`,
  );
  for (const [name, entries] of suites) {
    out.push(
      `  <testsuite name="${xml(name)}" tests="${entries.length}" failures="${count(entries, 'error')}" skipped="${count(entries, 'skip')}">`,
    );
    for (const entry of entries) out.push(...testcase(entry));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function testcase(entry: CiEntry): string[] {
  // A testcase names its file when its suite is that file (a finding); a check's machine is not a file, even when
  // other formats show its result on the machine's layout line.
  const file = entry.location && entry.location.file === entry.group ? ` file="${xml(entry.location.file)}"` : '';
  const open = `    <testcase classname="${xml(entry.group)}" name="${xml(entry.name)}"${file}`;
  const body = [
    entry.observed !== undefined
      ? `observed: ${entry.observed}`
      : entry.location && entry.location.line > 0
        ? `at ${entry.location.file}:${entry.location.line}:${entry.location.column}`
        : undefined,
    entry.hint ? `hint: ${entry.hint}` : undefined,
  ]
    .filter((line) => line !== undefined)
    .join('\n');
  switch (entry.outcome) {
    case 'pass':
      return [`${open}/>`];
    case 'skip':
      return [`${open}>`, `      <skipped message="${xml(entry.message)}"/>`, '    </testcase>'];
    case 'error':
      return [
        `${open}>`,
        `      <failure message="${xml(entry.message)}" type="${xml(entry.code)}">${xml(body)}</failure>`,
        '    </testcase>',
      ];
    case 'warning':
      return [
        `${open}>`,
        `      <system-out>${xml(`warning: ${entry.message}\n${body}`)}</system-out>`,
        '    </testcase>',
      ];
  }
}

function xml(text: string): string {
  return (
    text
      // XML 1.0 cannot carry these control characters at all, not even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}
