import { randomBytes } from 'node:crypto';
import type { FactSpec } from './catalog.js';
import type { FactResult } from './types.js';

/**
 * Everything a machine is asked, as one script on one channel. Every sshd channel costs a fork, a PAM session and a
 * shell, every sudo a PAM round, every helper process a fork and exec: on a busy machine (or 200 small ones on two
 * cores) that costs far more than the commands themselves. So each fact runs in a subshell writing straight to the
 * channel's stdout and stderr, between frame lines carrying a random marker that output cannot contain by accident
 * (no temp files, no capturing). Helper functions let facts read files and find processes with shell builtins.
 * Facts marked `may-hang` (docker info with a wedged daemon, nvidia-smi with a wedged driver) run under `timeout`.
 */
export interface Batch {
  script: string;
  marker: string;
}

export type SudoMode = 'nopasswd' | 'password' | 'none';

/** Functions facts.yaml commands may use: readfile FILE (like cat), running NAME (like pgrep -x). */
const PRELUDE = [
  'readfile() { while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done < "$1"; }',
  'running() { for c in /proc/[0-9]*/comm; do IFS= read -r n < "$c" 2>/dev/null && [ "$n" = "$1" ] && return 0; done; return 1; }',
].join('\n');

export function newMarker(): string {
  return `@@pai-${randomBytes(8).toString('hex')}`;
}

function factLines(facts: readonly FactSpec[], timeoutSeconds: number, marker: string): string[] {
  const lines = [`if command -v timeout >/dev/null 2>&1; then limit="timeout ${timeoutSeconds}"; else limit=; fi`];
  for (const fact of facts) {
    const run = fact.mayHang ? `$limit sh -c ${quote(PRELUDE + '\n' + fact.command)}` : `(\n${fact.command}\n)`;
    lines.push(
      `printf '%s %s\\n' '${marker}' ${quote(fact.id)}; printf '%s %s\\n' '${marker}' ${quote(fact.id)} >&2`,
      `${run} </dev/null; rc=$?`,
      `printf '\\n%s-end %s %s\\n' '${marker}' ${quote(fact.id)} "$rc"; printf '\\n%s-end %s\\n' '${marker}' ${quote(fact.id)} >&2`,
    );
  }
  return lines;
}

/**
 * The clock first (its first output line), the plain facts, then the privileged ones through `sudo -n`, or `sudo -S`
 * with the password read from the channel's stdin (written by the caller, never on a command line), or not at all.
 * The privileged part announces itself, so how sudo went needs no extra sudo call; sudo's own complaints land
 * outside any frame and are ignored. Without privileged facts, sudo is tried only when `probeSudo` asks for it.
 */
export function machineScript(
  plain: readonly FactSpec[],
  privileged: readonly FactSpec[],
  timeoutSeconds: number,
  options: { probeSudo: boolean } = { probeSudo: true },
): Batch {
  const marker = newMarker();
  const script = ['date +%s.%N', PRELUDE, ...factLines(plain, timeoutSeconds, marker)];
  if (privileged.length > 0 || options.probeSudo) {
    // $0 names how sudo was reached (sh -c SCRIPT NAME), so the privileged part announces it without another sudo.
    const privilegedScript = [
      PRELUDE,
      `printf '%s %s\\n' '${marker}-sudo' "$0"`,
      ...factLines(privileged, timeoutSeconds, marker),
    ].join('\n');
    script.push(
      `PRIV=${quote(privilegedScript)}`,
      'if sudo -n -- sh -c "$PRIV" nopasswd; then :',
      `elif IFS= read -r pw; then printf '%s\\n' "$pw" | sudo -S -p '' -- sh -c "$PRIV" password; fi`,
    );
  }
  return { script: script.join('\n') + '\n', marker };
}

/** Splits a script's stdout and stderr back into one result per fact; facts whose frame is missing are absent. */
export function parseFrames(
  stdout: string,
  stderr: string,
  marker: string,
  timeoutSeconds: number,
): Map<string, FactResult> {
  const errors = frames(stderr, marker);
  const results = new Map<string, FactResult>();
  for (const [id, frame] of frames(stdout, marker)) {
    if (frame.rc === undefined) continue;
    // coreutils timeout exits 124 when it had to stop the command.
    const timedOut = frame.rc === 124;
    const error = errors.get(id)?.text ?? '';
    results.set(id, {
      stdout: frame.text,
      stderr: timedOut && error === '' ? `timed out after ${timeoutSeconds} s` : error,
      exitCode: frame.rc,
      timedOut,
    });
  }
  return results;
}

function frames(text: string, marker: string): Map<string, { text: string; rc: number | undefined }> {
  const found = new Map<string, { text: string; rc: number | undefined }>();
  const start = `${marker} `;
  const end = `\n${marker}-end `;
  let at = 0;
  while ((at = text.indexOf(start, at)) !== -1) {
    if (at > 0 && text[at - 1] !== '\n') {
      at += start.length;
      continue;
    }
    const headerEnd = text.indexOf('\n', at);
    if (headerEnd === -1) break;
    const id = text.slice(at + start.length, headerEnd);
    const close = text.indexOf(`${end}${id}`, headerEnd);
    if (close === -1) break;
    const closeLineEnd = text.indexOf('\n', close + 1);
    const closeLine = text.slice(close + 1, closeLineEnd === -1 ? undefined : closeLineEnd);
    const rcText = closeLine.slice(`${marker}-end ${id}`.length).trim();
    found.set(id, { text: text.slice(headerEnd + 1, close), rc: rcText === '' ? undefined : Number(rcText) });
    at = closeLineEnd === -1 ? text.length : closeLineEnd;
  }
  return found;
}

/** The remote clock (first line) and how sudo ran, from a machine script's output. */
export function parseMachineOutput(output: string, marker: string): { remoteTime: number | undefined; sudo: SudoMode } {
  const first = output.slice(0, output.indexOf('\n'));
  const remoteTime = /^\d+\.\d+$/.test(first) ? Number(first) : undefined;
  const sudo =
    (new RegExp(`^${marker}-sudo (nopasswd|password)$`, 'm').exec(output)?.[1] as SudoMode | undefined) ?? 'none';
  return { remoteTime, sudo };
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
