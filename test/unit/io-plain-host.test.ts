import { describe, expect, it } from 'vitest';
import { PlainHost } from '../../src/cli/io/plain-host.js';
import { OutputError, UsageError } from '../../src/errors.js';
import { FakeStream } from '../support/fake-stream.js';

function plainHost(
  options: {
    stdoutTTY?: boolean;
    stderrTTY?: boolean;
    env?: Record<string, string>;
    verbose?: boolean;
    stdoutFails?: string;
  } = {},
) {
  const stdout = new FakeStream({
    isTTY: options.stdoutTTY ?? false,
    ...(options.stdoutFails ? { failWith: options.stdoutFails } : {}),
  });
  const stderr = new FakeStream({ isTTY: options.stderrTTY ?? false });
  let clock = 1_000;
  const host = new PlainHost({
    stdout,
    stderr,
    env: { TERM: 'xterm', ...options.env },
    verbose: options.verbose ?? false,
    now: () => clock,
  });
  return { host, stdout, stderr, advance: (ms: number) => (clock += ms) };
}

describe('plain host: messages', () => {
  it('prints a line per message, with the machine first and warning/error prefixes', () => {
    const { host, stderr, stdout } = plainHost();
    host.notify({ level: 'info', code: 'x.info', text: 'connected', host: 'pai-gpu-01' });
    host.notify({ level: 'warn', code: 'x.warn', text: 'disk 85% full', host: 'pai-gpu-02' });
    host.notify({ level: 'error', code: 'x.error', text: 'no route to host' });
    host.notify({ level: 'debug', code: 'x.debug', text: 'not shown' });
    expect(stderr.text).toBe('pai-gpu-01: connected\nwarning: pai-gpu-02: disk 85% full\nerror: no route to host\n');
    expect(stdout.text).toBe('');
  });
  it('shows debug messages and span updates only when verbose', () => {
    const { host, stderr } = plainHost({ verbose: true });
    host.notify({ level: 'debug', code: 'x.debug', text: 'argv parsed' });
    host.span('checks', { host: 'pai-gpu-01' }).update('connecting');
    expect(stderr.text).toBe('debug: argv parsed\npai-gpu-01: checks\npai-gpu-01: connecting\n');
  });
  it('without --verbose, a long span shows its latest update every 15 s; a short one none', () => {
    const { host, stderr, advance } = plainHost();
    const span = host.span('kubespray cluster.yml');
    span.update('kubernetes/preinstall › Install packages (task 3)');
    advance(14_999);
    span.update('kubernetes/preinstall › Set timezone (task 4)');
    expect(stderr.text).toBe('kubespray cluster.yml\n');
    advance(1);
    span.update('container-engine/docker › Install docker (task 9)');
    advance(5_000);
    span.update('not yet');
    advance(10_000);
    span.update('download › Download containers (task 40)');
    span.end('ok');
    span.update('after the end: never');
    expect(stderr.text.split('\n').slice(0, 3)).toEqual([
      'kubespray cluster.yml',
      'kubespray cluster.yml: container-engine/docker › Install docker (task 9)',
      'kubespray cluster.yml: download › Download containers (task 40)',
    ]);
    expect(stderr.text).not.toContain('never');
  });
  it('colours the prefixes only when stderr may have colour, deciding stdout on its own', () => {
    const onTty = plainHost({ stderrTTY: true });
    onTty.host.notify({ level: 'warn', code: 'c', text: 'w' });
    onTty.host.notify({ level: 'error', code: 'c', text: 'e' });
    expect(onTty.stderr.text).toBe('\x1b[33mwarning:\x1b[39m w\n\x1b[31merror:\x1b[39m e\n');
    expect(onTty.host.stdoutColour).toBe(false);

    const redirected = plainHost({ stdoutTTY: true, stderrTTY: false });
    redirected.host.notify({ level: 'error', code: 'c', text: 'e' });
    expect(redirected.stderr.text).toBe('error: e\n');
    expect(redirected.host.stdoutColour).toBe(true);

    const noColour = plainHost({ stdoutTTY: true, stderrTTY: true, env: { NO_COLOR: '1' } });
    noColour.host.notify({ level: 'error', code: 'c', text: 'e' });
    expect(noColour.stderr.text).toBe('error: e\n');
    expect(noColour.host.stdoutColour).toBe(false);

    const forced = plainHost({ env: { FORCE_COLOR: '1' } });
    forced.host.notify({ level: 'error', code: 'c', text: 'e' });
    expect(forced.stderr.text).toContain('\x1b[31m');
    expect(forced.host.stdoutColour).toBe(true);
  });
  it('escapes control characters from input files in text, host names and titles', () => {
    const { host, stderr } = plainHost({ stderrTTY: true });
    host.notify({ level: 'info', code: 'c', host: 'evil\x1b]0;title\x07', text: 'line one\nline\u0085two \x1b[2J' });
    host.span('render\r\x1b[K', { host: 'h\u009b' }).end('ok', 'done\u2028');
    expect(stderr.text).toContain('evil\\x1b]0;title\\x07: line one\nline\\u0085two \\x1b[2J\n');
    expect(stderr.text).toContain('h\\u009b: render\\x0d\\x1b[K\n');
    expect(stderr.text).toContain('h\\u009b: done\\u2028 (');
    // The only escapes left are the palette's own colour codes.
    // eslint-disable-next-line no-control-regex -- stripping the palette's escapes
    expect(stderr.text.replace(/\x1b\[(2|22|3\d|39)m/g, '')).not.toContain('\x1b');
  });
});

describe('plain host: spans', () => {
  it('prints one line at begin and one at end, with the outcome and the elapsed time', () => {
    const { host, stderr, advance } = plainHost();
    const span = host.span('checks', { host: 'pai-gpu-01', phase: 'check' });
    span.update('connecting');
    advance(1_400);
    span.end('ok', '12 passed, 0 failed');
    expect(stderr.text).toBe('pai-gpu-01: checks\npai-gpu-01: 12 passed, 0 failed (1.4 s)\n');
  });
  it('names the outcome when it is not ok, and the title when there is no end text', () => {
    const { host, stderr, advance } = plainHost();
    const down = host.span('checks', { host: 'pai-gpu-02' });
    const phase = host.span('render');
    const skipped = host.span('deploy');
    advance(340);
    phase.end('ok');
    advance(1_660);
    down.end('failed', 'unreachable: connection refused');
    skipped.end('skipped');
    expect(stderr.text.split('\n').slice(3)).toEqual([
      'render: done (340 ms)',
      'pai-gpu-02: unreachable: connection refused (failed, 2.0 s)',
      'deploy: skipped (2.0 s)',
      '',
    ]);
  });
  it('ends a span once; updates after the end are ignored', () => {
    const { host, stderr } = plainHost({ verbose: true });
    const span = host.span('t');
    span.end('warn', 'first');
    span.end('failed', 'second');
    span.update('late');
    expect(stderr.text).toBe('t\nt: first (warnings, 0 ms)\n');
  });
});

describe('plain host: questions', () => {
  it('answers with the default and says so on stderr', async () => {
    const { host, stderr } = plainHost();
    await expect(
      host.request({
        kind: 'confirm',
        code: 'q.overwrite',
        text: 'Overwrite tty-work?',
        default: false,
        flag: '--force',
      }),
    ).resolves.toBe(false);
    await expect(
      host.request({ kind: 'input', code: 'q.user', text: 'SSH user', default: 'root', flag: 'ssh-user' }),
    ).resolves.toBe('root');
    const choices = [
      { value: 1, name: 'one' },
      { value: 2, name: 'two' },
    ];
    await expect(
      host.request({ kind: 'select', code: 'q.n', text: 'How many', choices, default: 2, flag: '--count' }),
    ).resolves.toBe(2);
    expect(stderr.text).toBe(
      'Overwrite tty-work?: using the default "no" (pass --force to choose)\n' +
        'SSH user: using the default "root" (pass --ssh-user to choose)\n' +
        'How many: using the default "two" (pass --count to choose)\n',
    );
  });
  it('throws a UsageError naming the flag when there is no default', async () => {
    const { host, stderr } = plainHost();
    const error = await host
      .request({
        kind: 'confirm',
        code: 'q.key',
        text: 'Trust the host key of pai-gpu-01?',
        flag: '--accept-new-host-keys',
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      'Trust the host key of pai-gpu-01? needs an answer: pass --accept-new-host-keys',
    );
    expect((error as UsageError).exitCode).toBe(2);
    expect(stderr.text).toBe('');
  });
  it('never answers a password question', async () => {
    const { host } = plainHost();
    await expect(
      host.request({ kind: 'password', code: 'q.pw', text: 'sudo password', flag: '--become-password-file' }),
    ).rejects.toThrow('sudo password needs an answer: pass --become-password-file');
  });
  it('says there is no terminal when the question has no flag, and rejects a default its validator refuses', async () => {
    const { host } = plainHost();
    await expect(host.request({ kind: 'input', code: 'q', text: 'Name' })).rejects.toThrow(
      /Name needs an answer, and there is no terminal/,
    );
    const validate = (value: string) => (value.length > 3 ? true : 'too short');
    await expect(
      host.request({ kind: 'input', code: 'q', text: 'Name', default: 'ab', validate, flag: '--name' }),
    ).rejects.toThrow(UsageError);
  });
});

describe('plain host: stdout', () => {
  it('writes the result to stdout exactly as given', async () => {
    const { host, stdout, stderr } = plainHost();
    await host.result('report\n\x1b[31mcoloured by the caller\x1b[39m\n');
    expect(stdout.text).toBe('report\n\x1b[31mcoloured by the caller\x1b[39m\n');
    expect(stderr.text).toBe('');
  });
  it('resolves when the reader has gone (EPIPE) and drops later results', async () => {
    const { host, stdout } = plainHost({ stdoutFails: 'EPIPE' });
    await expect(host.result('first\n')).resolves.toBeUndefined();
    expect(host.stdoutClosed).toBe(true);
    stdout.failWith = undefined;
    await expect(host.result('second\n')).resolves.toBeUndefined();
    expect(stdout.text).toBe('');
  });
  it('rejects with an OutputError when stdout cannot take the result (ENOSPC)', async () => {
    const { host } = plainHost({ stdoutFails: 'ENOSPC' });
    const error = await host.result('report\n').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutputError);
    expect((error as OutputError).message).toBe('cannot write the result to stdout: no space left on device');
    expect(host.stdoutClosed).toBe(false);
  });
  it('keeps going when stderr fails, and close is idempotent', async () => {
    const { host, stderr } = plainHost();
    stderr.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(() => host.notify({ level: 'error', code: 'c', text: 'nobody reads this' })).not.toThrow();
    await host.close();
    await host.close();
  });
});
