import { checkAction } from '../../actions/check.js';
import type { CheckReport } from '../../checks/run-checks.js';
import { checkCatalog } from '../../checks/catalog.js';
import type { FindingSummary, SourceLocation } from '../../findings/finding.js';
import type { ClusterSpec } from '../../model/cluster.js';
import { PaiDeployError } from '../../errors.js';
import { runAction } from '../../phase/manager.js';
import { CHECK_DEFAULTS } from '../../phase/phases/check-defaults.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatCheckJson, formatCheckJunit, formatCheckText, hasFailure, hasWarning } from '../format/check-report.js';
import { checkCiReport, findingsCiReport, type CheckReportSources, type MachineLocator } from '../format/ci-report.js';
import { findingsVerdict, formatFindings } from '../format/findings.js';
import { formatGithub } from '../format/github.js';
import { formatJunit } from '../format/junit.js';
import { writeReport } from '../format/report-file.js';
import { formatSarif } from '../format/sarif.js';
import { toolVersion } from '../tool-version.js';

export interface CheckFlags extends ClusterInputFlags {
  workDir?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  concurrency: number;
  connectTimeout: number;
  commandTimeout: number;
  machineTimeout: number;
  connectAttempts: number;
  maxClockOffset: number;
  only?: string[];
  skip?: string[];
  ignore?: string[];
  limit?: string[];
  strict?: boolean;
  verbose?: boolean;
  format: 'text' | 'json' | 'junit' | 'github' | 'sarif';
  output?: string;
}

/** The formats a CI system reads. */
const CI_FORMATS = ['github', 'junit', 'sarif'] as const;

export async function runCheck(flags: CheckFlags, env: CommandEnv): Promise<void> {
  const style = stdoutStyle(env);
  // github, junit and sarif are read by a CI system: their findings go into the report itself, so stdout without
  // --output stays one well-formed report (text and json show findings as validate's text, as before).
  const ciFormat = CI_FORMATS.find((format) => format === flags.format);
  let validation: FindingSummary | undefined;
  const action = checkAction(
    clusterSources('check', flags, env),
    {
      report: async (result) => {
        validation = result;
        if (!result.valid && ciFormat) {
          // The checks will not run: the report a pipeline publishes says why, finding by finding.
          await emitReport(flags, env, formatFindingsFor(ciFormat, result, env), result);
        } else if (
          (!result.valid || result.warnings.length > 0) &&
          (ciFormat === undefined || flags.output !== undefined)
        ) {
          await env.io.result(formatFindings(result, style));
        }
        if (!result.valid)
          env.io.notify({
            level: 'error',
            code: 'check.invalid-config',
            text: 'check: the configuration is invalid; fix it first (pai-deploy validate)',
          });
      },
    },
    {
      checks: {
        concurrency: flags.concurrency,
        commandTimeoutMs: flags.commandTimeout,
        machineTimeoutMs: flags.machineTimeout,
        only: flags.only ?? [],
        skip: flags.skip ?? [],
        ignore: flags.ignore ?? [],
        maxClockOffsetSeconds: flags.maxClockOffset / 1000,
      },
      limit: flags.limit,
      workDirOverride: flags.workDir,
      knownHostsFile: flags.knownHosts,
      acceptNewHostKeys: flags.acceptNewHostKeys === true,
      connectTimeoutMs: flags.connectTimeout,
      connectAttempts: flags.connectAttempts,
      retryDelayMs: CHECK_DEFAULTS.retryDelayMs,
      env: env.env,
    },
  );
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: false });
  const report = action.data.report;
  if (!report) throw new Error('pai-deploy bug: the check phase left no report');
  const spec = action.data.cluster?.spec;
  const sources: CheckReportSources = {
    ...(spec && { locateMachine: machineLocator(spec) }),
    catalog: checkCatalog(),
    // A valid input's warnings travel with the checks in the CI formats (text and json showed them already).
    ...(ciFormat !== undefined && validation && { findings: validation }),
  };
  const text = formatCheckReport(flags, report, sources, env);
  await emitReport(flags, env, text, undefined, () => formatCheckText(report, style));
  const failed = report.summary.failed + report.summary.unreachable;
  if (failed > 0 || hasFailure(report)) {
    throw new PaiDeployError(`${failed} of ${report.summary.machines} machines failed the checks`, {
      hint: 'Fix what the report marks FAIL (each with a hint), or --ignore a check id you accept.',
    });
  }
  if (flags.strict === true && hasWarning(report)) {
    throw new PaiDeployError('warnings found and --strict is set', {
      hint: 'Fix what the report marks WARN, or drop --strict.',
    });
  }
}

function formatCheckReport(
  flags: CheckFlags,
  report: CheckReport,
  sources: CheckReportSources,
  env: CommandEnv,
): string {
  switch (flags.format) {
    case 'text':
      return formatCheckText(report, stdoutStyle(env), flags.verbose === true);
    case 'json':
      return formatCheckJson(report);
    case 'junit':
      return formatCheckJunit(report, sources);
    case 'github':
      // The table stays in the step's log for people; the annotations after it are what GitHub shows on the run.
      return (
        formatCheckText(report, stdoutStyle(env), flags.verbose === true) +
        formatGithub(checkCiReport(report, sources), env.cwd)
      );
    case 'sarif':
      return formatSarif(checkCiReport(report, sources), { version: toolVersion(), cwd: env.cwd });
  }
}

/** An invalid input's findings in the CI format asked for (the check report that would have been written). */
function formatFindingsFor(format: (typeof CI_FORMATS)[number], validation: FindingSummary, env: CommandEnv): string {
  const ci = { ...findingsCiReport(validation), command: 'check' as const };
  switch (format) {
    case 'github':
      return formatGithub(ci, env.cwd) + findingsVerdict(validation, stdoutStyle(env)) + '\n';
    case 'junit':
      return formatJunit(ci);
    case 'sarif':
      return formatSarif(ci, { version: toolVersion(), cwd: env.cwd });
  }
}

/** The report to stdout, or to --output's file with the text for people on stdout. */
async function emitReport(
  flags: CheckFlags,
  env: CommandEnv,
  report: string,
  findings: FindingSummary | undefined,
  summary?: () => string,
): Promise<void> {
  if (flags.output === undefined) return env.io.result(report);
  await writeReport(env, flags.output, report, { command: 'check', description: 'check report' });
  if (flags.format === 'text') return;
  if (findings) await env.io.result(formatFindings(findings, stdoutStyle(env)));
  else if (summary) await env.io.result(summary());
}

/** Each machine's place in the layout: the line of its hostname, where check results without a file are shown. */
function machineLocator(spec: ClusterSpec): MachineLocator {
  const lines = new Map<string, SourceLocation>();
  for (const machine of spec.layout.machines) {
    if (lines.has(machine.hostname)) continue;
    lines.set(machine.hostname, spec.layoutSource.locate(['machine-list', machine.index, 'hostname'], 'value'));
  }
  return (hostname) => lines.get(hostname);
}
