import type { IoHost, IoMessage, IoQuestion, Span, SpanOptions, SpanOutcome } from '../../ports/io-host.js';
import { answerWithoutAsking, flagName } from './questions.js';
import { ResultWriter, StderrSink, type HostStream } from './streams.js';
import { streamColour, type Env } from './style.js';

export interface JsonHostOptions {
  readonly stdout: HostStream;
  readonly stderr: HostStream;
  readonly env: Env;
  /** Milliseconds clock for `time` and `elapsedMs` (tests pass a fake one). */
  readonly now?: () => number;
}

/** The shapes of the lines on stderr, one JSON object per line (`--progress json`). Optional fields are omitted. */
export type JsonEvent =
  | {
      type: 'message';
      level: IoMessage['level'];
      code: string;
      phase?: string;
      host?: string;
      text: string;
      data?: Record<string, unknown>;
      time: string;
    }
  | {
      type: 'span';
      event: 'begin' | 'update' | 'end';
      id: number;
      title: string;
      phase?: string;
      host?: string;
      text?: string;
      outcome?: SpanOutcome;
      elapsedMs?: number;
      time: string;
    }
  | {
      type: 'question';
      kind: IoQuestion<unknown>['kind'];
      code: string;
      text: string;
      flag?: string;
      answer: 'default' | 'none';
      value?: unknown;
      time: string;
    };

/**
 * JSON has its own escapes, so the text is kept exact for the program reading it; JSON.stringify already writes C0
 * controls as \u00XX, and this also escapes DEL, C1 and U+2028/2029, which it leaves raw, so a person tailing the
 * stream on a terminal is safe too. The result is still valid JSON that parses to the same value.
 */
export function jsonLine(event: JsonEvent): string {
  return `${stringify(event).replace(/[\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

function stringify(event: JsonEvent): string {
  const bigints = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);
  try {
    return JSON.stringify(event, bigints);
  } catch {
    // A cycle in `data`: the message matters more than its details.
    return JSON.stringify({ ...event, data: { unserializable: true } }, bigints);
  }
}

export class JsonHost implements IoHost {
  readonly stdoutColour: boolean;
  /** Never asks (see IoHost.interactive). */
  readonly interactive = false;
  readonly #stderr: StderrSink;
  readonly #result: ResultWriter;
  readonly #now: () => number;
  #nextId = 1;

  constructor(options: JsonHostOptions) {
    this.stdoutColour = streamColour(options.stdout, options.env);
    this.#stderr = new StderrSink(options.stderr);
    this.#result = new ResultWriter(options.stdout);
    this.#now = options.now ?? Date.now;
  }

  get stdoutClosed(): boolean {
    return this.#result.readerGone;
  }

  notify(message: IoMessage): void {
    const { level, code, phase, host, text, data } = message;
    this.#emit({ type: 'message', level, code, phase, host, text, data, time: this.#time() });
  }

  result(text: string): Promise<void> {
    return this.#result.write(text);
  }

  request<T>(question: IoQuestion<T>): Promise<T> {
    try {
      return Promise.resolve(
        answerWithoutAsking(question, (answer) => {
          const flag = question.flag === undefined ? undefined : flagName(question.flag);
          const base = {
            type: 'question' as const,
            kind: question.kind,
            code: question.code,
            text: question.text,
            flag,
            time: this.#time(),
          };
          this.#emit(
            answer === undefined ? { ...base, answer: 'none' } : { ...base, answer: 'default', value: answer.value },
          );
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  span(title: string, options: SpanOptions = {}): Span {
    const id = this.#nextId++;
    const started = this.#now();
    const base = { type: 'span' as const, id, title, phase: options.phase, host: options.host };
    let ended = false;
    this.#emit({ ...base, event: 'begin', time: this.#time(started) });
    return {
      update: (text: string) => {
        if (!ended) this.#emit({ ...base, event: 'update', text, time: this.#time() });
      },
      end: (outcome: SpanOutcome, text?: string) => {
        if (ended) return;
        ended = true;
        const now = this.#now();
        this.#emit({
          ...base,
          event: 'end',
          text,
          outcome,
          elapsedMs: Math.round(now - started),
          time: this.#time(now),
        });
      },
    };
  }

  close(): Promise<void> {
    return this.#stderr.flush();
  }

  #emit(event: JsonEvent): void {
    this.#stderr.write(jsonLine(event));
  }

  #time(at: number = this.#now()): string {
    return new Date(at).toISOString();
  }
}
