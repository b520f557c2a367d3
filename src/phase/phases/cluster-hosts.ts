import { readFile } from 'node:fs/promises';
import { describeSystemError, InputFileError } from '../../errors.js';
import type { ClusterSpec } from '../../model/cluster.js';
import type { WorkDir } from '../../model/work-dir.js';
import type { RemoteHosts, SshLogin } from '../../ports/ports.js';
import type { PhaseContext } from '../phase.js';

/** How a phase reaches the cluster's machines over SSH: host-key policy and connection limits. */
export interface HostAccess {
  /** A pre-seeded known_hosts instead of the work dir's (then unknown keys fail unless acceptNewHostKeys). */
  knownHostsFile: string | undefined;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  connectAttempts: number;
  retryDelayMs: number;
  env: NodeJS.ProcessEnv;
}

/**
 * Opens SSH to the cluster's machines for a phase: config.yaml's login (ssh-agent and a key passphrase from the
 * environment), the work dir's known_hosts trusted on first use (a pre-seeded file is strict unless told otherwise),
 * and every first-contact key announced with its fingerprint.
 */
export async function openClusterHosts<D>(
  ctx: PhaseContext<D>,
  phase: string,
  spec: ClusterSpec,
  workDir: WorkDir,
  access: HostAccess,
): Promise<RemoteHosts> {
  return ctx.ports.openHosts({
    login: await sshLogin(spec, {
      agent: access.env['SSH_AUTH_SOCK'] || undefined,
      passphrase: access.env['PAI_DEPLOY_SSH_PASSPHRASE'] || undefined,
    }),
    knownHostsPath: access.knownHostsFile ?? workDir.knownHosts,
    acceptNewHostKeys: access.knownHostsFile === undefined || access.acceptNewHostKeys,
    connectTimeoutMs: access.connectTimeoutMs,
    connectAttempts: access.connectAttempts,
    retryDelayMs: access.retryDelayMs,
    onHostKeyRecorded: (host, key) =>
      ctx.io.notify({
        level: 'info',
        code: 'ssh.host-key-recorded',
        phase,
        host: host.hostname,
        text: `first contact, recorded host key of ${host.ip}: ${key.keyType} ${key.fingerprint}`,
        data: { ip: host.ip, keyType: key.keyType, fingerprint: key.fingerprint },
      }),
  });
}

/** The SSH login from config.yaml, the private key read from disk, ssh-agent and a key passphrase from the environment. */
async function sshLogin(
  spec: ClusterSpec,
  env: { agent: string | undefined; passphrase: string | undefined },
): Promise<SshLogin> {
  const ssh = spec.config.ssh;
  const login: SshLogin = { username: ssh.user, port: ssh.port };
  if (ssh.keyFile) {
    try {
      login.privateKey = await readFile(ssh.keyFile.path);
    } catch (error) {
      throw new InputFileError(
        ssh.keyFile.path,
        describeSystemError(error),
        'Check ssh_key_file_path in config.yaml (pai-deploy validate).',
        error,
      );
    }
  }
  if (env.passphrase !== undefined) login.passphrase = env.passphrase;
  if (env.agent) login.agent = env.agent;
  if (ssh.password !== undefined) login.password = ssh.password;
  return login;
}
