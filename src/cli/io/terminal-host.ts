import { writeSync } from 'node:fs';
import type { IoHost, IoMessage, IoQuestion, Span, SpanOptions, SpanOutcome } from '../../ports/io-host.js';
import { formatMessage, spanEndText } from './format.js';
import { frameLines, recapLines, type TerminalSize } from './live-frame.js';
import { LiveSpans } from './live-state.js';
import { PlainHost } from './plain-host.js';
import { askOnTerminal, type PromptStreams } from './prompt.js';
import { answerWithoutAsking, usingDefaultText } from './questions.js';
import { ResultWriter, StderrSink, type HostInput, type HostStream } from './streams.js';
import { makePalette, streamColour, type Env, type Palette } from './style.js';

/**
 * The live display on a terminal: in-flight spans and counters drawn on stderr, redrawn in place.
 *
 * Hand-written rather than listr2, for cost. listr2 9.0.5's default renderer with one task per machine, each updating
 * its output every 100 ms, measured on a pseudo-terminal (100x40): 50 rows 3.6 s CPU for a 3.8 s run, 100 rows
 * 13.7 s CPU, 200 rows still not done after 60 s (earlier: ~10 s CPU for 200 rows, 300 never finish). It re-renders
 * every task on every change. This one costs O(1) per span event and O(rows on screen) per frame, frames at most
 * every `intervalMs` and only when something changed (or once a second for the elapsed times): 1,000 spans over 2 s,
 * ~430 in flight, ~15,000 updates cost 35-50 ms CPU on a 100x30 pseudo-terminal (test/e2e/io-live-display.test.ts).
 *
 * Drawing: each frame is one write: cursor up over the previous frame, then each line behind a clear-line, then
 * erase-down for any leftover rows. Messages are queued and printed above the area in the next frame (erase, print,
 * redraw), never one write per event. Lines are cut to the width so nothing wraps (wrapping would break the
 * cursor-up count). Known gap: narrowing the terminal while the area is up rewraps rows already drawn, so the next
 * erase falls short and a few stale rows stay in the scrollback.
 *
 * Everything else written straight to process.stderr while the area is up would be overwritten: go through notify.
 */
export interface TerminalHostOptions {
  readonly stdout: HostStream;
  readonly stderr: HostStream;
  readonly env: Env;
  /** Where prompts read answers; without a terminal here questions are answered like the plain host does. */
  readonly stdin?: HostInput | undefined;
  /** Also print debug messages. */
  readonly verbose?: boolean;
  /** Milliseconds between redraw checks (default 80). */
  readonly intervalMs?: number;
  /** Milliseconds clock (tests pass a fake one). */
  readonly now?: () => number;
  /** Stops drawing (the last frame stays), gives the cursor back and cancels an open prompt; close() still prints the recap. */
  readonly signal?: AbortSignal;
  /** Asks a question on the terminal; defaults to @inquirer/prompts (tests pass a fake). */
  readonly ask?: <T>(question: IoQuestion<T>, streams: PromptStreams) => Promise<T>;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR_LINE = '\x1b[2K';
const ERASE_DOWN = '\x1b[J';
/** Without a change, redraw this often anyway so the elapsed seconds move. */
const CLOCK_REDRAW_MS = 1000;

/** Whether a stream is a terminal that reports its width, so a live display can be cut to it. */
export function isSizedTerminal(stream: HostStream, env: Env): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0 && env['TERM'] !== 'dumb';
}

export class TerminalHost implements IoHost {
  readonly stdoutColour: boolean;
  readonly #options: TerminalHostOptions;
  readonly #sink: StderrSink;
  readonly #result: ResultWriter;
  readonly #palette: Palette;
  readonly #now: () => number;
  readonly #spans = new LiveSpans();
  /** Message lines waiting for the next frame, printed above the area. */
  #pending: string[] = [];
  /** Rows of the live area now on screen, below which the cursor sits. */
  #drawn = 0;
  #dirty = false;
  #lastDraw = 0;
  #size: TerminalSize;
  #timer: NodeJS.Timeout | undefined;
  #cursorHidden = false;
  #asking = false;
  #stopped = false;
  #questions: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #afterClose: PlainHost | undefined;
  readonly #unregister: Array<() => void> = [];

