/* eslint-disable no-control-regex -- the tests read the terminal escapes the display writes */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IoQuestion } from '../../src/ports/io-host.js';
import type { PromptStreams } from '../../src/cli/io/prompt.js';
import { TerminalHost } from '../../src/cli/io/terminal-host.js';
import { UsageError } from '../../src/errors.js';
import { FakeStream } from '../support/fake-stream.js';

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
const strip = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
/** The rows a frame chunk draws (each behind a clear-line), without escapes. */
const rows = (chunk: string | undefined) =>
  (chunk ?? '')
    .split('\x1b[2K')
    .slice(1)
    .map((row) => strip(row).replace(/\n$/, ''));

interface Setup {
  rows?: number;
  columns?: number;
  env?: Record<string, string>;
  stdinTTY?: boolean;
  stdoutTTY?: boolean;
  ask?: <T>(question: IoQuestion<T>, streams: PromptStreams) => Promise<T>;
  signal?: AbortSignal;
}

const hosts: TerminalHost[] = [];
function terminal(setup: Setup = {}) {
  const stdout = new FakeStream({ isTTY: setup.stdoutTTY ?? false });
  const stderr = new FakeStream({ isTTY: true, columns: setup.columns ?? 60, rows: setup.rows ?? 12 });
  const stdin = Object.assign(new PassThrough(), { isTTY: setup.stdinTTY ?? false });
  const host = new TerminalHost({
    stdout,
    stderr,
    stdin,
    env: { TERM: 'xterm', ...setup.env },
    now: () => Date.now(),
    ...(setup.ask ? { ask: setup.ask } : {}),
    ...(setup.signal ? { signal: setup.signal } : {}),
  });
  hosts.push(host);
  const tick = (ms = 80) => vi.advanceTimersByTime(ms);
  return { host, stdout, stderr, tick, last: () => stderr.chunks.at(-1) };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2025, 0, 1));
});
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
  vi.useRealTimers();
});

