import type { SpanOptions, SpanOutcome } from '../../ports/io-host.js';

/**
 * The bookkeeping behind the live display, kept so that every span event is O(1) and a frame costs O(rows shown),
 * whatever the number of spans: two insertion-ordered maps (oldest first) instead of one list to filter.
 *
 * A span about a machine counts as waiting from begin until its first update: callers begin one span per machine up
 * front and update it when its work starts, so `waiting` is the queue. A span without a host (a phase) runs from
 * begin, since nothing queues it.
 */
export interface LiveSpan {
  readonly id: number;
  readonly title: string;
  readonly host: string | undefined;
  readonly phase: string | undefined;
  readonly started: number;
  text: string | undefined;
  state: 'waiting' | 'running' | 'ended';
}

export interface EndedSpan {
  readonly span: LiveSpan;
  readonly outcome: SpanOutcome;
  readonly text: string | undefined;
  readonly elapsedMs: number;
}

export type OutcomeCounts = Record<SpanOutcome, number>;

export class LiveSpans {
  readonly running = new Map<number, LiveSpan>();
  readonly waiting = new Map<number, LiveSpan>();
  readonly done: OutcomeCounts = { ok: 0, warn: 0, failed: 0, skipped: 0 };
  /** Spans that did not end ok (failed, warn), in the order they ended: the recap. */
  readonly notOk: EndedSpan[] = [];
  #nextId = 1;
  #firstBegin: number | undefined;

  get begun(): number {
    return this.#nextId - 1;
  }

  get finished(): number {
    return this.done.ok + this.done.warn + this.done.failed + this.done.skipped;
  }

  /** When the first span began, for the recap's elapsed time. */
  get firstBegin(): number | undefined {
    return this.#firstBegin;
  }

  begin(title: string, options: SpanOptions, now: number): LiveSpan {
    this.#firstBegin ??= now;
    const span: LiveSpan = {
      id: this.#nextId++,
      title,
      host: options.host,
      phase: options.phase,
      started: now,
      text: undefined,
      state: 'waiting',
    };
    if (span.host === undefined) this.#run(span);
    else this.waiting.set(span.id, span);
    return span;
  }

  /** Returns false when the span has already ended (nothing changed). */
  update(span: LiveSpan, text: string): boolean {
    if (span.state === 'ended') return false;
    span.text = text;
    if (span.state === 'waiting') {
      this.waiting.delete(span.id);
      this.#run(span);
    }
    return true;
  }

  /** Returns the ended span, or undefined when it had already ended. */
  end(span: LiveSpan, outcome: SpanOutcome, text: string | undefined, now: number): EndedSpan | undefined {
    if (span.state === 'ended') return undefined;
    (span.state === 'running' ? this.running : this.waiting).delete(span.id);
    span.state = 'ended';
    this.done[outcome] += 1;
    const ended: EndedSpan = { span, outcome, text, elapsedMs: now - span.started };
    if (outcome === 'failed' || outcome === 'warn') this.notOk.push(ended);
    return ended;
  }

  #run(span: LiveSpan): void {
    span.state = 'running';
    this.running.set(span.id, span);
  }
}
