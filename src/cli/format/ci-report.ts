import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckReport } from '../../checks/run-checks.js';
import type { CheckResult } from '../../checks/types.js';
import type { Finding, FindingSummary, SourceLocation } from '../../findings/finding.js';

/**
 * What the CI formats (GitHub workflow commands, SARIF, JUnit) have in common: a flat list of outcomes, each with a
 * stable code and, where the input says so, a file:line:col. validate's findings and check's results are both turned
 * into this, so each CI format is written once for both commands.
 */
export interface CiEntry {
  /** The stable code scripts match on: a finding's code or a check id. */
  code: string;
  outcome: 'error' | 'warning' | 'pass' | 'skip';
  /** What the entry is grouped under (a JUnit testsuite): the input file, the machine, `cluster`, `dev-box`. */
  group: string;
  /** The name of the entry within its group (a JUnit testcase). */
  name: string;
  /** Who the message is about when the message does not say it itself (a check's machine). */
  subject?: string;
  message: string;
  hint: string;
  /** What a check saw on the machine (command output, shortened by the evaluator). */
  observed?: string;
  /** Where in the inputs; line 0 means the file as a whole. */
  location?: SourceLocation;
}

/** A code's description, once per report (SARIF's rules). */
export interface CiRule {
  id: string;
  title: string;
  hint: string;
  level: 'error' | 'warning';
}

export interface CiReport {
  command: 'validate' | 'check';
  entries: CiEntry[];
  rules: CiRule[];
}

export interface FindingsReportOptions {
  /** Every input file, so a file without findings still shows up as passed (JUnit). */
  inputs?: readonly string[];
  /** --strict: warnings fail the command, so they fail their JUnit testcase too. */
  strict?: boolean;
}

/** validate's findings in file and position order, and a passed entry for each input file without one. */
export function findingsCiReport(summary: FindingSummary, options: FindingsReportOptions = {}): CiReport {
  const findings = sortedFindings(summary);
  const entries = findings.map((finding) => findingEntry(finding, options.strict === true));
  const seen = new Set(findings.map((finding) => finding.file));
  for (const input of options.inputs ?? []) {
    if (seen.has(input)) continue;
    seen.add(input);
    entries.push({ code: 'valid', outcome: 'pass', group: input, name: 'valid', message: 'no findings', hint: '' });
  }
  return { command: 'validate', entries, rules: findingRules(findings) };
}

/**
 * Where a machine of the layout is written (its machine-list entry), so a check result that has no file of its
 * own can still be shown on the layout line of the machine it is about.
 */
export type MachineLocator = (hostname: string) => SourceLocation | undefined;

export interface CheckReportSources {
  locateMachine?: MachineLocator;
  /** The checks' titles and hints by id (requirement-checks/checks.yaml), for SARIF's rules. */
  catalog?: ReadonlyArray<{ id: string; title: string; hint: string; severity: 'error' | 'warning' }>;
  /** Findings of the validation that ran first (warnings of a valid input), reported with the checks. */
  findings?: FindingSummary;
}

/** check's results: one entry per check and machine (then cluster, dev-box), after the validation's findings. */
export function checkCiReport(report: CheckReport, sources: CheckReportSources = {}): CiReport {
  const findings = sources.findings ? sortedFindings(sources.findings) : [];
  const entries = findings.map((finding) => findingEntry(finding, false));
  const rules = findingRules(findings);
  const catalog = new Map((sources.catalog ?? []).map((spec) => [spec.id, spec]));
  const ruleIds = new Set<string>();
  const add = (group: string, subject: string | undefined, checks: CheckResult[], location?: SourceLocation) => {
    for (const check of checks) {
      entries.push({
        code: check.id,
        outcome: OUTCOME[check.status],
        group,
        name: check.id,
        ...(subject !== undefined && { subject }),
        message: check.message,
        hint: check.hint,
        observed: check.observed,
        ...(location && { location }),
      });
      if ((check.status === 'fail' || check.status === 'warn') && !ruleIds.has(check.id)) {
        ruleIds.add(check.id);
        const spec = catalog.get(check.id);
        rules.push({
          id: check.id,
          title: spec?.title ?? check.id,
          hint: spec?.hint ?? check.hint,
          level: spec?.severity ?? (check.status === 'fail' ? 'error' : 'warning'),
        });
      }
    }
  };
  for (const machine of report.machines)
    add(machine.hostname, machine.hostname, machine.checks, sources.locateMachine?.(machine.hostname));
  add('cluster', undefined, report.cluster.checks);
  add('dev-box', 'dev-box', report.devbox.checks);
  return { command: 'check', entries, rules };
}

const OUTCOME: Record<CheckResult['status'], CiEntry['outcome']> = {
  pass: 'pass',
  warn: 'warning',
  fail: 'error',
  skip: 'skip',
};

function sortedFindings(summary: FindingSummary): Finding[] {
  return [...summary.errors, ...summary.warnings].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column,
  );
}

function findingEntry(finding: Finding, strict: boolean): CiEntry {
  return {
    code: finding.code,
    outcome: finding.severity === 'error' || strict ? 'error' : 'warning',
    group: finding.file,
    name: finding.path ? `${finding.code} ${finding.path}` : finding.code,
    message: finding.message,
    hint: finding.hint,
    location: { file: finding.file, line: finding.line, column: finding.column },
  };
}

/** A rule per finding code; a code's hint is the same wherever it is found, so the first one stands for all. */
function findingRules(findings: readonly Finding[]): CiRule[] {
  const rules = new Map<string, CiRule>();
  for (const finding of findings) {
    const known = rules.get(finding.code);
    if (known) {
      if (finding.severity === 'error') known.level = 'error';
      continue;
    }
    rules.set(finding.code, {
      id: finding.code,
      title: finding.code.replace(/-/g, ' '),
      hint: finding.hint,
      level: finding.severity,
    });
  }
  return [...rules.values()];
}

/** An entry as one sentence: the machine it is about, the message, and what was observed when it says more. */
export function entrySentence(entry: CiEntry): string {
  const subject = entry.subject !== undefined ? `${entry.subject}: ` : '';
  const observed = entry.observed && !entry.message.includes(entry.observed) ? ` [${entry.observed}]` : '';
  return `${subject}${entry.message}${observed}`;
}

/**
 * A file as CI systems name it: relative to the working directory (the checkout's root in a pipeline, which is
 * what GitHub's annotations and code scanning resolve paths against), with `/` separators. A file outside the
 * working directory keeps its absolute path, since a `../` path would point into some other checkout.
 */
export function ciPath(file: string, cwd: string): { relative: boolean; path: string } {
  const absolute = resolve(cwd, file);
  const rel = relative(cwd, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    return { relative: false, path: absolute };
  return { relative: true, path: rel.split(sep).join('/') };
}

/** The same as a URI reference (SARIF's artifactLocation.uri): relative and percent-encoded, or a file: URI. */
export function ciUri(file: string, cwd: string): { relative: boolean; uri: string } {
  const place = ciPath(file, cwd);
  if (!place.relative) return { relative: false, uri: pathToFileURL(place.path).href };
  return { relative: true, uri: place.path.split('/').map(encodeURIComponent).join('/') };
}
