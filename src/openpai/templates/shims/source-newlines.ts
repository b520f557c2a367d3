/**
 * What Jinja2 2.11's lexer does to a template's text before anything else: `'\n'.join(source.splitlines())`.
 *
 * - Every line boundary Python's str.splitlines() knows (\r\n, \r, \n, \v, \f, \x1c, \x1d, \x1e, \x85, U+2028,
 *   U+2029) becomes \n, in the template's text and inside its string literals alike: a template checked out with
 *   CRLF renders with LF.
 * - One trailing line boundary is dropped (Jinja2's keep_trailing_newline=False): OpenPAI's `*.yaml.template`
 *   files end with a newline and their rendered files do not. nunjucks keeps both.
 *
 * Line numbers are unchanged by this (one boundary stays one line), so error positions still match the file.
 */
// The file, group and record separators \x1c-\x1e are line boundaries to Python.
// eslint-disable-next-line no-control-regex
const LINE_BOUNDARY = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

export function jinjaSourceText(source: string): string {
  const normalized = source.replace(LINE_BOUNDARY, '\n');
  return normalized.endsWith('\n') ? normalized.slice(0, -1) : normalized;
}
