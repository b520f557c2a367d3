import { writeSync } from 'node:fs';
import { onInterrupt } from '../interrupt.js';
import { fingerprint } from '../infra/ssh/known-hosts.js';
import type { CheckProgress, MachineReport } from './run-checks.js';

/** Progress as plain lines on stderr (no TTY, CI logs): one line per event, nothing redrawn. */
export function plainProgress(write: (text: string) => void): CheckProgress {
  return {
    machineUpdate: (hostname, text) => write(`${hostname}: ${text}\n`),
    machineDone: (report) => write(`${report.hostname}: ${describe(report)}\n`),
    hostKeyRecorded: (hostname, name, key) => write(`${hostname}: first contact, recorded host key of ${name}: ${key.type} ${fingerprint(key.blob)}\n`),
  };
}

export function describe(report: MachineReport): string {
  if (!report.reachable) {
    const reason = report.checks.find((check) => check.status === 'fail')?.message ?? 'unreachable';
    return `unreachable: ${reason}`;
  }
  const count = (status: string) => report.checks.filter((check) => check.status === status).length;
  return `${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`;
}

/**
 * Live progress on a terminal with listr2: a line per machine, updated as it connects and gathers facts.
 * Returns the progress hooks and a promise that settles when the display is finished.
 */
export async function terminalProgress(hostnames: string[]): Promise<{ progress: CheckProgress; finish(): Promise<void> }> {
  const { Listr } = await import('listr2');
  const waiting = new Map<string, { update(text: string): void; done(report: MachineReport): void }>();
  const recorded: string[] = [];
  const tasks = new Listr(
    hostnames.map((hostname) => ({
      title: hostname,
      task: (_ctx: unknown, task: { title: string; output: string }) =>
        new Promise<void>((resolve, reject) => {
          waiting.set(hostname, {
            update: (text) => {
              task.output = text;
            },
            done: (report) => {
              task.title = `${hostname}: ${describe(report)}`;
              if (!report.reachable || report.checks.some((check) => check.status === 'fail')) reject(new Error(`${hostname}: ${describe(report)}`));
              else resolve();
            },
          });
        }),
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: true }, registerSignalListeners: false },
  );
  // listr2 hides the cursor while it draws and buffers process.stdout/stderr writes; Ctrl-C exits without letting it
  // finish, so give the cursor back, straight to the descriptor.
  const restoreCursor = onInterrupt(() => writeSync(1, '\x1b[?25h\n'));
  const running = tasks.run().catch(() => undefined);
  const forward = (hostname: string, fn: (target: { update(text: string): void; done(report: MachineReport): void }) => void) => {
    const target = waiting.get(hostname);
    if (target) fn(target);
    else setImmediate(() => forward(hostname, fn));
  };
  return {
    progress: {
      machineUpdate: (hostname, text) => forward(hostname, (target) => target.update(text)),
      machineDone: (report) => forward(report.hostname, (target) => target.done(report)),
      hostKeyRecorded: (hostname, name, key) => recorded.push(`${hostname}: first contact, recorded host key of ${name}: ${key.type} ${fingerprint(key.blob)}`),
    },
    finish: async () => {
      await running;
      restoreCursor();
      if (recorded.length > 0) process.stderr.write(recorded.join('\n') + '\n');
    },
  };
}
