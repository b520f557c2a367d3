/**
 * The events kubespray-overlays/release-2.11/callback_plugins/pai_deploy_events.py prints, read back: one JSON line
 * per playbook, play, task, host result and the final stats, each behind a marker with the run's token. Pure.
 */

export interface TaskRef {
  task: string;
  role: string | null;
  action: string;
}

export interface HostFailure extends TaskRef {
  host: string;
  kind: 'failed' | 'unreachable';
  /** The line that says why, found in what the module printed (see failureCause). */
  cause: string;
  rc?: number;
}

export type AnsibleEvent =
  | { event: 'playbook'; file: string; time: number }
  | { event: 'play'; name: string; hosts: string[]; time: number }
  | ({ event: 'task'; handler?: boolean; time: number } & TaskRef)
  | ({
      event: 'ok' | 'skipped' | 'failed' | 'unreachable';
      host: string;
      changed: boolean;
      ignored?: boolean;
      censored?: boolean;
      time: number;
    } & TaskRef &
      FailureFields)
  | { event: 'no-hosts'; time: number }
  | { event: 'stats'; hosts: Record<string, HostStats>; time: number };

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failures: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface FailureFields {
  msg?: string;
  stdout?: string;
  stderr?: string;
  module_stdout?: string;
  module_stderr?: string;
  exception?: string;
  reason?: string;
  stdout_lines?: string[];
  stderr_lines?: string[];
  rc?: number;
  failedItems?: Array<Record<string, string>>;
}

export function eventMarker(token: string): string {
  return `@@pai-deploy-event:${token}@@ `;
}

/** The event on `line`, or undefined when it is ordinary Ansible output (or a malformed event: then it is output). */
export function parseEventLine(line: string, token: string): AnsibleEvent | undefined {
  const marker = eventMarker(token);
  if (!line.startsWith(marker)) return undefined;
  try {
    const value: unknown = JSON.parse(line.slice(marker.length));
    if (typeof value === 'object' && value !== null && typeof (value as { event?: unknown }).event === 'string')
      return value as AnsibleEvent;
  } catch {
    // Not an event after all (a truncated line): keep it as output.
  }
  return undefined;
}

/** Messages Ansible gives when the real cause is elsewhere in the result. */
const VAGUE =
  /^(non-zero return code|MODULE FAILURE|All items completed|One or more items failed|Failed to .*\bsee stdout\/stderr\b.*)\.?$/i;

/**
 * The line that says why a task failed. Ansible's `msg` is often only "non-zero return code" or "MODULE FAILURE"
 * while the cause sits in the module's output: apt's `E:` lines between progress bars, a Python traceback's last
 * line, the last non-empty stderr line. Looked for in that order; `msg` when it says more than those words.
 */
export function failureCause(fields: FailureFields): string {
  const texts = [fields.stderr, fields.module_stderr, fields.stdout, fields.module_stdout, fields.exception];
  const lines = [...(fields.stderr_lines ?? []), ...texts.flatMap((text) => (text ? text.split(/\r?\n|\r/) : []))].map(
    (line) => line.trim(),
  );
  const apt = lines.filter((line) => /^E: /.test(line));
  if (apt.length > 0) return apt[apt.length - 1]!;
  const traceback = lastTracebackLine(lines);
  const msg = (fields.msg ?? '').trim();
  if (msg && !VAGUE.test(msg.split('\n')[0]!)) return firstLine(msg);
  if (traceback) return traceback;
  for (const item of fields.failedItems ?? []) {
    const cause = failureCause(item);
    if (cause) return item['item'] ? `${cause} (item ${firstLine(item['item'])})` : cause;
  }
  const lastErr = lastNonEmpty([
    ...(fields.stderr_lines ?? []),
    ...splitLines(fields.stderr),
    ...splitLines(fields.module_stderr),
  ]);
  if (lastErr) return lastErr;
  const lastOut = lastNonEmpty([
    ...(fields.stdout_lines ?? []),
    ...splitLines(fields.stdout),
    ...splitLines(fields.module_stdout),
  ]);
  if (lastOut) return lastOut;
  if (fields.reason) return firstLine(fields.reason);
  return msg ? firstLine(msg) : fields.rc !== undefined ? `exit code ${fields.rc}` : 'no message';
}

