import { describeSystemError, PaiDeployError } from '../../errors.js';
import type {
  ConnectResult,
  HostKeyVerdict,
  RemoteHosts,
  RemoteHostsOptions,
  RemoteTarget,
} from '../../ports/ports.js';
import { fingerprint, KnownHosts, knownHostsName, type HostKey } from './known-hosts.js';
import { SshConnectError, SshSession } from './ssh-session.js';

/**
 * The RemoteHosts port over ssh2: one known_hosts file shared by every connection (trust on first use when allowed),
 * connects retried with back-off while a machine may still be booting, never after a host-key or authentication
 * failure (retrying those only locks accounts or hides an attack).
 */
export async function openRemoteHosts(options: RemoteHostsOptions): Promise<RemoteHosts> {
  let knownHosts: KnownHosts;
  try {
    knownHosts = await KnownHosts.open(options.knownHostsPath);
  } catch (error) {
    throw new PaiDeployError(`cannot read ${options.knownHostsPath}: ${describeSystemError(error)}`, {
      hint: 'Make the known_hosts file readable, or give another one with --known-hosts.',
      cause: error,
    });
  }
  return { connect: (target, run) => connect(target, options, knownHosts, run.signal, run.onProgress) };
}

async function connect(
  target: RemoteTarget,
  options: RemoteHostsOptions,
  knownHosts: KnownHosts,
  signal: AbortSignal,
  onProgress: ((text: string) => void) | undefined,
): Promise<ConnectResult> {
  const name = knownHostsName(target.ip, options.login.port);
  let hostKey: HostKeyVerdict | undefined;
  let recordFailure: string | undefined;
  const verifyHostKey = async (key: HostKey): Promise<boolean> => {
    const result = knownHosts.verify(name, key);
    const print = fingerprint(key.blob);
    if (result.status === 'known') {
      hostKey = { keyType: key.type, fingerprint: print, status: 'known' };
      return true;
    }
    if (result.status === 'mismatch') {
      hostKey = { keyType: key.type, fingerprint: print, status: 'mismatch', expected: result.expectedFingerprint };
      return false;
    }
    if (!options.acceptNewHostKeys) {
      hostKey = { keyType: key.type, fingerprint: print, status: 'unknown' };
      return false;
    }
    try {
      await knownHosts.record(name, key);
    } catch (error) {
      // A key we cannot remember is a key we cannot check next time: refuse rather than trust it silently.
      recordFailure = `cannot record the host key in ${options.knownHostsPath}: ${describeSystemError(error)}`;
      return false;
    }
    hostKey = { keyType: key.type, fingerprint: print, status: 'recorded' };
    options.onHostKeyRecorded?.(target, hostKey);
    return true;
  };
  const started = Date.now();
  let failure: { kind: SshConnectError['kind']; message: string } = { kind: 'error', message: 'not attempted' };
  let attempts = 0;
  while (attempts < options.connectAttempts && !signal.aborted) {
    attempts++;
    onProgress?.(attempts === 1 ? 'connecting' : `connecting (attempt ${attempts})`);
    try {
      const session = await SshSession.connect({
        host: target.ip,
        login: options.login,
        readyTimeoutMs: options.connectTimeoutMs,
        keepaliveIntervalMs: 5000,
        verifyHostKey,
        signal,
      });
      return { ok: true, session, hostKey, attempts, millis: Date.now() - started };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const classified = error instanceof SshConnectError ? error : new SshConnectError('error', String(error));
      if (recordFailure !== undefined)
        return { ok: false, failure: { kind: 'error', message: recordFailure }, hostKey, attempts };
      const kind =
        hostKey?.status === 'mismatch'
          ? 'host-key-mismatch'
          : hostKey?.status === 'unknown'
            ? 'host-key-unknown'
            : classified.kind;
      failure = { kind, message: classified.message };
      if (kind === 'host-key-mismatch' || kind === 'host-key-unknown' || kind === 'auth') break;
      if (attempts < options.connectAttempts) await delay(options.retryDelayMs * 2 ** (attempts - 1), signal);
    }
  }
  if (signal.aborted) throw signal.reason;
  return { ok: false, failure, hostKey, attempts };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
