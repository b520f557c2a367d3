import { computeEffectiveVars } from '../../kubespray/effective-vars.js';
import type { ClusterSpec } from '../../model/cluster.js';
import { runAction } from '../../phase/manager.js';
import type { Action } from '../../phase/phase.js';
import { installKeyPhase, type InstallKeyData, type KeyInstallResult } from '../../phase/phases/install-key.js';
import type { IoHost } from '../../ports/io-host.js';
import type { Ports } from '../../ports/ports.js';
import type { CandidatePaths } from './check-answers.js';

export interface SetupKeysRequest {
  /** The cluster as the answers describe it (not yet written): its machines, user, port and password. */
  spec: ClusterSpec;
  paths: CandidatePaths;
  /** The public key to install (the private key's `.pub`). */
  publicKeyFile: string;
  /** The machines that took only the password. */
  hostnames: readonly string[];
  workDir: string | undefined;
  env: NodeJS.ProcessEnv;
  io: IoHost;
  ports: Ports;
  signal: AbortSignal;
}

/**
 * `pai-deploy ssh setup-keys` for the machines that took only the password, before any file is written: the same
 * install-key phase (src/actions/ssh-setup-keys.ts), given the cluster the answers describe instead of reading it from
 * files. It logs in with the password from memory and feeds the key on the command's stdin; the work dir records the
 * run and the host keys like the command does.
 */
export async function setupKeys(request: SetupKeysRequest): Promise<KeyInstallResult[]> {
  const { spec } = request;
  const action: Action<InstallKeyData> = {
    name: 'ssh setup-keys',
    data: {
      sources: { layout: { kind: 'yaml', path: request.paths.layoutPath }, configPath: request.paths.configPath },
      cluster: { spec, vars: computeEffectiveVars(spec.config) },
    },
    phases: [
      installKeyPhase({
        publicKeyFile: request.publicKeyFile,
        limit: [...request.hostnames],
        workDirOverride: request.workDir,
        knownHostsFile: undefined,
        acceptNewHostKeys: false,
        concurrency: 20,
        env: request.env,
      }),
    ],
  };
  await runAction(action, { io: request.io, ports: request.ports, signal: request.signal, dryRun: false });
  return action.data.keyResults ?? [];
}