describe('terminal host: the live area', () => {
  it('prints messages straight away while nothing is drawn', () => {
    const { host, stderr } = terminal();
    host.notify({ level: 'warn', code: 'c', text: 'careful', host: 'pai-gpu-01' });
    expect(stderr.chunks).toEqual(['\x1b[33mwarning:\x1b[39m pai-gpu-01: careful\n']);
  });
  it('draws on the timer, not per event: many updates in one interval make one frame', () => {
    const { host, stderr, tick, last } = terminal();
    const span = host.span('checks', { host: 'pai-gpu-01' });
    for (let i = 0; i < 1000; i++) span.update(`check ${i}`);
    expect(stderr.chunks).toHaveLength(0);
    tick();
    expect(stderr.chunks).toHaveLength(1);
    expect(last()?.startsWith(HIDE)).toBe(true);
    expect(rows(last())).toEqual(['   0s pai-gpu-01: check 999', 'running 1 · done 0 · waiting 0']);
  });
  it('does not redraw when nothing changed, except once a second for the clock', () => {
    const { host, stderr, tick, last } = terminal();
    host.span('render');
    tick();
    tick(80 * 5);
    expect(stderr.chunks).toHaveLength(1);
    tick(1000);
    expect(stderr.chunks).toHaveLength(2);
    expect(last()).toMatch(/^\x1b\[2A\r/); // back over the two rows drawn before
    expect(rows(last())[0]).toBe('   1s render');
  });
  it('counts machines as waiting until their first update, running until they end', () => {
    const { host, tick, last } = terminal({ columns: 80 });
    const spans = ['a', 'b', 'c', 'd'].map((name) => host.span('checks', { host: name }));
    spans[0]?.update('connecting');
    spans[1]?.update('connecting');
    spans[2]?.end('failed', 'unreachable');
    spans[1]?.end('warn', 'old kernel');
    spans[0]?.end('ok', 'fine');
    host.span('x', { host: 'e' }).end('skipped');
    tick();
    const drawn = rows(last());
    expect(drawn.at(-1)).toBe('running 0 · done 4 (1 failed, 1 warning, 1 skipped) · waiting 1');
    expect(drawn[0]).toBe(' wait d: checks');
  });
  it('never draws more than a screenful, whatever the number of spans', () => {
    const { host, tick, last } = terminal({ rows: 12 });
    for (let i = 0; i < 10_000; i++) host.span('checks', { host: `h${i}` }).update('busy');
    tick();
    const drawn = rows(last());
    expect(drawn).toHaveLength(12 - 3);
    expect(drawn.at(-1)).toBe('running 10000 · done 0 · waiting 0 · 9992 not shown');
    expect(drawn[0]).toBe('   0s h0: busy');
  });
  it('cuts rows to the terminal width so nothing wraps', () => {
    const { host, tick, last } = terminal({ columns: 24 });
    host.span('checks', { host: 'pai-gpu-01' }).update('a very long status text that would wrap');
    tick();
    for (const row of rows(last())) expect(Array.from(row).length).toBeLessThan(24);
    expect(rows(last())[0]).toBe('   0s pai-gpu-01: a ve…');
  });
  it('prints messages and ended phases above the area in the next frame; machines that end ok are only counted', () => {
    const { host, stderr, tick, last } = terminal();
    const phase = host.span('check');
    const good = host.span('checks', { host: 'good' });
    const bad = host.span('checks', { host: 'bad' });
    tick();
    host.notify({ level: 'info', code: 'c', text: 'recorded a host key' });
    good.end('ok', 'all passed');
    bad.end('failed', 'unreachable');
    expect(stderr.chunks).toHaveLength(1);
    tick();
    const frame = last() ?? '';
    expect(frame).toMatch(/^\x1b\[4A\r\x1b\[J/); // up over the four rows drawn before, then erase: messages may wrap
    expect(strip(frame.slice(0, frame.indexOf('\x1b[2K')))).toBe(
      '\rrecorded a host key\nbad: unreachable (failed, 80 ms)\n',
    );
    expect(rows(frame)).toEqual(['   0s check', 'running 1 · done 2 (1 failed) · waiting 0']);
    vi.advanceTimersByTime(1120);
    phase.end('ok');
    tick();
    expect(strip(last() ?? '')).toMatch(/^\rcheck: done \(1\.2 s\)\nrunning 0 · done 3 \(1 failed\) · waiting 0\n$/);
    expect(stderr.text).not.toContain('all passed');
  });
  it('escapes control characters in rows and messages', () => {
    const { host, tick, last, stderr } = terminal();
    host.span('t\x1b[2J', { host: 'h\u009b' }).update('x\ry');
    host.notify({ level: 'info', code: 'c', text: 'm\x1b]0;t\x07' });
    tick();
    expect(rows(last())[0]).toBe('   0s h\\u009b: x\\x0dy');
    expect(stderr.text).toContain('m\\x1b]0;t\\x07\n');
  });
  it('writes cursor control but no colour when NO_COLOR is set', () => {
    const { host, tick, last } = terminal({ env: { NO_COLOR: '1' } });
    host.span('checks', { host: 'h' }).end('failed', 'down');
    host.span('checks', { host: 'i' }).update('busy');
    tick();
    expect(last()).toContain(HIDE);
    expect(last()).not.toMatch(/\x1b\[\d+m/);
  });
});

describe('terminal host: close and abort', () => {
  it('erases the area and prints the recap: a line per span not ok, then the totals; the cursor comes back', async () => {
    const { host, stderr, tick, last } = terminal({ env: { NO_COLOR: '1' } });
    host.span('checks', { host: 'a' }).end('ok', 'fine');
    const warn = host.span('checks', { host: 'b' });
    const failed = host.span('checks', { host: 'c' });
    host.span('checks', { host: 'd' }).update('stuck');
    tick();
    vi.advanceTimersByTime(1500);
    failed.end('failed', 'unreachable');
    warn.end('warn', 'old kernel');
    await host.close();
    await host.close();
    const recap = last() ?? '';
    expect(recap).toMatch(/^\x1b\[4A\r\x1b\[J/);
    expect(strip(recap).split('\n')).toEqual([
      '\rc: unreachable (failed, 1.5 s)',
      'b: old kernel (warnings, 1.5 s)',
      '  c: unreachable (failed, 1.5 s)',
      '  b: old kernel (warnings, 1.5 s)',
      '  d: checks: unfinished (1.5 s)',
      'recap: 4 in 1.5 s: 1 ok, 1 with warnings, 1 failed, 0 skipped, 1 unfinished',
      '',
    ]);
    expect(stderr.text.lastIndexOf(SHOW)).toBeGreaterThan(stderr.text.lastIndexOf(HIDE));
    const chunks = stderr.chunks.length;
    tick(2000);
    expect(stderr.chunks).toHaveLength(chunks);
    host.notify({ level: 'info', code: 'c', text: 'after close' });
    expect(stderr.text.endsWith('after close\n')).toBe(true);
  });
  it('gives the cursor back and stops drawing when the run is aborted', async () => {
    const controller = new AbortController();
    const { host, stderr, tick } = terminal({ signal: controller.signal });
    host.span('render');
    tick();
    expect(stderr.text).toContain(HIDE);
    controller.abort();
    expect(stderr.text.endsWith(SHOW)).toBe(true);
    const chunks = stderr.chunks.length;
    host.span('more');
    tick(2000);
    expect(stderr.chunks).toHaveLength(chunks);
    // Others write below the last frame after an abort: the recap must not move up over their lines.
    await host.close();
    expect(stderr.chunks.at(-1)).not.toMatch(/\x1b\[\d+A/);
    expect(strip(stderr.chunks.at(-1) ?? '')).toContain(
      'recap: 2 in 2.0 s: 0 ok, 0 with warnings, 0 failed, 0 skipped, 2 unfinished',
    );
  });
  it('takes the area down before a result when stdout is the same terminal', async () => {
    const { host, stdout, stderr, tick, last } = terminal({ stdoutTTY: true });
    host.span('render');
    tick();
    await host.result('report\n');
    expect(last()).toBe(`\x1b[2A\r\x1b[J${SHOW}`);
    expect(stdout.text).toBe('report\n');
    tick();
    expect(rows(stderr.chunks.at(-1))).toHaveLength(2);
    expect(stderr.chunks.at(-1)?.startsWith(HIDE)).toBe(true);
  });
});

describe('terminal host: questions', () => {
  it('stops the area, asks, then resumes; one question at a time', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const ask = async <T>(question: IoQuestion<T>, streams: PromptStreams): Promise<T> => {
      events.push(`ask ${question.code}`);
      expect(streams.input.isTTY).toBe(true);
      if (question.code === 'first') await new Promise<void>((resolve) => (release = resolve));
      events.push(`answered ${question.code}`);
      return (question.code === 'first') as T;
    };
    const { host, stderr, tick } = terminal({ stdinTTY: true, ask });
    host.span('render');
    tick();
    const first = host.request({ kind: 'confirm', code: 'first', text: 'First?' });
    const second = host.request({ kind: 'confirm', code: 'second', text: 'Second?' });
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['ask first']);
    expect(stderr.chunks.at(-1)).toBe(`\x1b[2A\r\x1b[J${SHOW}`);
    const before = stderr.chunks.length;
    host.notify({ level: 'info', code: 'c', text: 'held back while asking' });
    tick(500);
    expect(stderr.chunks).toHaveLength(before);
    release();
    await expect(first).resolves.toBe(true);
    expect(strip(stderr.chunks.slice(before).join(''))).toContain('held back while asking\n');
    await expect(second).resolves.toBe(false);
    expect(events).toEqual(['ask first', 'answered first', 'ask second', 'answered second']);
    tick();
    expect(stderr.chunks.at(-1)?.startsWith(HIDE)).toBe(true);
    expect(rows(stderr.chunks.at(-1))).toEqual(['   0s render', 'running 1 · done 0 · waiting 0']);
  });
  it('answers with the default, or a UsageError, when stdin is not a terminal', async () => {
    const ask = vi.fn();
    const { host, stderr } = terminal({ stdinTTY: false, ask });
    await expect(
      host.request({ kind: 'input', code: 'q', text: 'User', default: 'root', flag: '--ssh-user' }),
    ).resolves.toBe('root');
    expect(stderr.text).toBe('User: using the default "root" (pass --ssh-user to choose)\n');
    await expect(
      host.request({ kind: 'password', code: 'q', text: 'Password', flag: '--password-file' }),
    ).rejects.toBeInstanceOf(UsageError);
    expect(ask).not.toHaveBeenCalled();
  });
  it('passes a prompt failure on and keeps drawing', async () => {
    const ask = vi.fn(async () => {
      throw new Error('prompt broke');
    });
    const { host, stderr, tick } = terminal({ stdinTTY: true, ask });
    host.span('render');
    await expect(host.request({ kind: 'confirm', code: 'q', text: 'Q?' })).rejects.toThrow('prompt broke');
    tick();
    expect(rows(stderr.chunks.at(-1))).toHaveLength(2);
  });
});
