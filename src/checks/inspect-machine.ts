import { appliesTo, factCatalog, type FactSpec } from './catalog.js';
import { machineScript, parseFrames, parseMachineOutput } from './fact-batch.js';
import type { RemoteHosts } from '../ports/ports.js';
import type { FactResult, MachineFacts, MachineTarget } from './types.js';
import { shellQuote } from './shell-quote.js';

export interface InspectOptions {
  commandTimeoutMs: number;
  /** Fact ids (and built-in facts) the selected checks read; none means no remote command at all. */
  facts: ReadonlySet<string>;
  /** For `sudo -S`; fed on the command's stdin, never on a command line. */
  sudoPassword: string | undefined;
  signal: AbortSignal;
  onProgress?(text: string): void;
}

/** Connects to one machine and gathers the facts its roles and the selected checks need. Failures are facts too. */
export async function inspectMachine(
  target: MachineTarget,
  hosts: RemoteHosts,
  options: InspectOptions,
): Promise<MachineFacts> {
  const machine: MachineFacts = { connected: false, sudo: 'none', facts: new Map() };
  const connected = await hosts.connect(target, { signal: options.signal, onProgress: options.onProgress });
  if (connected.hostKey) machine.hostKey = connected.hostKey;
  machine.attempts = connected.attempts;
  if (!connected.ok) {
    machine.connectFailure = connected.failure;
    return machine;
  }
  const session = connected.session;
  machine.connected = true;
  machine.connectMillis = connected.millis;
  machine.authMethod = session.authMethod;
  try {
    const facts = factCatalog().filter((fact) => options.facts.has(fact.id) && appliesTo(fact.roles, target.roles));
    if (facts.length === 0 && !options.facts.has('clock') && !options.facts.has('sudo-nopasswd')) return machine;
    options.onProgress?.(`gathering ${facts.length} facts`);
    const seconds = Math.max(1, Math.round(options.commandTimeoutMs / 1000));
    const batch = machineScript(
      facts.filter((fact) => !fact.sudo),
      facts.filter((fact) => fact.sudo),
      seconds,
      { probeSudo: options.facts.has('sudo-nopasswd') },
    );
    const password = options.sudoPassword;
    // One channel for everything; its stdin carries the sudo password, if any, for `sudo -S`.
    const result = await session.exec(`exec sh -c ${shellQuote(batch.script)}`, {
      timeoutMs: options.commandTimeoutMs * 2,
      stdin: password !== undefined ? `${password}\n` : '',
      signal: options.signal,
    });
    const { remoteTime, sudo } = parseMachineOutput(result.stdout, batch.marker);
    if (remoteTime !== undefined && result.firstOutputAt !== undefined) {
      // The remote clock was read about halfway between sending the command and its first output arriving.
      const rttSeconds = (result.firstOutputAt - result.sentAt) / 1000;
      machine.clock = { offsetSeconds: remoteTime - (result.sentAt + result.firstOutputAt) / 2000, rttSeconds };
    }
    machine.sudo = sudo;
    machine.facts.set(
      'sudo-nopasswd',
      sudo === 'nopasswd'
        ? { stdout: '', stderr: '', exitCode: 0, timedOut: false }
        : { stdout: '', stderr: 'sudo: a password is required', exitCode: 1, timedOut: false },
    );
    const results = parseFrames(result.stdout, result.stderr, batch.marker, seconds);
    for (const fact of facts) {
      const timedOut = result.timedOut
        ? { stdout: '', stderr: 'the commands did not finish within the time limit', exitCode: null, timedOut: true }
        : undefined;
      machine.facts.set(fact.id, results.get(fact.id) ?? timedOut ?? missing(fact, machine.sudo));
    }
  } finally {
    session.close();
  }
  return machine;
}

function missing(fact: FactSpec, sudo: MachineFacts['sudo']): FactResult {
  const reason =
    fact.sudo && sudo === 'none'
      ? 'needs sudo, which is not available without a password'
      : 'no result (the remote shell failed)';
  return { stdout: '', stderr: reason, exitCode: null, timedOut: false };
}

/** Runs `work` on every item, at most `limit` at a time; no new item starts once the signal is aborted. */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !signal.aborted) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}
