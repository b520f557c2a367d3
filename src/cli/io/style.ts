/**
 * Colour is decided per stream: `pai-deploy check 2>log` on a terminal colours stdout and keeps the log free of
 * escapes. The rules (https://no-color.org, https://force-color.org), first match wins:
 *   NO_COLOR non-empty → off; FORCE_COLOR `0`/`false` → off; FORCE_COLOR other non-empty → on;
 *   otherwise on only for a TTY whose TERM is not `dumb`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export function streamColour(stream: { readonly isTTY?: boolean }, env: Env): boolean {
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

export interface Palette {
  readonly enabled: boolean;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function makePalette(enabled: boolean): Palette {
  // Each style closes with its own reset (39 default colour, 22 normal intensity), so styles nest without a full
  // reset cutting an outer one short.
  const wrap = (open: number, close: number) => (text: string) =>
    enabled && text !== '' ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return { enabled, red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}