  constructor(options: TerminalHostOptions) {
    this.#options = options;
    this.stdoutColour = streamColour(options.stdout, options.env);
    this.#palette = makePalette(streamColour(options.stderr, options.env));
    this.#sink = new StderrSink(options.stderr);
    this.#result = new ResultWriter(options.stdout);
    this.#now = options.now ?? Date.now;
    this.#size = this.#measure();
    this.#timer = setInterval(() => this.#tick(), options.intervalMs ?? 80);
    // A forgotten close() must not keep the process alive.
    this.#timer.unref();
    const onResize = () => {
      this.#size = this.#measure();
      this.#dirty = true;
    };
    options.stderr.on('resize', onResize);
    this.#unregister.push(() => options.stderr.off('resize', onResize));
    // Ctrl-C (the CLI exits from its SIGINT handler), a crash, any exit: never leave the cursor hidden. 'exit'
    // listeners run synchronously inside process.exit(), hence the synchronous write.
    const restore = () => this.#restoreNow();
    process.on('exit', restore);
    this.#unregister.push(() => process.off('exit', restore));
    if (options.signal !== undefined) {
      const onAbort = () => {
        this.#stop();
        // Whatever runs next (the CLI's "interrupted", clean-ups) writes below the last frame, so it stays as it is:
        // erasing it later would move the cursor up over their lines.
        this.#drawn = 0;
        this.#restoreNow();
      };
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
      this.#unregister.push(() => options.signal?.removeEventListener('abort', onAbort));
    }
  }

  get stdoutClosed(): boolean {
    return this.#result.readerGone;
  }

  /** IoHost.interactive: the same as canAsk, for callers that hold any IoHost. */
  get interactive(): boolean {
    return this.canAsk;
  }

