import { describe, expect, it } from 'vitest';
import { escapeControl } from '../../src/cli/io/escape.js';
import { formatElapsed } from '../../src/cli/io/format.js';
import { fitSegments, liveElapsed } from '../../src/cli/io/live-frame.js';
import { makePalette, streamColour } from '../../src/cli/io/style.js';
import { prng } from '../support/prng.js';

describe('escapeControl', () => {
  it('turns ESC into a visible \\x1b, defusing the whole sequence', () => {
    expect(escapeControl('pai\x1b[31m-gpu\x1b]0;pwned\x07')).toBe('pai\\x1b[31m-gpu\\x1b]0;pwned\\x07');
  });
  it('escapes C0, DEL, C1 and the Unicode line separators, keeping tabs', () => {
    expect(escapeControl('a\x00b\x08c\x7fd')).toBe('a\\x00b\\x08c\\x7fd');
    expect(escapeControl('csi\u009b2J nel\u0085 x\u0080')).toBe('csi\\u009b2J nel\\u0085 x\\u0080');
    expect(escapeControl('ls\u2028ps\u2029')).toBe('ls\\u2028ps\\u2029');
    expect(escapeControl('col\tcol')).toBe('col\tcol');
  });
  it('keeps newlines only in multi-line text; a carriage return is always escaped', () => {
    expect(escapeControl('one\ntwo\r\n')).toBe('one\\x0atwo\\x0d\\x0a');
    expect(escapeControl('one\ntwo\r\n', { multiline: true })).toBe('one\ntwo\\x0d\n');
  });
  it('returns clean text untouched, including non-ASCII text', () => {
    const text = 'pai-gpu-01 — 中文 é 🚀 ·';
    expect(escapeControl(text)).toBe(text);
  });
  it('gives the same answer on repeated calls (no global-regex state leaks between calls)', () => {
    for (let i = 0; i < 3; i++) expect(escapeControl('x\x1by')).toBe('x\\x1by');
  });
  it('never lets a control character through (random text)', () => {
    const random = prng(7);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    const unsafe = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/;
    for (let round = 0; round < 500; round++) {
      const text = Array.from({ length: 20 }, () => String.fromCharCode(Math.floor(random() * 0x2040))).join('');
      expect(escapeControl(text)).not.toMatch(unsafe);
      expect(escapeControl(text, { multiline: true }).replace(/\n/g, '')).not.toMatch(unsafe);
    }
  });
});

describe('streamColour', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('colours a terminal, not a pipe or a file', () => {
    expect(streamColour(tty, { TERM: 'xterm' })).toBe(true);
    expect(streamColour(pipe, { TERM: 'xterm' })).toBe(false);
    expect(streamColour({}, {})).toBe(false);
  });
  it('decides each stream on its own (stderr redirected on a terminal gets no escapes)', () => {
    const env = { TERM: 'xterm' };
    expect([streamColour(tty, env), streamColour(pipe, env)]).toEqual([true, false]);
  });
  it('never colours TERM=dumb unless forced', () => {
    expect(streamColour(tty, { TERM: 'dumb' })).toBe(false);
    expect(streamColour(tty, { TERM: 'dumb', FORCE_COLOR: '1' })).toBe(true);
  });
  it('NO_COLOR (non-empty) wins over everything; empty means unset', () => {
    expect(streamColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(streamColour(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(streamColour(tty, { NO_COLOR: '' })).toBe(true);
  });
  it('FORCE_COLOR 0/false turns colour off, any other non-empty value on', () => {
    expect(streamColour(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(streamColour(tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(streamColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(streamColour(pipe, { FORCE_COLOR: 'true' })).toBe(true);
    expect(streamColour(pipe, { FORCE_COLOR: '3' })).toBe(true);
    expect(streamColour(pipe, { FORCE_COLOR: '' })).toBe(false);
  });
});

describe('makePalette', () => {
  it('writes SGR escapes only when enabled, each closed by its own reset', () => {
    expect(makePalette(true).red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(makePalette(true).bold('x')).toBe('\x1b[1mx\x1b[22m');
    expect(makePalette(false).red('x')).toBe('x');
    expect(makePalette(true).red('')).toBe('');
  });
});

describe('elapsed times', () => {
  it('formats short precisely and long briefly', () => {
    expect(formatElapsed(0)).toBe('0 ms');
    expect(formatElapsed(340)).toBe('340 ms');
    expect(formatElapsed(1400)).toBe('1.4 s');
    expect(formatElapsed(9999)).toBe('9.9 s');
    expect(formatElapsed(12_345)).toBe('12 s');
    expect(formatElapsed(125_000)).toBe('2 min 5 s');
  });
  it('formats live rows in whole seconds, right-aligned', () => {
    expect(liveElapsed(999)).toBe('   0s');
    expect(liveElapsed(12_000)).toBe('  12s');
    expect(liveElapsed(125_000)).toBe('2m05s');
  });
});

describe('fitSegments', () => {
  const red = (text: string) => `<${text}>`;
  it('cuts to the width with an ellipsis, colouring after the cut', () => {
    expect(fitSegments([['abc'], ['defgh', red]], 6)).toBe('abc<de…>');
    expect(fitSegments([['abc'], ['de', red]], 10)).toBe('abc<de>');
    expect(fitSegments([['abcdef'], ['gh', red]], 3)).toBe('ab…');
  });
  it('counts code points, not UTF-16 units', () => {
    expect(fitSegments([['🚀🚀🚀']], 3)).toBe('🚀🚀🚀');
    expect(fitSegments([['🚀🚀🚀🚀']], 3)).toBe('🚀🚀…');
  });
});
