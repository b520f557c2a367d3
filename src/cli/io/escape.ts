/**
 * Text that came from input files (host names, YAML values, remote command output) is never written raw to a
 * terminal: a stray ESC could recolour the screen, move the cursor, set the window title or worse. Control characters
 * become visible escapes instead, so a message still shows what was there.
 */

// C0 controls except TAB (\t keeps its meaning everywhere), DEL, the C1 block U+0080–U+009F (a terminal in an 8-bit
// mode reads U+009B as CSI), and the Unicode line/paragraph separators, which some terminals and log viewers treat
// as a line break. ESC is among the C0 controls, so escaping it defuses every escape sequence: the rest of the
// sequence (`[31m`) is left as harmless printable text after the visible `\x1b`.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SINGLE_LINE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- as above
const MULTI_LINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g;

export interface EscapeOptions {
  /** Keep `\n` as a line break (message text); otherwise it is escaped too (host names, titles, one-line rows). */
  multiline?: boolean;
}

/** `\x1b` for C0 controls and DEL, `\u0085` for C1 controls and U+2028/2029; everything else is returned as is. */
export function escapeControl(text: string, options: EscapeOptions = {}): string {
  const pattern = options.multiline === true ? MULTI_LINE : SINGLE_LINE;
  // Fast path: almost all text is clean, and replace() with a callback allocates even when nothing matches.
  pattern.lastIndex = 0;
  if (!pattern.test(text)) return text;
  pattern.lastIndex = 0;
  return text.replace(pattern, visibleEscape);
}

function visibleEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