function lastTracebackLine(lines: readonly string[]): string | undefined {
  const start = lines.lastIndexOf('Traceback (most recent call last):');
  if (start === -1) return undefined;
  // The exception line: the first unindented-looking "Name: text" after the frames.
  for (let index = lines.length - 1; index > start; index--) {
    if (/^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b/.test(lines[index]!)) return lines[index];
  }
  return undefined;
}

function splitLines(text: string | undefined): string[] {
  return text ? text.split(/\r?\n|\r/) : [];
}

function lastNonEmpty(lines: readonly string[]): string | undefined {
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.trim();
    if (line) return line;
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split(/\r?\n|\r/)[0]!.trim();
}

/** What the I/O host shows while a playbook runs, folded from the events. */
export interface PlaybookProgress {
  playbook: string | undefined;
  play: string | undefined;
  task: (TaskRef & { startedAt: number }) | undefined;
  tasksStarted: number;
  /** Per host: results so far. */
  hosts: Map<string, { ok: number; changed: number; failed: number; unreachable: number; skipped: number }>;
  failures: HostFailure[];
  stats: Record<string, HostStats> | undefined;
}

export function emptyProgress(): PlaybookProgress {
  return {
    playbook: undefined,
    play: undefined,
    task: undefined,
    tasksStarted: 0,
    hosts: new Map(),
    failures: [],
    stats: undefined,
  };
}

/** Folds one event into the progress (mutates and returns it: the stream is long, copies would cost). */
export function applyEvent(progress: PlaybookProgress, event: AnsibleEvent): PlaybookProgress {
  switch (event.event) {
    case 'playbook':
      progress.playbook = event.file;
      break;
    case 'play':
      progress.play = event.name;
      break;
    case 'task':
      progress.task = { task: event.task, role: event.role, action: event.action, startedAt: event.time };
      progress.tasksStarted++;
      break;
    case 'ok':
    case 'skipped':
    case 'failed':
    case 'unreachable': {
      const counts = progress.hosts.get(event.host) ?? { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 };
      progress.hosts.set(event.host, counts);
      if (event.event === 'ok') {
        counts.ok++;
        if (event.changed) counts.changed++;
      } else if (event.event === 'skipped') counts.skipped++;
      else if (event.ignored) counts.ok++;
      else {
        if (event.event === 'failed') counts.failed++;
        else counts.unreachable++;
        progress.failures.push({
          host: event.host,
          task: event.task,
          role: event.role,
          action: event.action,
          kind: event.event,
          cause: event.censored ? 'the output is hidden (no_log: the task handles secrets)' : failureCause(event),
          ...(event.rc !== undefined ? { rc: event.rc } : {}),
        });
      }
      break;
    }
    case 'stats':
      progress.stats = event.hosts;
      break;
    case 'no-hosts':
      break;
  }
  return progress;
}

/** "3 hosts: 2 ok, 1 failed" style counters over the hosts seen. */
export function hostCounters(progress: PlaybookProgress): {
  hosts: number;
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
} {
  let failed = 0;
  let unreachable = 0;
  let ok = 0;
  let changed = 0;
  for (const [host, counts] of progress.hosts) {
    // kubespray's version gate and the like run on the controller: not a machine of the cluster.
    if (host === 'localhost') continue;
    if (counts.unreachable > 0) unreachable++;
    else if (counts.failed > 0) failed++;
    else ok++;
    if (counts.changed > 0) changed++;
  }
  return { hosts: ok + failed + unreachable, ok, changed, failed, unreachable };
}
