import { appliesTo, factCatalog, type FactSpec } from './catalog.js';
import { parseDaemonJson } from './parsers/docker.js';
import type { FactResult, MachineFacts, MachineTarget } from './types.js';
import { fingerprint, knownHostsName, type HostKey, type KnownHosts } from '../remote/known-hosts.js';
import { shellQuote, SshConnectError, SshSession, type SshCredentials } from '../remote/ssh-session.js';

export interface InspectOptions {
  port: number;
  credentials: SshCredentials;
  knownHosts: KnownHosts;
  /** Record unknown host keys (trust on first use); otherwise an unknown key fails ssh.host-key. */
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Connection attempts for machines that are still booting (never after a host-key or authentication failure). */
  connectAttempts: number;
  retryDelayMs: number;
  /** Channels run at once over the machine's one connection (sshd's MaxSessions defaults to 10). */
  channelsPerMachine: number;
  onProgress?(text: string): void;
  onHostKeyRecorded?(name: string, key: HostKey): void;
  signal?: AbortSignal;
}

export type ConnectOptions = Omit<InspectOptions, 'commandTimeoutMs' | 'channelsPerMachine'>;

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

/** Connects to one machine and gathers every fact its roles need. Never throws: failures are facts too. */
export async function inspectMachine(target: MachineTarget, options: InspectOptions): Promise<MachineFacts> {
  const machine: MachineFacts = { connected: false, sudo: 'none', facts: new Map() };
  const session = await connectMachine(target, machine, options);
  if (!session) return machine;
  try {
    machine.clock = await measureClock(session, options.commandTimeoutMs);
    const sudoCheck = await session.exec('sudo -n true', { timeoutMs: options.commandTimeoutMs });
    machine.facts.set('sudo-nopasswd', sudoCheck);
    const password = options.credentials.password;
    machine.sudo = sudoCheck.exitCode === 0 ? 'nopasswd' : password !== undefined ? 'password' : 'none';
    if (machine.sudo === 'password') {
      const probe = await session.exec(`sudo -S -p '' true`, { stdin: `${password}\n`, timeoutMs: options.commandTimeoutMs });
      if (probe.exitCode !== 0) machine.sudo = 'none';
    }
    const facts = factCatalog().filter((fact) => fact.id !== 'sudo-nopasswd' && appliesTo(fact.roles, target.roles));
    options.onProgress?.(`gathering ${facts.length} facts`);
    await runLimited(facts, options.channelsPerMachine, async (fact) => {
      machine.facts.set(fact.id, await runFact(session, fact, machine.sudo, password, options.commandTimeoutMs));
    });
    const paths = runtimePaths(machine.facts.get('daemon-json'));
    if (paths.length > 0) {
      const test = paths.map((path) => `if [ -x ${shellQuote(path)} ] || command -v ${shellQuote(path)} >/dev/null 2>&1; then echo ${shellQuote(path)}; fi`).join('; ');
      machine.facts.set('runtime-paths', await session.exec(`${test}; true`, { timeoutMs: options.commandTimeoutMs }));
    }
  } finally {
    session.close();
  }
  return machine;
}

async function runFact(session: SshSession, fact: FactSpec, sudo: MachineFacts['sudo'], password: string | undefined, timeoutMs: number): Promise<FactResult> {
  if (!fact.sudo) return session.exec(fact.command, { timeoutMs });
  const wrapped = shellQuote(fact.command);
  if (sudo === 'nopasswd') return session.exec(`sudo -n -- sh -c ${wrapped}`, { timeoutMs });
  if (sudo === 'password' && password !== undefined) return session.exec(`sudo -S -p '' -- sh -c ${wrapped}`, { stdin: `${password}\n`, timeoutMs });
  return { stdout: '', stderr: 'needs sudo, which is not available without a password', exitCode: null, timedOut: false };
}

/** Remote clock minus local clock: the remote reading is taken halfway through the round trip. */
async function measureClock(session: SshSession, timeoutMs: number): Promise<MachineFacts['clock']> {
  const before = Date.now();
  const result = await session.exec('date +%s.%N', { timeoutMs });
  const after = Date.now();
  const remote = Number(result.stdout.trim());
  if (result.exitCode !== 0 || !Number.isFinite(remote)) return undefined;
  const rttSeconds = (after - before) / 1000;
  return { offsetSeconds: remote - (before + after) / 2000, rttSeconds };
}

function runtimePaths(daemonJson: FactResult | undefined): string[] {
  if (!daemonJson || daemonJson.exitCode !== 0) return [];
  const parsed = parseDaemonJson(daemonJson.stdout, true);
  if (parsed.kind !== 'ok') return [];
  const runtimes = parsed.value['runtimes'];
  if (!runtimes || typeof runtimes !== 'object') return [];
  return Object.values(runtimes as Record<string, { path?: unknown }>)
    .map((runtime) => runtime?.path)
    .filter((path): path is string => typeof path === 'string' && path !== '');
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
