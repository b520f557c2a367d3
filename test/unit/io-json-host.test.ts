import { describe, expect, it } from 'vitest';
import { JsonHost, jsonLine } from '../../src/cli/io/json-host.js';
import { OutputError, UsageError } from '../../src/errors.js';
import { FakeStream } from '../support/fake-stream.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 600);

function jsonHost(options: { stdoutFails?: string; stdoutTTY?: boolean } = {}) {
  const stdout = new FakeStream({ isTTY: options.stdoutTTY ?? false, failWith: options.stdoutFails });
  const stderr = new FakeStream({ isTTY: true });
  let clock = T0;
  const host = new JsonHost({ stdout, stderr, env: { TERM: 'xterm' }, now: () => clock });
  const lines = () =>
    stderr.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { host, stdout, stderr, lines, advance: (ms: number) => (clock += ms) };
}

describe('JSON lines host', () => {
  it('writes one message object per line, optional fields omitted', () => {
    const { host, stderr, lines } = jsonHost();
    host.notify({
      level: 'warn',
      code: 'check.disk',
      text: 'disk 85% full',
      phase: 'check',
      host: 'pai-gpu-01',
      data: { percent: 85 },
    });
    host.notify({ level: 'info', code: 'plan.ready', text: 'ready' });
    expect(stderr.text.endsWith('\n')).toBe(true);
    expect(lines()).toEqual([
      {
        type: 'message',
        level: 'warn',
        code: 'check.disk',
        phase: 'check',
        host: 'pai-gpu-01',
        text: 'disk 85% full',
        data: { percent: 85 },
        time: '2025-01-02T03:04:05.600Z',
      },
      { type: 'message', level: 'info', code: 'plan.ready', text: 'ready', time: '2025-01-02T03:04:05.600Z' },
    ]);
  });
  it('writes span begin, update and end events with an id, the outcome and elapsedMs', () => {
    const { host, lines, advance } = jsonHost();
    const first = host.span('checks', { host: 'pai-gpu-01', phase: 'check' });
    const second = host.span('render');
    first.update('connecting');
    advance(1_234);
    first.end('failed', 'unreachable');
    first.end('ok');
    first.update('ignored');
    second.end('ok');
    const base = { type: 'span', id: 1, title: 'checks', phase: 'check', host: 'pai-gpu-01' };
    expect(lines()).toEqual([
      { ...base, event: 'begin', time: '2025-01-02T03:04:05.600Z' },
      { type: 'span', id: 2, title: 'render', event: 'begin', time: '2025-01-02T03:04:05.600Z' },
      { ...base, event: 'update', text: 'connecting', time: '2025-01-02T03:04:05.600Z' },
      {
        ...base,
        event: 'end',
        text: 'unreachable',
        outcome: 'failed',
        elapsedMs: 1234,
        time: '2025-01-02T03:04:06.834Z',
      },
      {
        type: 'span',
        id: 2,
        title: 'render',
        event: 'end',
        outcome: 'ok',
        elapsedMs: 1234,
        time: '2025-01-02T03:04:06.834Z',
      },
    ]);
  });
  it('keeps text exact for the reader but never writes a raw control character', () => {
    const { host, stderr, lines } = jsonHost();
    const text = 'a\x1b[31mb\nc\u0085d\u2028e\u009bf\x7f';
    host.notify({ level: 'info', code: 'c', text, host: 'h\x1b' });
    host.span(text).end('ok');
    expect(stderr.text.split('\n')).toHaveLength(4); // three lines and the final newline: no raw newline inside one
    expect(stderr.text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/); // eslint-disable-line no-control-regex
    expect(stderr.text).toContain('\\u001b[31m');
    expect(stderr.text).toContain('\\u0085');
    expect(stderr.text).toContain('\\u2028');
    const [message, begin] = lines();
    expect(message?.['text']).toBe(text);
    expect(message?.['host']).toBe('h\x1b');
    expect(begin?.['title']).toBe(text);
  });
  it('survives data that JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(
      JSON.parse(jsonLine({ type: 'message', level: 'info', code: 'c', text: 't', data: { big: 10n }, time: 'x' })),
    ).toMatchObject({ data: { big: '10' } });
    expect(
      JSON.parse(jsonLine({ type: 'message', level: 'info', code: 'c', text: 't', data: cyclic, time: 'x' })),
    ).toMatchObject({ data: { unserializable: true } });
  });
  it('answers questions with the default, as a question line', async () => {
    const { host, lines } = jsonHost();
    await expect(
      host.request({ kind: 'confirm', code: 'q.go', text: 'Go on?', default: true, flag: 'yes' }),
    ).resolves.toBe(true);
    expect(lines()).toEqual([
      {
        type: 'question',
        kind: 'confirm',
        code: 'q.go',
        text: 'Go on?',
        flag: '--yes',
        answer: 'default',
        value: true,
        time: '2025-01-02T03:04:05.600Z',
      },
    ]);
  });
  it('throws the UsageError without a default, after a question line saying it had no answer', async () => {
    const { host, lines } = jsonHost();
    await expect(
      host.request({ kind: 'password', code: 'q.pw', text: 'sudo password', flag: '--become-password-file' }),
    ).rejects.toThrow(UsageError);
    expect(lines()).toEqual([
      {
        type: 'question',
        kind: 'password',
        code: 'q.pw',
        text: 'sudo password',
        flag: '--become-password-file',
        answer: 'none',
        time: '2025-01-02T03:04:05.600Z',
      },
    ]);
  });
  it('writes the result to stdout; EPIPE resolves, ENOSPC rejects with an OutputError', async () => {
    const ok = jsonHost({ stdoutTTY: true });
    await ok.host.result('{"valid":true}\n');
    expect(ok.stdout.text).toBe('{"valid":true}\n');
    expect(ok.host.stdoutColour).toBe(true);
    const gone = jsonHost({ stdoutFails: 'EPIPE' });
    await expect(gone.host.result('x')).resolves.toBeUndefined();
    expect(gone.host.stdoutClosed).toBe(true);
    await expect(jsonHost({ stdoutFails: 'ENOSPC' }).host.result('x')).rejects.toBeInstanceOf(OutputError);
  });
});
