import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** For describeWithInfra: null when tmux is installed. */
export function tmuxUnavailable(): string | null {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'tmux is not installed (apt-get install tmux)';
  }
}

export interface TmuxTerminalOptions {
  cwd: string;
  env: Record<string, string>;
}

/** What a test drives: a real terminal's screen, read with capture-pane, and keys sent to it. */
export interface TmuxTerminal {
  readonly name: string;
  screen(): string;
  /** Waits for `text` in what the terminal shows after the last wait. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Keys as tmux names them (`Enter`, `Down`, `C-c`). */
  keys(...keys: string[]): void;
  /** Literal text. */
  type(text: string): void;
  /** Types a secret through a tmux buffer read from stdin: it never appears on a command line. */
  paste(secret: string): void;
  answer(prompt: string | RegExp, text: string, timeoutMs?: number): Promise<string>;
  /** Waits for the command to end; its exit code. */
  exit(timeoutMs?: number): Promise<number>;
}

/**
 * A tmux server of the test file's own (its own socket `socket`), so no other tmux session is seen or touched;
 * killed, and its socket file removed, after the file's tests. `new TmuxTerminal(command, options)` runs one command
 * in a 200x60 session.
 */
export function useTmux(socket: string): {
  TmuxTerminal: new (command: string, options: TmuxTerminalOptions) => TmuxTerminal;
  opened: TmuxTerminal[];
} {
  const tmux = (args: readonly string[], options: { input?: string } = {}): string =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', ...options });
  let sessions = 0;
  const opened: TmuxTerminal[] = [];

  class Terminal implements TmuxTerminal {
    readonly name = `term-${++sessions}`;
    #seen = '';

    constructor(command: string, options: TmuxTerminalOptions) {
      const env = Object.entries({ TERM: 'xterm-256color', ...options.env }).flatMap(([key, value]) => [
        '-e',
        `${key}=${value}`,
      ]);
      // The shell reports the command's exit code on the screen (tmux does not always reap a pane's process promptly).
      const wrapped = `${command}; echo "[exit $?]"; sleep 600`;
      tmux(['new-session', '-d', '-s', this.name, '-x', '200', '-y', '60', '-c', options.cwd, ...env, wrapped]);
      opened.push(this);
    }

    screen(): string {
      return tmux(['capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name]);
    }

    async waitFor(text: string | RegExp, timeoutMs = 15_000): Promise<string> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const screen = this.screen();
        const fresh = screen.startsWith(this.#seen) ? screen.slice(this.#seen.length) : screen;
        if (typeof text === 'string' ? fresh.includes(text) : text.test(fresh)) {
          this.#seen = screen.replace(/\n+$/, '');
          return fresh;
        }
        if (Date.now() > until) throw new Error(`not on the screen within ${timeoutMs} ms: ${String(text)}\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    keys(...keys: string[]): void {
      tmux(['send-keys', '-t', this.name, ...keys]);
    }
    type(text: string): void {
      tmux(['send-keys', '-t', this.name, '-l', text]);
    }
    paste(secret: string): void {
      tmux(['load-buffer', '-b', this.name, '-'], { input: secret });
      tmux(['paste-buffer', '-d', '-b', this.name, '-t', this.name]);
    }
    async answer(prompt: string | RegExp, text: string, timeoutMs?: number): Promise<string> {
      const shown = await this.waitFor(prompt, timeoutMs);
      if (text !== '') this.type(text);
      this.keys('Enter');
      return shown;
    }

    async exit(timeoutMs = 30_000): Promise<number> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const code = /\[exit (\d+)\]/.exec(this.screen())?.[1];
        if (code !== undefined) return Number(code);
        if (Date.now() > until) throw new Error(`still running after ${timeoutMs} ms:\n${this.screen()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  afterAll(() => {
    if (opened.length === 0) return;
    try {
      tmux(['kill-server']);
    } catch {
      // already gone
    }
    // kill-server leaves the socket file behind.
    rmSync(join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  });
  return { TmuxTerminal: Terminal, opened };
}
