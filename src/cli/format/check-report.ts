import { escapeControl } from '../io/escape.js';
import type { Palette as Style } from '../io/style.js';
import type { CheckReport } from '../../checks/run-checks.js';
import type { CheckResult } from '../../checks/types.js';
import { checkCiReport, type CheckReportSources } from './ci-report.js';
import { formatJunit } from './junit.js';

const LABEL: Record<CheckResult['status'], string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** A table per machine (pass / warn / fail with observed values) and a summary, for people. */
export function formatCheckText(report: CheckReport, style: Style, verbose = false): string {
  const lines: string[] = [];
  const colour = (status: CheckResult['status'], text: string) =>
    status === 'fail'
      ? style.red(text)
      : status === 'warn'
        ? style.yellow(text)
        : status === 'pass'
          ? style.green(text)
          : style.dim(text);
  const table = (title: string, checks: CheckResult[]) => {
    lines.push(style.bold(title));
    const width = Math.max(...checks.map((check) => check.id.length), 10);
    for (const check of checks) {
      if (check.status === 'skip' && !verbose) continue;
      const detail =
        check.status === 'pass'
          ? check.observed
          : check.status === 'skip'
            ? check.message
            : `${check.message}${check.observed && !check.message.includes(check.observed) ? ` [${check.observed}]` : ''}`;
      // Observed values come from the machines (command output): escaped, never written raw to a terminal.
      lines.push(`  ${colour(check.status, LABEL[check.status])}  ${check.id.padEnd(width)}  ${escapeControl(detail)}`);
      if ((check.status === 'fail' || check.status === 'warn') && check.hint)
        lines.push(`        ${' '.repeat(width)}${style.dim('hint:')} ${check.hint}`);
    }
    const skipped = checks.filter((check) => check.status === 'skip').length;
    if (skipped > 0 && !verbose) lines.push(style.dim(`  (${skipped} skipped)`));
    lines.push('');
  };
  for (const machine of report.machines)
    table(
      `${escapeControl(machine.hostname)} (${machine.ip}, ${machine.roles.join(', ') || 'no role'})${machine.reachable ? '' : ' UNREACHABLE'}`,
      machine.checks,
    );
  if (report.cluster.checks.length > 0) table('cluster', report.cluster.checks);
  if (report.devbox.checks.length > 0) table('dev-box', report.devbox.checks);
  const s = report.summary;
  const counts = `${s.machines} machines: ${s.passed} passed, ${s.warnings} with warnings, ${s.failed} failed, ${s.unreachable} unreachable`;
  lines.push(s.failed + s.unreachable > 0 || hasFailure(report) ? style.red(counts) : style.green(counts));
  return lines.join('\n') + '\n';
}

export function formatCheckJson(report: CheckReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** JUnit XML: a testsuite per machine (and cluster, dev-box), a testcase per check, for CI dashboards. */
export function formatCheckJunit(report: CheckReport, sources: CheckReportSources = {}): string {
  return formatJunit(checkCiReport(report, sources));
}

export function hasFailure(report: CheckReport): boolean {
  return [
    ...report.machines.flatMap((machine) => machine.checks),
    ...report.cluster.checks,
    ...report.devbox.checks,
  ].some((check) => check.status === 'fail');
}

export function hasWarning(report: CheckReport): boolean {
  return [
    ...report.machines.flatMap((machine) => machine.checks),
    ...report.cluster.checks,
    ...report.devbox.checks,
  ].some((check) => check.status === 'warn');
}
