import { validateAction } from '../../actions/validate.js';
import { runAction } from '../../phase/manager.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { findingsJson, formatFindings } from '../format/findings.js';

export interface ValidateFlags extends ClusterInputFlags {
  format: 'text' | 'json';
  strict?: boolean;
}

export async function runValidate(flags: ValidateFlags, env: CommandEnv): Promise<void> {
  const action = validateAction(clusterSources('validate', flags, env), {
    strict: flags.strict === true,
    report: (validation) =>
      env.io.result(flags.format === 'json' ? findingsJson(validation) : formatFindings(validation, stdoutStyle(env))),
  });
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: false });
}
