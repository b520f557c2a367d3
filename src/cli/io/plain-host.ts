import type { IoHost, IoMessage, IoQuestion, Span, SpanOptions, SpanOutcome } from '../../ports/io-host.js';
import { formatMessage, spanBeginText, spanEndText, spanUpdateText } from './format.js';
import { answerWithoutAsking, usingDefaultText } from './questions.js';
import { ResultWriter, StderrSink, type HostStream } from './streams.js';
import { makePalette, streamColour, type Env, type Palette } from './style.js';

export interface PlainHostOptions {
  readonly stdout: HostStream;
  readonly stderr: HostStream;
  readonly env: Env;
  /** Also print span updates and debug messages. */
  readonly verbose?: boolean;
  /** Milliseconds clock for elapsed times (tests pass a fake one). */
  readonly now?: () => number;
  /**
   * Without --verbose, a span's update is printed when this long has passed since the span's last line (default
   * 15 s): a 40-minute kubespray run shows its current task in a CI log every quarter minute, a short span nothing.
   */
  readonly heartbeatMs?: number;
}

const HEARTBEAT_MS = 15_000;

/**
 * Lines on stderr, nothing redrawn: for logs, CI and redirected stderr. A span is one line when it begins and one when
 * it ends, with its latest update between them at most every heartbeatMs (every update with --verbose); questions are never asked (see answerWithoutAsking).
 */
export class PlainHost implements IoHost {
  readonly stdoutColour: boolean;
  /** Never asks (see IoHost.interactive). */
  readonly interactive = false;
  readonly #stderr: StderrSink;
  readonly #result: ResultWriter;
  readonly #palette: Palette;
  readonly #verbose: boolean;
  readonly #now: () => number;
  readonly #heartbeatMs: number;

  constructor(options: PlainHostOptions) {
    this.stdoutColour = streamColour(options.stdout, options.env);
    this.#palette = makePalette(streamColour(options.stderr, options.env));
    this.#stderr = new StderrSink(options.stderr);
    this.#result = new ResultWriter(options.stdout);
    this.#verbose = options.verbose ?? false;
    this.#now = options.now ?? Date.now;
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  /** Whether stdout's reader has gone (EPIPE). */
  get stdoutClosed(): boolean {
    return this.#result.readerGone;
  }

  notify(message: IoMessage): void {
    const line = formatMessage(message, this.#palette, this.#verbose);
    if (line !== undefined) this.#stderr.write(line);
  }

  result(text: string): Promise<void> {
    return this.#result.write(text);
  }

  request<T>(question: IoQuestion<T>): Promise<T> {
    try {
      return Promise.resolve(
        answerWithoutAsking(question, (answer) => {
          if (answer !== undefined) this.#stderr.write(`${usingDefaultText(question, answer.shown)}\n`);
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  span(title: string, options: SpanOptions = {}): Span {
    const label = { title, host: options.host };
    const started = this.#now();
    let ended = false;
    let lastLine = started;
    this.#stderr.write(`${spanBeginText(label)}\n`);
    return {
      update: (text: string) => {
        if (ended) return;
        const now = this.#now();
        if (!this.#verbose && now - lastLine < this.#heartbeatMs) return;
        lastLine = now;
        this.#stderr.write(`${spanUpdateText(label, text)}\n`);
      },
      end: (outcome: SpanOutcome, text?: string) => {
        if (ended) return;
        ended = true;
        this.#stderr.write(`${spanEndText(label, outcome, text, this.#now() - started, this.#palette)}\n`);
      },
    };
  }

  close(): Promise<void> {
    return this.#stderr.flush();
  }
}
