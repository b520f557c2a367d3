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
    return { name, pid: child.pid, log };
  } finally {
    closeSync(fd);
  }
}

/** Pids of live (non-zombie) processes in a process group, read from /proc. */
export function livingGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgid === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== 'Z';
}

function readStat(pid: number): { state: string; pgid: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
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
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
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
