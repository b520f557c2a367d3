import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartedProcess {
  name: string;
  /** Also the process-group id: every component runs as the leader of its own group. */
  pid: number;
  log: string;
  /** The command line, so that a component can be started again exactly as before (see restartApiserver). */
  binary: string;
  args: string[];
  /** Set while the component is deliberately stopped: `pid` is then gone, and teardown skips it. */
  stopped?: boolean;
}

/** Starts a component detached in its own process group, output to `<logDir>/<name>.log`. */
export function startProcess(name: string, binary: string, args: string[], logDir: string): StartedProcess {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.on('error', () => undefined); // liveness is checked through /proc; avoid an unhandled 'error'
    child.unref();
    return { name, pid: child.pid, log, binary, args };
  } finally {
    closeSync(fd);
  }
}

/** Pids of live processes in a process group, read from /proc (see isAlive). */
export function livingGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgid === pgid && isLive(Number(entry), stat.state)) members.push(Number(entry));
  }
  return members;
}

/**
 * Whether a process still runs. Not a zombie, and not on its way out either: a multi-threaded process whose main
 * thread has exited shows as a zombie while other threads still hold its files, listening sockets included (seen
 * with 1.15's kube-apiserver after SIGTERM: its port accepted connections for a moment after it "was gone").
 */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && isLive(pid, stat.state);
}

function isLive(pid: number, state: string): boolean {
  if (state !== 'Z' && state !== 'X') return true;
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return threads.some((tid) => {
    const thread = readStat(Number(tid), `/proc/${pid}/task/${tid}/stat`);
    return thread !== null && thread.state !== 'Z' && thread.state !== 'X';
  });
}

function readStat(pid: number, path = `/proc/${pid}/stat`): { state: string; pgid: number } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  // The command name may contain spaces and parentheses; the fields after its last ')' are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgid = Number(fields[2]);
  return state === undefined ? null : { state, pgid };
}

/** SIGTERM the group, wait up to `graceMs`, then SIGKILL whatever is left and wait for it to go. */
export async function stopProcessGroup(pgid: number, graceMs = 10_000): Promise<void> {
  if (livingGroupMembers(pgid).length === 0) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntilGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (!(await waitUntilGroupGone(pgid, 5_000))) {
    throw new Error(`process group ${pgid} survived SIGKILL: ${livingGroupMembers(pgid).join(', ')}`);
  }
}

/** For exit handlers, which cannot wait. */
export function killProcessGroupNow(pgid: number): void {
  signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitUntilGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (livingGroupMembers(pgid).length === 0) return true;
    await sleep(100);
  }
  return livingGroupMembers(pgid).length === 0;
}

/** A loopback port that was free a moment ago (listen on 0, close). Callers retry on a bind race. */
export async function freeLoopbackPort(): Promise<number> {
  const port = await listenAndClose(0);
  if (port === null) throw new Error('no free port');
  return port;
}

const STABLE_PORTS_FROM = 20_000;

/**
 * A free loopback port below the kernel's ephemeral range, for a server that must get the same port back when it
 * is restarted. While it is down, a port from that range (what listen(0) gives) can be handed to anything else
 * that listens, or be taken as the source port of a client's retried connect to it; below the range only an
 * explicit bind can take it. Falls back to freeLoopbackPort when the range leaves no room below it.
 */
export async function stableLoopbackPort(): Promise<number> {
  const ephemeralFrom = ephemeralPortRange()[0];
  if (ephemeralFrom - STABLE_PORTS_FROM < 1_000) return freeLoopbackPort();
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = STABLE_PORTS_FROM + Math.floor(Math.random() * (ephemeralFrom - STABLE_PORTS_FROM));
    if ((await listenAndClose(candidate)) !== null) return candidate;
  }
  return freeLoopbackPort();
}

/** net.ipv4.ip_local_port_range; Linux's default when unreadable. */
export function ephemeralPortRange(): [number, number] {
  try {
    const [from, to] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (from !== undefined && to !== undefined && from > 0 && to >= from) return [from, to];
  } catch {
    // not Linux, or no /proc
  }
  return [32_768, 60_999];
}

/** Listens on 127.0.0.1:port (0: any) and closes again; the port, or null when it was taken. */
function listenAndClose(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound > 0 ? bound : null));
    });
  });
}

export function tailOfLog(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
