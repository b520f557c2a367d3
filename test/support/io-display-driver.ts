/**
 * Drives the terminal host on the real process streams for test/e2e/io-live-display.test.ts, run on a pseudo-terminal:
 * 1,000 spans with updates over ~2 s, a few hundred in flight at once, then close (the recap). Writes the display's
 * CPU cost to the JSON file named by argv[2]: the run's process CPU time minus a baseline run of the same schedule with
 * a host that does nothing. The baseline runs second, so warming up the shared loop is charged to the display (the
 * number errs high).
 *
 *   node --import tsx test/support/io-display-driver.ts out.json [spans] [durationMs]
 *
 * With `--result out.json` it instead writes three large results to the real stdout through the plain host and
 * records how each write settled, for the EPIPE (`| head -c 10`) and ENOSPC (`>/dev/full`) tests. With `--sigint` it
 * draws a few spans, then Ctrl-C is handled the way src/cli/main.ts does (process.exit from the SIGINT handler).
 */
import { writeFileSync } from 'node:fs';
import type { IoHost, Span, SpanOutcome } from '../../src/ports/io-host.js';
import { createIoHost } from '../../src/cli/io/create-io-host.js';
import { TerminalHost } from '../../src/cli/io/terminal-host.js';
import { prng } from './prng.js';

interface Planned {
  host: string;
  beginAt: number;
  startAt: number;
  endAt: number;
  updateEvery: number;
  outcome: SpanOutcome;
}

if (process.argv[2] === '--result') {
  const out = process.argv[3] ?? 'result.json';
  const host = createIoHost({ progress: 'plain', stdout: process.stdout, stderr: process.stderr, env: process.env });
  const settled: string[] = [];
  for (let i = 0; i < 3; i++) {
    await host.result(`${'x'.repeat(256 * 1024)}\n`).then(
      () => settled.push('resolved'),
      (error: unknown) =>
        settled.push(`rejected: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
    );
  }
  writeFileSync(out, `${JSON.stringify({ settled, stdoutClosed: host.stdoutClosed })}\n`);
  process.exit(0);
}

if (process.argv[2] === '--sigint') {
  process.on('SIGINT', () => {
    process.stderr.write('\ninterrupted\n');
    process.exit(130);
  });
  const host = createIoHost({ progress: 'auto', stdout: process.stdout, stderr: process.stderr, env: process.env });
  for (let i = 0; i < 5; i++) host.span('checks', { host: `pai-gpu-0${i}` }).update('connecting');
  setTimeout(() => process.kill(process.pid, 'SIGINT'), 300);
  // The display's timer does not keep the process alive; this does, until the signal arrives.
  setInterval(() => undefined, 1000);
  await new Promise(() => undefined);
}

const [outFile, spansArg, durationArg] = process.argv.slice(2);
if (outFile === undefined) throw new Error('usage: io-display-driver.ts <out.json> [spans] [durationMs]');
const SPANS = Number(spansArg ?? 1000);
const DURATION_MS = Number(durationArg ?? 2000);

/** The same pseudo-random schedule every run: begins spread over 60% of the run, each waits, runs, ends. */
function plan(): Planned[] {
  const random = prng(20_240_611);
  return Array.from({ length: SPANS }, (_, index) => {
    const beginAt = (index / SPANS) * DURATION_MS * 0.6;
    const startAt = beginAt + random() * DURATION_MS * 0.1;
    const endAt = startAt + DURATION_MS * (0.1 + random() * 0.2);
    const roll = random();
    const outcome: SpanOutcome = roll < 0.03 ? 'failed' : roll < 0.08 ? 'warn' : roll < 0.1 ? 'skipped' : 'ok';
    return {
      host: `pai-gpu-${String(index + 1).padStart(4, '0')}`,
      beginAt,
      startAt,
      endAt,
      updateEvery: 20 + random() * 30,
      outcome,
    };
  });
}

interface Active {
  planned: Planned;
  span: Span;
  nextUpdate: number;
  updates: number;
}

/** Plays the schedule against a host on a 4 ms timer; resolves with the most spans in flight at once. */
function play(host: IoHost, schedule: readonly Planned[]): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let next = 0;
    let maxInFlight = 0;
    let active: Active[] = [];
    const timer = setInterval(() => {
      const t = performance.now() - t0;
      for (; next < schedule.length && (schedule[next] as Planned).beginAt <= t; next++) {
        const planned = schedule[next] as Planned;
        active.push({
          planned,
          span: host.span(`checks`, { host: planned.host, phase: 'check' }),
          nextUpdate: planned.startAt,
          updates: 0,
        });
        if (next % 100 === 99)
          host.notify({
            level: 'warn',
            code: 'driver.milestone',
            text: `${next + 1} machines started`,
            phase: 'check',
          });
      }
      maxInFlight = Math.max(maxInFlight, active.length);
      const still: Active[] = [];
      for (const item of active) {
        if (t >= item.planned.endAt) {
          item.span.end(
            item.planned.outcome,
            item.planned.outcome === 'ok'
              ? `${item.updates} passed, 0 failed`
              : `${item.planned.outcome} after ${item.updates} checks`,
          );
          continue;
        }
        if (t >= item.nextUpdate) {
          item.updates += 1;
          item.span.update(`check ${item.updates}: gathering facts`);
          item.nextUpdate = t + item.planned.updateEvery;
        }
        still.push(item);
      }
      active = still;
      if (next === schedule.length && active.length === 0) {
        clearInterval(timer);
        resolve(maxInFlight);
      }
    }, 4);
  });
}

const noop: IoHost = {
  notify: () => undefined,
  result: async () => undefined,
  request: async () => {
    throw new Error('no questions here');
  },
  span: () => ({ update: () => undefined, end: () => undefined }),
  stdoutColour: false,
  close: async () => undefined,
};

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
const schedule = plan();

const hostStart = process.cpuUsage();
const host = createIoHost({
  progress: 'auto',
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
});
const maxInFlight = await play(host, schedule);
await host.close();
const hostCpuMs = cpuMs(process.cpuUsage(hostStart));

const baselineStart = process.cpuUsage();
await play(noop, schedule);
const baselineCpuMs = cpuMs(process.cpuUsage(baselineStart));

const result = {
  kind: host instanceof TerminalHost ? 'terminal' : host.constructor.name,
  spans: SPANS,
  maxInFlight,
  rows: process.stderr.rows,
  columns: process.stderr.columns,
  hostCpuMs: Math.round(hostCpuMs),
  baselineCpuMs: Math.round(baselineCpuMs),
  displayCpuMs: Math.round(hostCpuMs - baselineCpuMs),
};
writeFileSync(outFile, `${JSON.stringify(result)}\n`);
// The pseudo-terminal keeps stdin open; nothing else is pending.
process.stdin.unref?.();
