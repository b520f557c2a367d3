import { sshSetupKeysAction } from '../../actions/ssh-setup-keys.js';
import { PaiDeployError } from '../../errors.js';
import { runAction } from '../../phase/manager.js';
import { escapeControl } from '../io/escape.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatFindings } from '../format/findings.js';

export interface SshSetupKeysFlags extends ClusterInputFlags {
  publicKey?: string;
  workDir?: string;
  knownHosts?: string;
  acceptNewHostKeys?: boolean;
  concurrency: number;
  limit?: string[];
  format: 'text' | 'json';
  dryRun?: boolean;
}

export async function runSshSetupKeys(flags: SshSetupKeysFlags, env: CommandEnv): Promise<void> {
  const action = sshSetupKeysAction(
    clusterSources('ssh setup-keys', flags, env),
    {
      report: async (validation) => {
        if (!validation.valid || validation.warnings.length > 0)
          await env.io.result(formatFindings(validation, stdoutStyle(env)));
      },
    },
    {
      publicKeyFile: flags.publicKey,
      limit: flags.limit,
      workDirOverride: flags.workDir,
      knownHostsFile: flags.knownHosts,
      acceptNewHostKeys: flags.acceptNewHostKeys === true,
      concurrency: flags.concurrency,
      env: env.env,
    },
  );
  await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun: flags.dryRun === true });
  const results = action.data.keyResults ?? [];
  if (flags.format === 'json') {
    await env.io.result(
      JSON.stringify(
        { publicKey: action.data.publicKeyFile, dryRun: flags.dryRun === true, machines: results },
        null,
        2,
      ) + '\n',
    );
  } else {
    await env.io.result(
      results
        .map(
          (result) =>
            `${escapeControl(result.hostname)} (${result.ip}): ${result.status}: ${escapeControl(result.message)}\n`,
        )
        .join(''),
    );
  }
  const failed = results.filter((result) => result.status === 'failed').length;
  if (failed > 0)
    throw new PaiDeployError(`the key could not be installed on ${failed} of ${results.length} machines`, {
      hint: 'See the reason on each failed line.',
    });
}
