import { randomBytes } from 'node:crypto';
import type { FactSpec } from './catalog.js';
import type { FactResult } from './types.js';

/**
 * Many facts in one remote shell. Every sshd channel costs a fork, a PAM session and a login shell on the machine,
 * every sudo its own PAM round, and every helper process a fork and exec: on a busy machine (or 200 small ones on
 * two cores) that costs far more than the commands themselves. So a batch runs each command in a subshell with
 * builtins doing the framing: stdout, stderr and exit code are kept apart and delimited by a random marker that
 * output cannot contain by accident. Facts marked `may-hang` (docker info with a wedged daemon, nvidia-smi with a
 * wedged driver) run under `timeout`; the batch as a whole has the client's timeout.
 */
export interface Batch {
  script: string;
  marker: string;
}

export function newMarker(): string {
  return `@@pai-${randomBytes(8).toString('hex')}`;
}

export function batchScript(facts: readonly FactSpec[], timeoutSeconds: number, marker = newMarker()): Batch {
  const lines = [
    'errf=$(mktemp 2>/dev/null || echo "/tmp/pai-fact-err.$$")',
    'trap \'rm -f "$errf"\' EXIT',
    `if command -v timeout >/dev/null 2>&1; then limit="timeout ${timeoutSeconds}"; else limit=; fi`,
  ];
  for (const fact of facts) {
    const run = fact.mayHang ? `$limit sh -c ${quote(fact.command)}` : `{\n${fact.command}\n}`;
    lines.push(
      `out=$(${run} 2>"$errf" </dev/null); rc=$?`,
      `printf '%s %s %s\\n' '${marker}' ${quote(fact.id)} "$rc"`,
      `[ -n "$out" ] && printf '%s\\n' "$out"`,
      `printf '%s\\n' '${marker}-stderr'`,
      `while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$errf"`,
      `printf '%s\\n' '${marker}-end'`,
    );
  }
  return { script: lines.join('\n') + '\n', marker };
}

/** Splits a batch's output back into one result per fact; facts whose frame is missing or cut off are absent. */
export function parseBatchOutput(output: string, marker: string, timeoutSeconds: number): Map<string, FactResult> {
  const results = new Map<string, FactResult>();
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    if (!header.startsWith(`${marker} `)) continue;
    const [, id = '', rcText = ''] = header.split(' ');
    const stderrAt = lines.indexOf(`${marker}-stderr`, i + 1);
    const endAt = stderrAt === -1 ? -1 : lines.indexOf(`${marker}-end`, stderrAt + 1);
    if (endAt === -1) break;
    const rc = Number(rcText);
    // coreutils timeout exits 124 when it had to stop the command.
    const timedOut = rc === 124;
    const stderr = lines.slice(stderrAt + 1, endAt).join('\n');
    results.set(id, {
      stdout: lines.slice(i + 1, stderrAt).join('\n'),
      stderr: timedOut && stderr === '' ? `timed out after ${timeoutSeconds} s` : stderr,
      exitCode: Number.isInteger(rc) ? rc : null,
      timedOut,
    });
    i = endAt;
  }
  return results;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export type SudoMode = 'nopasswd' | 'password' | 'none';

/**
 * Everything a machine is asked, as one script for one channel: the clock first (its first output line), the plain
 * facts, then the privileged ones through `sudo -n`, or `sudo -S` with the password read from the channel's stdin
 * (written by the caller, never on a command line), or not at all. Which way sudo went is framed too.
 */
export function machineScript(plain: readonly FactSpec[], privileged: readonly FactSpec[], timeoutSeconds: number): Batch {
  const marker = newMarker();
  const plainBatch = batchScript(plain, timeoutSeconds, marker).script;
  const privilegedBatch = batchScript(privileged, timeoutSeconds, marker).script;
  const sudo = (mode: SudoMode) => `printf '%s\\n' '${marker}-sudo ${mode}'`;
  const script = [
    'date +%s.%N',
    plainBatch,
    `PRIV=${quote(privilegedBatch)}`,
    `if sudo -n true 2>/dev/null; then ${sudo('nopasswd')}; sudo -n -- sh -c "$PRIV"`,
    `elif IFS= read -r pw && printf '%s\\n' "$pw" | sudo -S -p '' true 2>/dev/null; then ${sudo('password')}; printf '%s\\n' "$pw" | sudo -S -p '' -- sh -c "$PRIV"`,
    `else ${sudo('none')}; fi`,
  ].join('\n');
  return { script: script + '\n', marker };
}

/** The remote clock (first line) and how sudo ran, from a machine script's output. */
export function parseMachineOutput(output: string, marker: string): { remoteTime: number | undefined; sudo: SudoMode | undefined } {
  const first = output.slice(0, output.indexOf('\n'));
  const remoteTime = /^\d+\.\d+$/.test(first) ? Number(first) : undefined;
  const sudo = new RegExp(`^${marker}-sudo (nopasswd|password|none)$`, 'm').exec(output)?.[1] as SudoMode | undefined;
  return { remoteTime, sudo };
}