  notify(message: IoMessage): void {
    if (this.#afterClose) return this.#afterClose.notify(message);
    const line = formatMessage(message, this.#palette, this.#options.verbose ?? false);
    if (line !== undefined) this.#print(line);
  }

  async result(text: string): Promise<void> {
    // stdout on the same terminal would be written into the live area: take it down first; the next tick redraws it.
    if (this.#options.stdout.isTTY === true && !this.#asking) {
      this.#takeDown(true);
      this.#dirty = true;
    }
    return this.#result.write(text);
  }

  /** Whether questions are really asked (stdin is a terminal too), not answered with their defaults. */
  get canAsk(): boolean {
    return this.#options.stdin?.isTTY === true;
  }

  request<T>(question: IoQuestion<T>): Promise<T> {
    const stdin = this.#options.stdin;
    if (stdin?.isTTY === true) {
      // One prompt at a time: two would fight over the terminal.
      const asked = this.#questions.then(() => this.#ask(question, stdin));
      this.#questions = asked.catch(() => undefined);
      return asked;
    }
    try {
      return Promise.resolve(
        answerWithoutAsking(question, (answer) => {
          if (answer !== undefined) this.#print(`${usingDefaultText(question, answer.shown)}\n`);
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  span(title: string, options: SpanOptions = {}): Span {
    if (this.#afterClose) return this.#afterClose.span(title, options);
    const live = this.#spans.begin(title, options, this.#now());
    this.#dirty = true;
    return {
      update: (text: string) => {
        if (this.#spans.update(live, text)) this.#dirty = true;
      },
      end: (outcome: SpanOutcome, text?: string) => {
        const ended = this.#spans.end(live, outcome, text, this.#now());
        if (ended === undefined) return;
        this.#dirty = true;
        // Phases and machines that did not end ok leave a line above the area (a log of what happened); the many
        // machines that ended ok are only counted.
        if (live.host === undefined || outcome === 'failed' || outcome === 'warn') {
          this.#pending.push(`${spanEndText(live, outcome, text, ended.elapsedMs, this.#palette)}\n`);
        }
      },
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#questions;
    this.#stop();
    for (const unregister of this.#unregister.splice(0)) unregister();
    const recap = recapLines(this.#spans, this.#now(), this.#palette);
    this.#takeDown(true, recap.map((line) => `${line}\n`).join(''));
    this.#afterClose = new PlainHost({ ...this.#options, verbose: this.#options.verbose ?? false });
    await this.#sink.flush();
  }

  async #ask<T>(question: IoQuestion<T>, input: HostInput): Promise<T> {
    this.#asking = true;
    this.#takeDown(true);
    try {
      await this.#sink.flush();
      return await (this.#options.ask ?? askOnTerminal)(question, {
        input,
        output: this.#options.stderr,
        signal: this.#options.signal,
      });
    } finally {
      this.#asking = false;
      this.#dirty = true;
    }
  }

  /** A message line: straight out when nothing is drawn, else queued for the next frame. */
  #print(line: string): void {
    const live = this.#drawn > 0 || this.#spans.running.size + this.#spans.waiting.size > 0;
    if (this.#asking || (live && !this.#stopped)) {
      this.#pending.push(line);
      this.#dirty = true;
    } else {
      this.#sink.write(this.#pending.splice(0).join('') + line);
    }
  }

  #tick(): void {
    if (this.#asking || this.#stopped) return;
    const now = this.#now();
    if (!this.#dirty && (this.#drawn === 0 || now - this.#lastDraw < CLOCK_REDRAW_MS)) return;
    this.#draw(now);
  }

  #draw(now: number): void {
    const lines = frameLines(this.#spans, this.#size, now, this.#palette);
    const messages = this.#pending.splice(0).join('');
    let out = '';
    if (lines.length > 0 && !this.#cursorHidden) {
      out += HIDE_CURSOR;
      this.#cursorHidden = true;
    }
    if (this.#drawn > 0) out += `\x1b[${this.#drawn}A\r`;
    // Messages may wrap, so the old area goes at once; otherwise each row is overwritten in place (no flicker).
    if (messages !== '') out += ERASE_DOWN + messages;
    for (const line of lines) out += `${CLEAR_LINE}${line}\n`;
    if (messages === '' && lines.length < this.#drawn) out += ERASE_DOWN;
    this.#drawn = lines.length;
    this.#dirty = false;
    this.#lastDraw = now;
    this.#sink.write(out);
  }

  /**
   * Erases the live area, prints the queued messages, then `after`, and gives the cursor back (someone else writes
   * next: a result, a prompt, the recap); the next frame draws the area again.
   */
  #takeDown(showCursor: boolean, after = ''): void {
    const erase = this.#drawn > 0 ? `\x1b[${this.#drawn}A\r${ERASE_DOWN}` : '';
    const cursor = showCursor && this.#cursorHidden ? SHOW_CURSOR : '';
    if (showCursor) this.#cursorHidden = false;
    this.#drawn = 0;
    this.#sink.write(erase + this.#pending.splice(0).join('') + after + cursor);
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Synchronous, for exit paths: queued messages and the cursor, straight to the descriptor when there is one. */
  #restoreNow(): void {
    const text = this.#pending.splice(0).join('') + (this.#cursorHidden ? SHOW_CURSOR : '');
    this.#cursorHidden = false;
    if (text === '') return;
    const fd = this.#options.stderr.fd;
    try {
      if (typeof fd === 'number') writeSync(fd, text);
      else this.#sink.write(text);
    } catch {
      // The terminal is gone; nothing left to restore.
    }
  }

  #measure(): TerminalSize {
    const { stderr, env } = this.#options;
    const fromEnv = (name: string) => {
      const value = Number(env[name]);
      return Number.isInteger(value) && value > 0 ? value : undefined;
    };
    return {
      rows: (stderr.rows ?? 0) > 0 ? (stderr.rows as number) : (fromEnv('LINES') ?? 24),
      columns: (stderr.columns ?? 0) > 0 ? (stderr.columns as number) : (fromEnv('COLUMNS') ?? 80),
    };
  }
}
