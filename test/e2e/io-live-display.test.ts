/* eslint-disable no-control-regex -- the test reads the terminal escapes the display writes */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { describeWithInfra } from '../support/infra.js';
import { scriptUnavailable } from '../support/terminal.js';

/**
 * The terminal host on a real pseudo-terminal (util-linux `script`), driven by test/support/io-display-driver.ts:
 * 1,000 spans over ~2 s must cost the display well under a second of CPU, stay within a screenful per frame, and end
 * with the recap and the cursor back. CPU is asserted, never wall time, so a loaded machine does not fail it.
 */
const dir = tempDir('pai-deploy-io-live-');
const ROWS = 30;
const COLUMNS = 100;

interface DriverReport {
  kind: string;
  spans: number;
  maxInFlight: number;
  rows: number;
  columns: number;
  hostCpuMs: number;
  baselineCpuMs: number;
  displayCpuMs: number;
}

function onTerminal(
  name: string,
  size: { rows: number; columns: number },
  args: string[] = [],
): Promise<{ screen: string; report: DriverReport }> {
  const out = join(dir, `${name}.json`);
  const driver = `'${process.execPath}' --import tsx test/support/io-display-driver.ts '${out}' ${args.join(' ')}`;
  const line = `stty cols ${size.columns} rows ${size.rows}; COLUMNS=${size.columns} LINES=${size.rows} ${driver}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  return new Promise((resolve, reject) => {
    execFile(
      'script',
      ['-qec', line, '/dev/null'],
      { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error) return reject(new Error(`driver failed: ${error.message}\n${stdout.slice(-2000)}`));
        resolve({ screen: stdout, report: JSON.parse(readFileSync(out, 'utf8')) as DriverReport });
      },
    );
  });
}

await describeWithInfra('live display on a pseudo-terminal', scriptUnavailable, () => {
  it('draws 1,000 spans for well under a second of CPU, a screenful at most per frame, then the recap', async () => {
    const { screen, report } = await onTerminal('thousand', { rows: ROWS, columns: COLUMNS });
    process.stderr.write(
      `live display, 1,000 spans (${report.maxInFlight} in flight at most): ${report.displayCpuMs} ms CPU (run ${report.hostCpuMs} ms - baseline ${report.baselineCpuMs} ms)\n`,
    );
    expect(report.kind).toBe('terminal');
    expect(report.rows).toBe(ROWS);
    expect(report.maxInFlight).toBeGreaterThan(200);
    expect(report.displayCpuMs).toBeLessThan(1000);

    // Frames are separated by the cursor-up that erases the previous one; each frame row is behind a clear-line.
    const parts = screen.split(/\x1b\[(\d+)A/);
    const ups = parts.filter((_, index) => index % 2 === 1).map(Number);
    const frames = parts.filter((_, index) => index % 2 === 0);
    expect(ups.length).toBeGreaterThan(5);
    expect(Math.max(...ups)).toBeLessThanOrEqual(ROWS);
    for (const frame of frames) expect(frame.split('\x1b[2K').length - 1).toBeLessThanOrEqual(ROWS);
    // Redrawn on a timer, not per event: far fewer frames than the ~15,000 span events.
    expect(ups.length).toBeLessThan(200);
    // No row wider than the terminal (a wrapped row would break the cursor-up count).
    const plain = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    for (const row of plain.split(/\r?\n/))
      expect(Array.from(row.replace(/\r/g, '')).length).toBeLessThanOrEqual(COLUMNS);

    expect(plain).toMatch(/running \d+ · done \d+ \(\d+ failed, \d+ warnings, \d+ skipped\) · waiting \d+/);
    expect(plain).toMatch(/not shown/);
    expect(plain).toMatch(/^recap: 1000 in [\d.]+ s: \d+ ok, \d+ with warnings, \d+ failed, \d+ skipped\r?$/m);
    expect(plain).toMatch(/^ {2}pai-gpu-\d{4}: failed after \d+ checks \(failed, \d+ ms\)\r?$/m);
    expect(plain).toContain('500 machines started');
    expect(screen).toContain('\x1b[?25l');
    expect(screen.lastIndexOf('\x1b[?25h')).toBeGreaterThan(screen.lastIndexOf('\x1b[?25l'));
  });

  it('gives the cursor back when Ctrl-C exits the process mid-display', async () => {
    const line = `stty cols ${COLUMNS} rows ${ROWS}; '${process.execPath}' --import tsx test/support/io-display-driver.ts --sigint`;
    const { code, screen } = await new Promise<{ code: number; screen: string }>((resolve) => {
      execFile(
        'script',
        ['-qec', line, '/dev/null'],
        { cwd: repoRoot, env: { ...process.env, TERM: 'xterm' } },
        (error, stdout) => resolve({ code: error ? Number(error.code) : 0, screen: stdout }),
      );
    });
    expect(code).toBe(130);
    expect(screen).toContain('pai-gpu-04: connecting');
    expect(screen).toContain('\x1b[?25l');
    expect(screen.lastIndexOf('\x1b[?25h')).toBeGreaterThan(screen.lastIndexOf('\x1b[?25l'));
  });

  it('falls back to plain lines on a terminal that reports no width', async () => {
    const { screen, report } = await onTerminal('no-width', { rows: ROWS, columns: 0 }, ['20', '300']);
    expect(report.kind).toBe('PlainHost');
    expect(screen).not.toMatch(/\x1b\[\d+A/);
    expect(screen).toMatch(/^pai-gpu-0001: checks\r?$/m);
  });
});

describe('results on the real stdout', () => {
  const run = (name: string, redirect: string) =>
    new Promise<{ code: number; stderr: string; report: { settled: string[]; stdoutClosed: boolean } }>(
      (resolve, reject) => {
        const out = join(dir, `${name}.json`);
        const line = `'${process.execPath}' --import tsx test/support/io-display-driver.ts --result '${out}' ${redirect}`;
        execFile('sh', ['-c', line], { cwd: repoRoot }, (error, _stdout, stderr) => {
          try {
            resolve({
              code: error ? Number(error.code) : 0,
              stderr,
              report: JSON.parse(readFileSync(out, 'utf8')) as { settled: string[]; stdoutClosed: boolean },
            });
          } catch (caught) {
            reject(new Error(`driver failed: ${String(caught)}\n${stderr}`));
          }
        });
      },
    );
  it('resolves when the reader has gone (EPIPE) and remembers it', async () => {
    const { code, stderr, report } = await run('epipe', '| head -c 10 >/dev/null');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(report).toEqual({ settled: ['resolved', 'resolved', 'resolved'], stdoutClosed: true });
  });
  it.runIf(existsSync('/dev/full'))('rejects with an OutputError when the disk is full (ENOSPC)', async () => {
    const { report } = await run('enospc', '>/dev/full');
    expect(report.settled[0]).toBe('rejected: OutputError: cannot write the result to stdout: no space left on device');
    expect(report.stdoutClosed).toBe(false);
  });
});
