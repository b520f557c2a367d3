import { appliesTo, factCatalog, type FactSpec } from './catalog.js';
import { batchScript, parseBatchOutput } from './fact-batch.js';
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
  onProgress?(text: string): void;
  onHostKeyRecorded?(name: string, key: HostKey): void;
  signal?: AbortSignal;
}

export type ConnectOptions = Omit<InspectOptions, 'commandTimeoutMs'>;

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
    const password = options.credentials.password;
    const facts = factCatalog().filter((fact) => appliesTo(fact.roles, target.roles));
    options.onProgress?.(`gathering ${facts.length} facts`);
    const plain = facts.filter((fact) => !fact.sudo);
    const privileged = facts.filter((fact) => fact.sudo);
    // The privileged batch first tries sudo -n; only a machine whose sudo wants a password gets a second, sudo -S run.
    const [plainResults, withoutPassword] = await Promise.all([
      runBatch(session, plain, undefined, password, options.commandTimeoutMs),
      runBatch(session, privileged, 'nopasswd', password, options.commandTimeoutMs),
    ]);
    machine.sudo = plainResults.get('sudo-nopasswd')?.exitCode === 0 ? 'nopasswd' : password !== undefined ? 'password' : 'none';
    let privilegedResults = withoutPassword;
    if (machine.sudo === 'password') {
      privilegedResults = await runBatch(session, privileged, 'password', password, options.commandTimeoutMs);
      if (privilegedResults.size === 0 && privileged.length > 0) machine.sudo = 'none';
    }
    for (const fact of facts) {
      machine.facts.set(fact.id, plainResults.get(fact.id) ?? privilegedResults.get(fact.id) ?? missing(fact, machine.sudo));
    }
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

/** Runs facts in one remote shell (see fact-batch.ts); `sudo` set runs the whole batch through sudo once. */
async function runBatch(session: SshSession, facts: readonly FactSpec[], sudo: MachineFacts['sudo'] | undefined, password: string | undefined, timeoutMs: number): Promise<Map<string, FactResult>> {
  if (facts.length === 0) return new Map();
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  const batch = batchScript(facts, seconds);
  const script = shellQuote(batch.script);
  // The batch as a whole may take as long as its commands together, up to twice the per-command limit.
  const batchTimeout = { timeoutMs: timeoutMs * 2 };
  let result: FactResult;
  if (sudo === undefined) result = await session.exec(`sh -c ${script}`, batchTimeout);
  else if (sudo === 'nopasswd') result = await session.exec(`sudo -n -- sh -c ${script}`, batchTimeout);
  else if (sudo === 'password' && password !== undefined) result = await session.exec(`sudo -S -p '' -- sh -c ${script}`, { ...batchTimeout, stdin: `${password}\n` });
  else return new Map();
  const parsed = parseBatchOutput(result.stdout, batch.marker, seconds);
  if (result.timedOut) {
    for (const fact of facts) if (!parsed.has(fact.id)) parsed.set(fact.id, { stdout: '', stderr: 'the batch of commands timed out before this one ran', exitCode: null, timedOut: true });
  }
  return parsed;
}

function missing(fact: FactSpec, sudo: MachineFacts['sudo']): FactResult {
  const reason = fact.sudo && sudo === 'none' ? 'needs sudo, which is not available without a password' : 'no result (the remote shell failed)';
  return { stdout: '', stderr: reason, exitCode: null, timedOut: false };
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
