import { escapeControl } from '../io/escape.js';
import type { Palette as Style } from '../io/style.js';
import type { CheckReport, MachineReport } from '../../checks/run-checks.js';
import type { CheckResult } from '../../checks/types.js';

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
export function formatCheckJunit(report: CheckReport): string {
  const suites: Array<{ name: string; checks: CheckResult[] }> = [
    ...report.machines.map((machine: MachineReport) => ({ name: machine.hostname, checks: machine.checks })),
    { name: 'cluster', checks: report.cluster.checks },
    { name: 'dev-box', checks: report.devbox.checks },
  ].filter((suite) => suite.checks.length > 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = suites.reduce((sum, suite) => sum + suite.checks.length, 0);
  const failures = suites.reduce(
    (sum, suite) => sum + suite.checks.filter((check) => check.status === 'fail').length,
    0,
  );
  out.push(`<testsuites name="pai-deploy check" tests="${total}" failures="${failures}">`);
  for (const suite of suites) {
    const failed = suite.checks.filter((check) => check.status === 'fail').length;
    const skipped = suite.checks.filter((check) => check.status === 'skip').length;
    out.push(
      `  <testsuite name="${xml(suite.name)}" tests="${suite.checks.length}" failures="${failed}" skipped="${skipped}">`,
    );
    for (const check of suite.checks) {
      const open = `    <testcase classname="${xml(suite.name)}" name="${xml(check.id)}"`;
      if (check.status === 'pass') {
        out.push(`${open}/>`);
      } else if (check.status === 'skip') {
        out.push(`${open}>`, `      <skipped message="${xml(check.message)}"/>`, '    </testcase>');
      } else if (check.status === 'fail') {
        out.push(
          `${open}>`,
          `      <failure message="${xml(check.message)}" type="${xml(check.id)}">${xml(`observed: ${check.observed}\nhint: ${check.hint}`)}</failure>`,
          '    </testcase>',
        );
      } else {
        out.push(
          `${open}>`,
          `      <system-out>${xml(`warning: ${check.message}\nobserved: ${check.observed}\nhint: ${check.hint}`)}</system-out>`,
          '    </testcase>',
        );
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
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

function xml(text: string): string {
  return (
    text
      // XML 1.0 cannot carry these control characters at all, not even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}
