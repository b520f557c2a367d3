import { appliesTo, factCatalog, type FactSpec } from './catalog.js';
import { machineScript, parseFrames, parseMachineOutput } from './fact-batch.js';
import type { FactResult, MachineFacts, MachineTarget } from './types.js';
import { fingerprint, knownHostsName, type HostKey, type KnownHosts } from '../infra/ssh/known-hosts.js';
import { shellQuote, SshConnectError, SshSession, type SshCredentials } from '../infra/ssh/ssh-session.js';

export interface InspectOptions {
  port: number;
  credentials: SshCredentials;
  knownHosts: KnownHosts;
  /** Record unknown host keys (trust on first use); otherwise an unknown key fails ssh.host-key. */
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Fact ids (and built-in facts) the selected checks read; none means no remote command at all. */
  facts: ReadonlySet<string>;
  /** Connection attempts for machines that are still booting (never after a host-key or authentication failure). */
  connectAttempts: number;
  retryDelayMs: number;
  onProgress?(text: string): void;
  onHostKeyRecorded?(name: string, key: HostKey): void;
  signal?: AbortSignal;
}

export type ConnectOptions = Omit<InspectOptions, 'commandTimeoutMs' | 'facts'>;

/**
 * Opens the machine's SSH connection: host key checked against known_hosts (recorded on first contact when allowed),
 * retried with back-off while the machine may still be booting, never after a host-key or authentication failure.
 * What happened is recorded in `machine` (hostKey, connectFailure, attempts).
 */
export async function connectMachine(target: MachineTarget, machine: MachineFacts, options: ConnectOptions): Promise<SshSession | undefined> {
  const name = knownHostsName(target.ip, options.port);
  let verdict: 'known' | 'recorded' | 'mismatch' | 'unknown' | undefined;
  const verifyHostKey = (key: HostKey): boolean => {
    const result = options.knownHosts.verify(name, key);
    const print = fingerprint(key.blob);
    if (result.status === 'known') {
      verdict = 'known';
    } else if (result.status === 'mismatch') {
      verdict = 'mismatch';
      machine.hostKey = { keyType: key.type, fingerprint: print, status: 'mismatch', expected: result.expectedFingerprint };
      return false;
    } else if (options.acceptNewHostKeys) {
      verdict = 'recorded';
      void options.knownHosts.record(name, key);
      options.onHostKeyRecorded?.(name, key);
    } else {
      verdict = 'unknown';
      machine.hostKey = { keyType: key.type, fingerprint: print, status: 'unknown' };
      return false;
    }
    machine.hostKey = { keyType: key.type, fingerprint: print, status: verdict };
    return true;
  };
  const started = Date.now();
  for (let attempt = 1; attempt <= options.connectAttempts && !options.signal?.aborted; attempt++) {
    machine.attempts = attempt;
    options.onProgress?.(attempt === 1 ? 'connecting' : `connecting (attempt ${attempt})`);
    try {
      const session = await SshSession.connect({ host: target.ip, port: options.port, credentials: options.credentials, readyTimeoutMs: options.connectTimeoutMs, keepaliveIntervalMs: 5000, verifyHostKey });
      delete machine.connectFailure;
      machine.connected = true;
      machine.connectMillis = Date.now() - started;
      machine.authMethod = session.authMethod;
      return session;
    } catch (error) {
      const failure = error instanceof SshConnectError ? error : new SshConnectError('error', String(error));
      const kind = verdict === 'mismatch' ? 'host-key-mismatch' : verdict === 'unknown' ? 'host-key-unknown' : failure.kind;
      machine.connectFailure = { kind, message: failure.message };
      if (kind === 'host-key-mismatch' || kind === 'host-key-unknown' || kind === 'auth') break;
      if (attempt < options.connectAttempts) await delay(options.retryDelayMs * 2 ** (attempt - 1), options.signal);
    }
  }
  return undefined;
}

/** Connects to one machine and gathers the facts its roles and the selected checks need. Never throws: failures are facts too. */
export async function inspectMachine(target: MachineTarget, options: InspectOptions): Promise<MachineFacts> {
  const machine: MachineFacts = { connected: false, sudo: 'none', facts: new Map() };
  const session = await connectMachine(target, machine, options);
  if (!session) return machine;
  try {
    const facts = factCatalog().filter((fact) => options.facts.has(fact.id) && appliesTo(fact.roles, target.roles));
    if (facts.length === 0 && !options.facts.has('clock') && !options.facts.has('sudo-nopasswd')) return machine;
    options.onProgress?.(`gathering ${facts.length} facts`);
    const seconds = Math.max(1, Math.round(options.commandTimeoutMs / 1000));
    const batch = machineScript(facts.filter((fact) => !fact.sudo), facts.filter((fact) => fact.sudo), seconds, { probeSudo: options.facts.has('sudo-nopasswd') });
    const password = options.credentials.password;
    // One channel for everything; its stdin carries the sudo password, if any, for `sudo -S`.
    const result = await session.exec(`exec sh -c ${shellQuote(batch.script)}`, { timeoutMs: options.commandTimeoutMs * 2, stdin: password !== undefined ? `${password}\n` : '' });
    const { remoteTime, sudo } = parseMachineOutput(result.stdout, batch.marker);
    if (remoteTime !== undefined && result.firstOutputAt !== undefined) {
      // The remote clock was read about halfway between sending the command and its first output arriving.
      const rttSeconds = (result.firstOutputAt - result.sentAt) / 1000;
      machine.clock = { offsetSeconds: remoteTime - (result.sentAt + result.firstOutputAt) / 2000, rttSeconds };
    }
    machine.sudo = sudo;
    machine.facts.set('sudo-nopasswd', sudo === 'nopasswd' ? { stdout: '', stderr: '', exitCode: 0, timedOut: false } : { stdout: '', stderr: 'sudo: a password is required', exitCode: 1, timedOut: false });
    const results = parseFrames(result.stdout, result.stderr, batch.marker, seconds);
    for (const fact of facts) {
      const timedOut = result.timedOut ? { stdout: '', stderr: 'the commands did not finish within the time limit', exitCode: null, timedOut: true } : undefined;
      machine.facts.set(fact.id, results.get(fact.id) ?? timedOut ?? missing(fact, machine.sudo));
    }
  } finally {
    session.close();
  }
  return machine;
}

function missing(fact: FactSpec, sudo: MachineFacts['sudo']): FactResult {
  const reason = fact.sudo && sudo === 'none' ? 'needs sudo, which is not available without a password' : 'no result (the remote shell failed)';
  return { stdout: '', stderr: reason, exitCode: null, timedOut: false };
}

export async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
