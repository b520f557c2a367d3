import { UsageError } from '../../src/errors.js';
import type { IoHost, IoMessage, IoQuestion, Span, SpanOptions, SpanOutcome } from '../../src/ports/io-host.js';

export interface RecordedSpan {
  title: string;
  options: SpanOptions | undefined;
  updates: string[];
  /** Set once ended; a span ended twice records the second end in `extraEnds`. */
  outcome: SpanOutcome | undefined;
  text: string | undefined;
  extraEnds: number;
}

/**
 * An IoHost that records every call, for unit tests. `events` is one ordered log across messages and spans
 * (`notify <code>`, `span <title>`, `end <title> <outcome>`), for asserting interleavings. Questions are answered from
 * `answers` (in order), else with their default, else refused the way a non-interactive host refuses.
 */
export class FakeIoHost implements IoHost {
  readonly messages: IoMessage[] = [];
  readonly results: string[] = [];
  readonly spans: RecordedSpan[] = [];
  readonly questions: Array<IoQuestion<unknown>> = [];
  readonly events: string[] = [];
  readonly answers: unknown[] = [];
  stdoutColour = false;
  closed = false;

  notify(message: IoMessage): void {
    this.messages.push(message);
    this.events.push(`notify ${message.code}`);
  }

  result(text: string): Promise<void> {
    this.results.push(text);
    return Promise.resolve();
  }

  request<T>(question: IoQuestion<T>): Promise<T> {
    this.questions.push(question as IoQuestion<unknown>);
    if (this.answers.length > 0) return Promise.resolve(this.answers.shift() as T);
    if ('default' in question && question.default !== undefined) return Promise.resolve(question.default as T);
    return Promise.reject(
      new UsageError(
        `${question.text}: no answer in a fake host`,
        question.flag ? `Pass ${question.flag}.` : undefined,
      ),
    );
  }

  span(title: string, options?: SpanOptions): Span {
    const recorded: RecordedSpan = { title, options, updates: [], outcome: undefined, text: undefined, extraEnds: 0 };
    this.spans.push(recorded);
    this.events.push(`span ${title}`);
    return {
      update: (text) => {
        recorded.updates.push(text);
      },
      end: (outcome, text) => {
        if (recorded.outcome !== undefined) {
          recorded.extraEnds++;
          return;
        }
        recorded.outcome = outcome;
        recorded.text = text;
        this.events.push(`end ${title} ${outcome}`);
      },
    };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** The messages with a given code. */
  withCode(code: string): IoMessage[] {
    return this.messages.filter((message) => message.code === code);
  }

  /** The span for a phase id (the first one, not a clean-up span), if any. */
  spanOf(phase: string): RecordedSpan | undefined {
    return this.spans.find((span) => span.options?.phase === phase && !span.title.startsWith('Clean up'));
  }
}
