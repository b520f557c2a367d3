import { basename, dirname } from 'node:path';
import { checkAction } from '../../actions/check.js';
import { PaiDeployError } from '../../errors.js';
import { runAction } from '../../phase/manager.js';
import { CHECK_DEFAULTS } from '../../phase/phases/check-defaults.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatCheckJson, formatCheckJunit, formatCheckText, hasFailure, hasWarning } from '../format/check-report.js';
import { formatFindings } from '../format/findings.js';

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
  format: 'text' | 'json' | 'junit';
  output?: string;
}

export async function runCheck(flags: CheckFlags, env: CommandEnv): Promise<void> {
  const action = checkAction(
    clusterSources('check', flags, env),
    {
      report: async (validation) => {
        if (!validation.valid || validation.warnings.length > 0)
          await env.io.result(formatFindings(validation, stdoutStyle(env)));
        if (!validation.valid)
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
  const style = stdoutStyle(env);
  const text =
    flags.format === 'json'
      ? formatCheckJson(report)
      : flags.format === 'junit'
        ? formatCheckJunit(report)
        : formatCheckText(report, style, flags.verbose === true);
  if (flags.output) {
    await env.ports.writeFiles(
      dirname(flags.output),
      [{ path: basename(flags.output), content: text, mode: 0o644, description: 'check report' }],
      env.signal,
    );
    env.io.notify({ level: 'info', code: 'check.report-written', text: `report written to ${flags.output}` });
    if (flags.format !== 'text') await env.io.result(formatCheckText(report, style));
  } else {
    await env.io.result(text);
  }
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
