import { readFile } from 'node:fs/promises';
import { runLimited } from '../../checks/inspect-machine.js';
import { machineTargets } from '../../checks/run-checks.js';
import type { MachineTarget } from '../../checks/types.js';
import { describeSystemError, UsageError } from '../../errors.js';
import { selectByLimit } from '../../model/limit.js';
import { workDirFor } from '../../model/work-dir.js';
import type { Phase } from '../phase.js';
import { openClusterHosts } from './cluster-hosts.js';
import { requireCluster, type ValidateData } from './validate.js';

/** Reads the key on stdin so no quoting can break it, and appends it only when missing. */
const INSTALL_KEY = `umask 077; mkdir -p "$HOME/.ssh" && touch "$HOME/.ssh/authorized_keys" && key=$(cat) && if grep -qxF "$key" "$HOME/.ssh/authorized_keys"; then echo present; else printf '%s\\n' "$key" >> "$HOME/.ssh/authorized_keys" && echo installed; fi`;

export interface KeyInstallResult {
  hostname: string;
  ip: string;
  status: 'installed' | 'present' | 'failed' | 'planned';
  message: string;
}

export interface InstallKeyData extends ValidateData {
  publicKeyFile?: string;
  keyResults?: KeyInstallResult[];
}

export interface InstallKeyOptions {
  publicKeyFile: string | undefined;
  limit: string[] | undefined;
  workDirOverride: string | undefined;
  knownHostsFile: string | undefined;
  acceptNewHostKeys: boolean;
  concurrency: number;
  env: NodeJS.ProcessEnv;
}

/** Logs in with config.yaml's password and appends the dev-box's public key to each machine's authorized_keys. */
export function installKeyPhase<D extends InstallKeyData>(options: InstallKeyOptions): Phase<D> {
  let targets: MachineTarget[] = [];
  return {
    id: 'install-key',
    title: "Install the dev-box's public key on every machine",
    async prepare(ctx) {
      targets = selectByLimit(machineTargets(requireCluster(ctx.data).spec), options.limit);
    },
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      if (spec.config.ssh.password === undefined) {
        throw new UsageError(
          'ssh setup-keys: config.yaml has no password to log in with',
          'Set password in config.yaml for this one run.',
        );
      }
      const keyFile =
        options.publicKeyFile ?? (spec.config.ssh.keyFile ? `${spec.config.ssh.keyFile.path}.pub` : undefined);
      if (!keyFile)
        throw new UsageError(
          'ssh setup-keys: no public key: give --public-key or set ssh_key_file_path in config.yaml',
        );
      const publicKey = await readPublicKey(keyFile);
      ctx.data.publicKeyFile = keyFile;
      const workDir = workDirFor(spec.config.clusterId, options.workDirOverride, options.env);
      await ctx.useWorkDir(workDir);
      const results: KeyInstallResult[] = [];
      ctx.data.keyResults = results;
      if (ctx.dryRun) {
        for (const target of targets) {
          await ctx.wet(
            target.hostname,
            `log in as ${spec.config.ssh.user} with the password and append ${keyFile} to ~/.ssh/authorized_keys`,
            async () => undefined,
          );
          results.push({
            hostname: target.hostname,
            ip: target.ip,
            status: 'planned',
            message: 'dry run: nothing changed',
          });
        }
        return;
      }
      // The key is tried first: a machine that already accepts it just reports the key as present.
      const hosts = await openClusterHosts(ctx, 'install-key', spec, workDir, {
        knownHostsFile: options.knownHostsFile,
        acceptNewHostKeys: options.acceptNewHostKeys,
        connectTimeoutMs: 10_000,
        connectAttempts: 2,
        retryDelayMs: 1000,
        env: options.env,
      });
      await runLimited(targets, options.concurrency, ctx.signal, async (target) => {
        const span = ctx.io.span(target.hostname, { phase: 'install-key', host: target.hostname });
        const result = await installOn(target);
        results.push(result);
        span.end(result.status === 'failed' ? 'failed' : 'ok', `${result.status}: ${result.message}`);
      });
      ctx.signal.throwIfAborted();
      const order = new Map(targets.map((target, index) => [target.hostname, index]));
      results.sort((a, b) => (order.get(a.hostname) ?? 0) - (order.get(b.hostname) ?? 0));
      ctx.setOutputs({
        installed: results.filter((r) => r.status === 'installed').length,
        failed: results.filter((r) => r.status === 'failed').length,
      });

      async function installOn(target: MachineTarget): Promise<KeyInstallResult> {
        const connected = await hosts.connect(target, { signal: ctx.signal });
        if (!connected.ok) {
          const message =
            connected.hostKey?.status === 'mismatch'
              ? `host key changed (${connected.hostKey.fingerprint}, expected ${connected.hostKey.expected ?? '?'})`
              : connected.failure.message;
          return { hostname: target.hostname, ip: target.ip, status: 'failed', message };
        }
        const session = connected.session;
        try {
          const outcome = await ctx.wet(target.hostname, `append ${keyFile} to ~/.ssh/authorized_keys`, () =>
            session.exec(INSTALL_KEY, { stdin: `${publicKey}\n`, timeoutMs: 30_000, signal: ctx.signal }),
          );
          const said = outcome?.stdout.trim();
          if (outcome && outcome.exitCode === 0 && (said === 'installed' || said === 'present')) {
            return {
              hostname: target.hostname,
              ip: target.ip,
              status: said,
              message:
                said === 'installed' ? 'key added to ~/.ssh/authorized_keys' : 'key already in ~/.ssh/authorized_keys',
            };
          }
          return {
            hostname: target.hostname,
            ip: target.ip,
            status: 'failed',
            message: outcome?.stderr.trim() || `exit code ${String(outcome?.exitCode)}`,
          };
        } finally {
          session.close();
        }
      }
    },
  };
}

async function readPublicKey(keyFile: string): Promise<string> {
  let publicKey: string;
  try {
    publicKey = (await readFile(keyFile, 'utf8')).trim();
  } catch (error) {
    throw new UsageError(
      `ssh setup-keys: cannot read ${keyFile}: ${describeSystemError(error)}`,
      'Create the key pair with ssh-keygen -t ed25519, or give --public-key.',
    );
  }
  if (!/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+|sk-\S+) \S+/.test(publicKey) || publicKey.includes('\n')) {
    throw new UsageError(`ssh setup-keys: ${keyFile} is not a single OpenSSH public key line`);
  }
  return publicKey;
}
