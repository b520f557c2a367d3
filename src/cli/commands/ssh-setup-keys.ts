import { readFile } from 'node:fs/promises';
import { connectMachine, runLimited } from '../../checks/inspect-machine.js';
import { machineTargets, sshCredentials } from '../../checks/run-checks.js';
import type { MachineFacts } from '../../checks/types.js';
import { describeSystemError, ExitCode, UsageError } from '../../errors.js';
import { fingerprint, KnownHosts } from '../../infra/ssh/known-hosts.js';
import { validateCluster } from '../../rules/validate-cluster.js';
import { workDirFor } from '../../model/work-dir.js';
import { formatOption, optionalString, parseCommandArgs, positiveInt } from '../args.js';
import { clusterInputOptions, configPathFrom, layoutInputFrom } from '../cluster-options.js';
import type { CommandContext } from '../context.js';
import { formatFindings } from '../output.js';

/** Reads the key on stdin so no quoting can break it, and appends it only when missing. */
const INSTALL_KEY = `umask 077; mkdir -p "$HOME/.ssh" && touch "$HOME/.ssh/authorized_keys" && key=$(cat) && if grep -qxF "$key" "$HOME/.ssh/authorized_keys"; then echo present; else printf '%s\\n' "$key" >> "$HOME/.ssh/authorized_keys" && echo installed; fi`;

export async function runSshSetupKeys(argv: readonly string[], context: CommandContext): Promise<number> {
  const command = 'ssh setup-keys';
  const parsed = parseCommandArgs(command, argv, {
    ...clusterInputOptions,
    'public-key': { type: 'string' },
    'work-dir': { type: 'string' },
    'known-hosts': { type: 'string' },
    'accept-new-host-keys': { type: 'boolean' },
    concurrency: { type: 'string' },
  });
  const format = formatOption(parsed, command, ['text', 'json']);
  const validation = await validateCluster(layoutInputFrom(parsed, command), configPathFrom(parsed, command));
  if (!validation.valid || !validation.input) {
    context.stderr.write(formatFindings(validation, context.style));
    return ExitCode.usage;
  }
  const input = validation.input;
  if (input.config.ssh.password === undefined) throw new UsageError(`${command}: config.yaml has no password to log in with`, 'Set password in config.yaml for this one run.');
  const keyFile = optionalString(parsed, 'public-key') ?? (input.config.ssh.keyFile ? `${input.config.ssh.keyFile.path}.pub` : undefined);
  if (!keyFile) throw new UsageError(`${command}: no public key: give --public-key or set ssh_key_file_path in config.yaml`);
  let publicKey: string;
  try {
    publicKey = (await readFile(keyFile, 'utf8')).trim();
  } catch (error) {
    throw new UsageError(`${command}: cannot read ${keyFile}: ${describeSystemError(error)}`, 'Create the key pair with ssh-keygen -t ed25519, or give --public-key.');
  }
  if (!/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+|sk-\S+) \S+/.test(publicKey) || publicKey.includes('\n')) {
    throw new UsageError(`${command}: ${keyFile} is not a single OpenSSH public key line`);
  }
  const clusterId = input.config.clusterId;
  const knownHostsFile = optionalString(parsed, 'known-hosts');
  const knownHosts = await KnownHosts.open(knownHostsFile ?? workDirFor(clusterId, optionalString(parsed, 'work-dir'), context.env).knownHosts);
  // The key is tried first: a machine that already accepts it just reports the key as present.
  const credentials = await sshCredentials(input, { sshAgent: context.env['SSH_AUTH_SOCK'] || undefined, passphrase: context.env['PAI_DEPLOY_SSH_PASSPHRASE'] || undefined });
  const port = input.config.ssh.port;
  const results: Array<{ hostname: string; ip: string; status: 'installed' | 'present' | 'failed'; message: string }> = [];
  await runLimited(machineTargets(input), positiveInt(parsed, 'concurrency', command, 20), async (target) => {
    const machine: MachineFacts = { connected: false, sudo: 'none', facts: new Map() };
    const session = await connectMachine(target, machine, {
      port,
      credentials,
      knownHosts,
      acceptNewHostKeys: knownHostsFile === undefined || parsed.values['accept-new-host-keys'] === true,
      connectTimeoutMs: 10_000,
      connectAttempts: 2,
      retryDelayMs: 1000,
      onHostKeyRecorded: (name, key) => context.stderr.write(`${target.hostname}: first contact, recorded host key of ${name}: ${key.type} ${fingerprint(key.blob)}\n`),
    });
    if (!session) {
      const message = machine.hostKey?.status === 'mismatch' ? `host key changed (${machine.hostKey.fingerprint}, expected ${machine.hostKey.expected ?? '?'})` : machine.connectFailure?.message ?? 'not connected';
      results.push({ hostname: target.hostname, ip: target.ip, status: 'failed', message });
      return;
    }
    try {
      const result = await session.exec(INSTALL_KEY, { stdin: `${publicKey}\n`, timeoutMs: 30_000 });
      const outcome = result.stdout.trim();
      if (result.exitCode === 0 && (outcome === 'installed' || outcome === 'present')) {
        results.push({ hostname: target.hostname, ip: target.ip, status: outcome, message: outcome === 'installed' ? 'key added to ~/.ssh/authorized_keys' : 'key already in ~/.ssh/authorized_keys' });
      } else {
        results.push({ hostname: target.hostname, ip: target.ip, status: 'failed', message: result.stderr.trim() || `exit code ${String(result.exitCode)}` });
      }
    } finally {
      session.close();
    }
  });
  const order = new Map(input.layout.machines.map((machine, index) => [machine.hostname, index]));
  results.sort((a, b) => (order.get(a.hostname) ?? 0) - (order.get(b.hostname) ?? 0));
  if (format === 'json') context.stdout.write(JSON.stringify({ publicKey: keyFile, machines: results }, null, 2) + '\n');
  else for (const result of results) context.stdout.write(`${result.hostname} (${result.ip}): ${result.status}: ${result.message}\n`);
  return results.some((result) => result.status === 'failed') ? ExitCode.failed : ExitCode.ok;
}
