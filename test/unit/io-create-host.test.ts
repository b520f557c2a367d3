import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createIoHost } from '../../src/cli/io/create-io-host.js';
import { JsonHost } from '../../src/cli/io/json-host.js';
import { PlainHost } from '../../src/cli/io/plain-host.js';
import { askOnTerminal } from '../../src/cli/io/prompt.js';
import { TerminalHost } from '../../src/cli/io/terminal-host.js';
import { InterruptedError } from '../../src/errors.js';
import type { IoHost } from '../../src/ports/io-host.js';
import { FakeStream } from '../support/fake-stream.js';

const made: IoHost[] = [];
function create(
  progress: 'auto' | 'plain' | 'json',
  stderr: FakeStream,
  env: Record<string, string> = { TERM: 'xterm' },
): IoHost {
  const host = createIoHost({
    progress,
    stdout: new FakeStream({ isTTY: false }),
    stderr,
    env,
    stdin: Object.assign(new PassThrough(), { isTTY: true }),
  });
  made.push(host);
  return host;
}
afterEach(async () => {
  for (const host of made.splice(0)) await host.close();
});

describe('createIoHost', () => {
  it('draws live only when progress is auto and stderr is a terminal that reports its size', () => {
    expect(create('auto', new FakeStream({ isTTY: true, columns: 100, rows: 40 }))).toBeInstanceOf(TerminalHost);
    expect(create('auto', new FakeStream({ isTTY: true, columns: 0, rows: 0 }))).toBeInstanceOf(PlainHost);
    expect(create('auto', new FakeStream({ isTTY: false }))).toBeInstanceOf(PlainHost);
    expect(create('auto', new FakeStream({ isTTY: true, columns: 100, rows: 40 }), { TERM: 'dumb' })).toBeInstanceOf(
      PlainHost,
    );
  });
  it('gives plain lines or JSON lines when asked, even on a terminal', () => {
    expect(create('plain', new FakeStream({ isTTY: true, columns: 100, rows: 40 }))).toBeInstanceOf(PlainHost);
    expect(create('json', new FakeStream({ isTTY: true, columns: 100, rows: 40 }))).toBeInstanceOf(JsonHost);
  });
});

describe('askOnTerminal (@inquirer/prompts)', () => {
  const streams = () => ({
    input: Object.assign(new PassThrough(), { isTTY: true }),
    output: new FakeStream({ isTTY: true, columns: 80, rows: 24 }),
  });
  it('asks on stderr and reads the answer from stdin, with the question text escaped', async () => {
    const io = streams();
    const answer = askOnTerminal({ kind: 'input', code: 'q', text: 'SSH user\x1b[2J', default: 'root' }, io);
    setTimeout(() => io.input.write('admin\n'), 20);
    await expect(answer).resolves.toBe('admin');
    expect(io.output.text).toContain('SSH user\\x1b[2J');
  });
  it('turns Ctrl-C in a prompt into the InterruptedError the CLI maps to exit 130', async () => {
    const io = streams();
    const answer = askOnTerminal({ kind: 'confirm', code: 'q', text: 'Go on?' }, io);
    setTimeout(() => io.input.write('\x03'), 20);
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);
  });
  it('cancels an open prompt when the run is aborted', async () => {
    const controller = new AbortController();
    const answer = askOnTerminal(
      { kind: 'password', code: 'q', text: 'Password' },
      { ...streams(), signal: controller.signal },
    );
    setTimeout(() => controller.abort('SIGTERM'), 20);
    const error = await answer.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).message).toBe('interrupted by SIGTERM');
  });
});
