import type { IoMessage, SpanOutcome } from '../../ports/io-host.js';
import { escapeControl } from './escape.js';
import type { Palette } from './style.js';

/** `340 ms`, `1.4 s`, `12 s`, `2 min 5 s`: precise where it matters, short where it does not. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The word for an outcome, coloured: shown in end lines and the recap. */
export function outcomeWord(outcome: SpanOutcome, palette: Palette): string {
  switch (outcome) {
    case 'ok':
      return palette.green('done');
    case 'warn':
      return palette.yellow('warnings');
    case 'failed':
      return palette.red('failed');
    case 'skipped':
      return palette.dim('skipped');
  }
}

/**
 * One message as a line (or, for multi-line text, lines): `warning: pai-gpu-01: text`. Debug messages are shown only
 * when verbose; returns undefined when the message is not shown.
 */
export function formatMessage(message: IoMessage, palette: Palette, verbose: boolean): string | undefined {
  const body = `${hostPrefix(message.host)}${escapeControl(message.text, { multiline: true })}`;
  switch (message.level) {
    case 'error':
      return `${palette.red('error:')} ${body}\n`;
    case 'warn':
      return `${palette.yellow('warning:')} ${body}\n`;
    case 'info':
      return `${body}\n`;
    case 'debug':
      return verbose ? `${palette.dim('debug:')} ${body}\n` : undefined;
  }
}

export interface SpanLabel {
  readonly title: string;
  readonly host?: string | undefined;
}

/** `pai-gpu-01: checks`, or just the title for a span that is not about one machine. */
export function spanBeginText(span: SpanLabel): string {
  return `${hostPrefix(span.host)}${escapeControl(span.title)}`;
}

/** A span's current text in one line: the machine (or title) and what it is doing. */
export function spanUpdateText(span: SpanLabel, text: string): string {
  return `${escapeControl(span.host ?? span.title)}: ${escapeControl(text)}`;
}

/**
 * The line a span ends with. With an end text it speaks for itself and the outcome is added when it is not ok:
 * `pai-gpu-01: 12 passed, 0 failed (1.4 s)`, `pai-gpu-02: unreachable (failed, 2.0 s)`. Without one, the title and
 * the outcome: `render: done (340 ms)`.
 */
export function spanEndText(
  span: SpanLabel,
  outcome: SpanOutcome,
  text: string | undefined,
  elapsedMs: number,
  palette: Palette,
): string {
  const elapsed = palette.dim(formatElapsed(elapsedMs));
  if (text === undefined || text === '') return `${spanBeginText(span)}: ${outcomeWord(outcome, palette)} (${elapsed})`;
  const tag = outcome === 'ok' ? '' : `${outcomeWord(outcome, palette)}, `;
  return `${spanUpdateText(span, text)} (${tag}${elapsed})`;
}

function hostPrefix(host: string | undefined): string {
  return host === undefined ? '' : `${escapeControl(host)}: `;
}
