import { formatElapsed, spanBeginText, spanEndText, spanUpdateText } from './format.js';
import type { LiveSpan, LiveSpans } from './live-state.js';
import type { Palette } from './style.js';

/**
 * What the live display draws, as pure functions of the span bookkeeping: a frame is at most a screenful (rows minus
 * RESERVED_ROWS, so the cursor-up that erases it never hits the top of the screen) of in-flight spans, oldest running
 * first, then waiting ones if there is room, and a counters line.
 */
export const RESERVED_ROWS = 3;

export interface TerminalSize {
  readonly rows: number;
  readonly columns: number;
}

/** A piece of a line and how to colour it; colour is applied after fitting, so an escape is never cut in half. */
export type Segment = readonly [text: string, paint?: (text: string) => string];

/**
 * Joins segments, cut to `width` code points with an ellipsis. Lines must never wrap: the eraser moves the cursor up
 * one row per line. (East Asian wide characters count as one column here; host names and check texts are ASCII.)
 */
export function fitSegments(segments: readonly Segment[], width: number): string {
  let room = Math.max(1, width);
  let out = '';
  for (const [text, paint] of segments) {
    if (room <= 0) break;
    let piece = text;
    // UTF-16 length is an upper bound on code points, so only a long piece pays for counting them exactly.
    let used = text.length;
    if (text.length > room) {
      const points = Array.from(text);
      used = Math.min(points.length, room);
      if (points.length > room) piece = `${points.slice(0, room - 1).join('')}…`;
    }
    room -= used;
    out += paint ? paint(piece) : piece;
  }
  return out;
}

/** Whole seconds for a live row, right-aligned: `   3s`, `2m05s`. */
export function liveElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const text = seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return text.padStart(5);
}

function spanRow(span: LiveSpan, now: number, palette: Palette, width: number): string {
  if (span.state === 'waiting')
    return fitSegments([[' wait', palette.dim], [' '], [spanBeginText(span), palette.dim]], width);
  const text = span.text === undefined ? spanBeginText(span) : spanUpdateText(span, span.text);
  return fitSegments([[liveElapsed(now - span.started), palette.dim], [' '], [text]], width);
}

/** `running 37 · done 912 (3 failed, 10 warnings) · waiting 51`, and how many in-flight spans did not fit. */
export function counterLine(spans: LiveSpans, hidden: number, palette: Palette, width: number): string {
  const details: Segment[] = [];
  const add = (count: number, text: string, paint?: (text: string) => string) => {
    if (count === 0) return;
    if (details.length > 0) details.push([', ']);
    details.push([`${count} ${text}`, paint]);
  };
  add(spans.done.failed, 'failed', palette.red);
  add(spans.done.warn, spans.done.warn === 1 ? 'warning' : 'warnings', palette.yellow);
  add(spans.done.skipped, 'skipped');
  const segments: Segment[] = [[`running ${spans.running.size} · done ${spans.finished}`]];
  if (details.length > 0) segments.push([' ('], ...details, [')']);
  segments.push([` · waiting ${spans.waiting.size}`]);
  if (hidden > 0) segments.push([` · ${hidden} not shown`, palette.dim]);
  return fitSegments(segments, width);
}

/** The lines of one frame, none of them wider than the terminal. Empty before the first span. */
export function frameLines(spans: LiveSpans, size: TerminalSize, now: number, palette: Palette): string[] {
  if (spans.begun === 0) return [];
  const width = size.columns - 1; // never the last column: some terminals wrap early there
  const budget = Math.max(0, size.rows - RESERVED_ROWS - 1); // rows for spans; one more for the counters
  const lines: string[] = [];
  for (const group of [spans.running, spans.waiting]) {
    for (const span of group.values()) {
      if (lines.length >= budget) break;
      lines.push(spanRow(span, now, palette, width));
    }
  }
  const hidden = spans.running.size + spans.waiting.size - lines.length;
  lines.push(counterLine(spans, hidden, palette, width));
  return lines;
}

/**
 * The recap on close, like Ansible's PLAY RECAP: a line per span that did not end ok (failed first, then warnings,
 * then any still in flight), then the totals. Printed once, so it is not cut to the screen.
 */
export function recapLines(spans: LiveSpans, now: number, palette: Palette): string[] {
  if (spans.begun === 0) return [];
  const lines: string[] = [];
  for (const wanted of ['failed', 'warn'] as const) {
    for (const ended of spans.notOk) {
      if (ended.outcome === wanted)
        lines.push(`  ${spanEndText(ended.span, ended.outcome, ended.text, ended.elapsedMs, palette)}`);
    }
  }
  const unfinished = [...spans.running.values(), ...spans.waiting.values()];
  for (const span of unfinished) {
    lines.push(
      `  ${spanBeginText(span)}: ${palette.yellow('unfinished')} (${palette.dim(formatElapsed(now - span.started))})`,
    );
  }
  const paintIf = (count: number, paint: (text: string) => string, text: string) => (count > 0 ? paint(text) : text);
  const { ok, warn, failed, skipped } = spans.done;
  const totals = [
    `${ok} ok`,
    paintIf(warn, palette.yellow, `${warn} with warnings`),
    paintIf(failed, palette.red, `${failed} failed`),
    `${skipped} skipped`,
  ];
  if (unfinished.length > 0) totals.push(palette.yellow(`${unfinished.length} unfinished`));
  const elapsed = formatElapsed(now - (spans.firstBegin ?? now));
  lines.push(`${palette.bold('recap:')} ${spans.begun} in ${elapsed}: ${totals.join(', ')}`);
  return lines;
}
