import { buildPlan } from '../../actions/cluster-plan.js';
import { deployAction } from '../../actions/deploy.js';
import { FindingsError } from '../../errors.js';
import type { FindingSummary } from '../../findings/finding.js';
import { workDirFor } from '../../model/work-dir.js';
import { runAction } from '../../phase/manager.js';
import { defaultCheckPhaseOptions } from '../../phase/phases/check.js';
import { requireCluster } from '../../phase/phases/validate.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { findingsJson, formatFindings } from '../format/findings.js';
import { formatPlan } from '../format/plan.js';

export interface PlanFlags extends ClusterInputFlags {
  workDir?: string;
  format: 'text' | 'json';
  limit?: string[];
}

/** The deploy action's dry run: every phase runs its real code with side effects turned into descriptions. */
export async function runPlan(flags: PlanFlags, env: CommandEnv): Promise<void> {
  let findings: FindingSummary | undefined;
  const action = deployAction(
    clusterSources('plan', flags, env),
    {
      report: async (validation) => {
        findings = validation;
        if (flags.format === 'text' && (!validation.valid || validation.warnings.length > 0))
          await env.io.result(formatFindings(validation, stdoutStyle(env)));
      },
    },
    {
      workDirOverride: flags.workDir,
      env: env.env,
      cwd: env.cwd,
      check: defaultCheckPhaseOptions(env.env, flags.workDir, flags.limit),
    },
  );
  let result;
  try {
    result = await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: true });
  } catch (error) {
    if (error instanceof FindingsError && findings && flags.format === 'json')
      await env.io.result(findingsJson(findings));
    throw error;
  }
  const { spec, vars } = requireCluster(action.data);
  const workDir = workDirFor(spec.config.clusterId, flags.workDir, env.env).root;
  const plan = buildPlan(spec, vars, workDir, action.data.files ?? [], action.phases, result.dryRun, result.records);
  if (flags.format === 'json') {
    await env.io.result(JSON.stringify({ valid: true, warnings: findings?.warnings ?? [], plan }, null, 2) + '\n');
  } else {
    await env.io.result(formatPlan(plan, stdoutStyle(env)));
  }
}
