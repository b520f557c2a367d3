import { validateAction } from '../../actions/validate.js';
import type { FindingSummary } from '../../findings/finding.js';
import { runAction } from '../../phase/manager.js';
import type { ClusterSources } from '../../phase/phases/validate.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { findingsCiReport } from '../format/ci-report.js';
import { findingsJson, findingsVerdict, formatFindings } from '../format/findings.js';
import { formatGithub } from '../format/github.js';
import { formatJunit } from '../format/junit.js';
import { writeReport } from '../format/report-file.js';
import { formatSarif } from '../format/sarif.js';
import { toolVersion } from '../tool-version.js';

export interface ValidateFlags extends ClusterInputFlags {
  format: 'text' | 'json' | 'github' | 'junit' | 'sarif';
  output?: string;
  strict?: boolean;
}

export async function runValidate(flags: ValidateFlags, env: CommandEnv): Promise<void> {
  const sources = clusterSources('validate', flags, env);
  const action = validateAction(sources, {
    strict: flags.strict === true,
    report: async (validation) => {
      const report = formatValidation(validation, flags, sources, env);
      if (flags.output === undefined) return env.io.result(report);
      await writeReport(env, flags.output, report, { command: 'validate', description: 'validation report' });
      // The file is for the CI system; the job's log still says what was found.
      if (flags.format !== 'text') await env.io.result(formatFindings(validation, stdoutStyle(env)));
    },
  });
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: false });
}

function formatValidation(
  validation: FindingSummary,
  flags: ValidateFlags,
  sources: ClusterSources,
  env: CommandEnv,
): string {
  const ci = () =>
    findingsCiReport(validation, {
      inputs: [
        ...(sources.layout.kind === 'yaml'
          ? [sources.layout.path]
          : [sources.layout.masterPath, sources.layout.workerPath]),
        sources.configPath,
      ],
      strict: flags.strict === true,
    });
  switch (flags.format) {
    case 'text':
      return formatFindings(validation, stdoutStyle(env));
    case 'json':
      return findingsJson(validation);
    case 'github':
      // Annotations for the findings; the verdict stays a plain line of the step's log.
      return formatGithub(ci(), env.cwd) + findingsVerdict(validation, stdoutStyle(env)) + '\n';
    case 'junit':
      return formatJunit(ci());
    case 'sarif':
      return formatSarif(ci(), { version: toolVersion(), cwd: env.cwd });
  }
}
