import { Parser, TOKEN, lexer, nodes, type NjNode, type Token, type Tokenizer } from './nunjucks-internals.js';
import { JinjaRuntimeError } from './shims/py-values.js';
import { decodeStringLiteral } from './shims/string-literal.js';

/**
 * Parses a template as Jinja2 2.11 does, with nunjucks' lexer and parser and a few hooks on one parse's own
 * tokenizer and parser objects (nothing global is patched, and the template text is never rewritten):
 *
 * - Names: Jinja2 reads `True`, `False` and `None` as constants like `true`, `false`, `none`; nunjucks only knows
 *   the lowercase ones. nunjucks reads `null` as None, where Jinja2 has no such constant: `null` is an ordinary
 *   (usually undefined) name. The tokens are retyped as they come (not after a `.`, where a name is an attribute).
 * - String literals are decoded with Python's escapes (string-literal.ts).
 * - Tests: `x is sameas false`, `n is divisibleby 3` take one argument without parentheses, and a test binds as
 *   tightly as a filter (`a == b is defined` is `a == (b is defined)`), as in Jinja2; nunjucks parses `is` below
 *   comparisons and only with parenthesised arguments.
 * - Arithmetic precedence: Jinja2 binds `~` between `+ -` and `* / // %`, each level left-associative;
 *   nunjucks binds `~` lowest and nests `* / // %` by operator (`7 * 3 // 2` would be `7 * (3 // 2)`).
 * - `x.name` and `x['name']` give the same node in nunjucks; Jinja2 looks the first up as an attribute first and
 *   the second as an item first, so attribute lookups are remembered ({@link isAttributeLookup}).
 *
 * The loop filter `{% for x in A if C %}` needs no parser change: nunjucks parses it as a loop over the inline
 * `A if C`, a node a real conditional iterable never is (that needs parentheses, which give a Group node); the
 * compiler turns it into Jinja2's filter.
 */
export function parseJinja(source: string): NjNode {
  const tokens = lexer.lex(source, {});
  hookTokens(tokens);
  const parser = new JinjaParser(tokens);
  parser.extensions = [];
  return parser.parseAsRoot();
}

/** A syntax problem found by the hooks (nunjucks' own syntax errors are its TemplateError). */
export class JinjaSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'JinjaSyntaxError';
    this.line = line;
    this.column = column;
  }
}

const attributeLookups = new WeakSet<NjNode>();

/** Whether a LookupVal node was written `x.name` (Jinja2's getattr) rather than `x[...]` (getitem). */
export function isAttributeLookup(node: NjNode): boolean {
  return attributeLookups.has(node);
}

function hookTokens(tokens: Tokenizer): void {
  // Reads the raw text up to the closing quote (a backslash escapes any character, as in both lexers) and
  // decodes it as Python would.
  tokens._parseString = function parseString(this: Tokenizer, delimiter: string): string {
    const line = this.lineno + 1;
    const column = this.colno + 1;
    this.forward();
    let raw = '';
    while (!this.isFinished() && this.current() !== delimiter) {
      if (this.current() === '\\') {
        raw += this.current();
        this.forward();
        if (this.isFinished()) break;
      }
      raw += this.current();
      this.forward();
    }
    this.forward();
    try {
      return decodeStringLiteral(raw);
    } catch (error) {
      if (error instanceof JinjaRuntimeError) throw new JinjaSyntaxError(error.message, line, column);
      throw error;
    }
  };

  const next = tokens.nextToken.bind(tokens);
  let previous: Token | null = null;
  tokens.nextToken = () => {
    const token = next();
    if (token === null || token.type === TOKEN.whitespace) return token;
    const afterDot = previous !== null && previous.type === TOKEN.operator && previous.value === '.';
    if (!afterDot) retypeName(token);
    // nunjucks lexes `1e16`, `1_000` and `2abc` as one name; Jinja2 reads the first two as numbers and rejects the
    // third. None of them is an expression pai-deploy would get right, so they are refused.
    if (token.type === TOKEN.symbol && /^[0-9]/.test(token.value))
      throw new JinjaSyntaxError(
        `'${token.value}' is not a number pai-deploy reads (write numbers without exponents or underscores)`,
        token.lineno + 1,
        token.colno + 1,
      );
    previous = token;
    return token;
  };
}

function retypeName(token: Token): void {
  if (token.type === TOKEN.none && token.value === 'null') token.type = TOKEN.symbol;
  else if (token.type === TOKEN.symbol && (token.value === 'True' || token.value === 'False')) {
    token.type = TOKEN.boolean;
    token.value = token.value.toLowerCase();
  } else if (token.type === TOKEN.symbol && token.value === 'None') {
    token.type = TOKEN.none;
    token.value = 'none';
  }
}

/** Tokens that start a test's single unparenthesised argument (Jinja2's parse_test), names other than these. */
const ARGUMENT_START = new Set([
  TOKEN.symbol,
  TOKEN.boolean,
  TOKEN.none,
  TOKEN.string,
  TOKEN.int,
  TOKEN.float,
  TOKEN.leftBracket,
  TOKEN.leftCurly,
]);
const NOT_AN_ARGUMENT = new Set(['else', 'or', 'and']);

class JinjaParser extends Parser {
  // Tests are parsed with the filters (parseFilter); `is` no longer has a level of its own.
  override parseIs(): NjNode {
    return this.parseCompare();
  }

  // Jinja2's levels below comparisons: `+ -`, then `~`, then `* / // %`, then `**` (nunjucks' parsePow).
  override parseConcat(): NjNode {
    let node = this.parseTilde();
    for (;;) {
      const op = this.skipOperator('+', '-');
      if (op === undefined) return node;
      node = new (op === '+' ? nodes.Add : nodes.Sub)(node.lineno, node.colno, node, this.parseTilde());
    }
  }

  private parseTilde(): NjNode {
    let node = this.parseProduct();
    while (this.skipValue(TOKEN.tilde, '~'))
      node = new nodes.Concat(node.lineno, node.colno, node, this.parseProduct());
    return node;
  }

  private parseProduct(): NjNode {
    let node = this.parsePow();
    for (;;) {
      const op = this.skipOperator('*', '/', '//', '%');
      if (op === undefined) return node;
      const kind = op === '*' ? nodes.Mul : op === '/' ? nodes.Div : op === '//' ? nodes.FloorDiv : nodes.Mod;
      node = new kind(node.lineno, node.colno, node, this.parsePow());
    }
  }

  private skipOperator(...ops: string[]): string | undefined {
    const token = this.peekToken();
    if (token === null || token.type !== TOKEN.operator || !ops.includes(token.value)) return undefined;
    this.nextToken();
    return token.value;
  }

  // Jinja2's parse_postfix: calls, `[...]` items and `.name` attributes (`.0` is the item 0, as in Jinja2).
  override parsePostfix(start: NjNode): NjNode {
    let node = start;
    for (;;) {
      const token = this.peekToken();
      if (token === null) return node;
      if (token.type === TOKEN.leftParen) {
        node = new nodes.FunCall(token.lineno, token.colno, node, this.parseSignature());
      } else if (token.type === TOKEN.leftBracket) {
        const index = this.parseAggregate();
        if (index.children?.length !== 1)
          this.fail('invalid index: exactly one expression goes inside [...]', token.lineno, token.colno);
        node = new nodes.LookupVal(token.lineno, token.colno, node, index.children[0]);
      } else if (token.type === TOKEN.operator && token.value === '.') {
        this.nextToken();
        const name = this.nextToken();
        if (name !== null && name.type === TOKEN.int) {
          node = new nodes.LookupVal(
            token.lineno,
            token.colno,
            node,
            new nodes.Literal(name.lineno, name.colno, parseInt(name.value, 10)),
          );
        } else if (
          name !== null &&
          (name.type === TOKEN.symbol || name.type === TOKEN.boolean || name.type === TOKEN.none)
        ) {
          node = new nodes.LookupVal(
            token.lineno,
            token.colno,
            node,
            new nodes.Literal(name.lineno, name.colno, name.value),
          );
          attributeLookups.add(node);
        } else {
          this.fail(
            `expected a name after '.', got ${name === null ? 'the end' : name.value}`,
            token.lineno,
            token.colno,
          );
        }
      } else {
        return node;
      }
    }
  }

  // Jinja2's parse_filter_expr: any sequence of `|filter(args)`, `is [not] test [arg]` and calls.
  override parseFilter(start: NjNode): NjNode {
    let node = start;
    for (;;) {
      const token = this.peekToken();
      if (token === null) return node;
      if (token.type === TOKEN.pipe) {
        this.nextToken();
        const name = this.parseFilterName();
        const args = this.peekToken()?.type === TOKEN.leftParen ? (this.parseSignature().children ?? []) : [];
        node = new nodes.Filter(
          name.lineno,
          name.colno,
          name,
          new nodes.NodeList(name.lineno, name.colno, [node, ...args]),
        );
      } else if (token.type === TOKEN.symbol && token.value === 'is') {
        node = this.parseTest(node);
      } else if (token.type === TOKEN.leftParen) {
        node = new nodes.FunCall(token.lineno, token.colno, node, this.parseSignature());
      } else {
        return node;
      }
    }
  }

  private parseTest(subject: NjNode): NjNode {
    this.nextToken();
    const negated = this.skipSymbol('not');
    const nameToken = this.nextToken();
    if (nameToken === null || ![TOKEN.symbol, TOKEN.boolean, TOKEN.none].includes(nameToken.type))
      this.fail(`expected a test name after 'is', got ${nameToken === null ? 'the end' : nameToken.value}`);
    let name = nameToken.value;
    while (this.skipValue(TOKEN.operator, '.')) {
      const part = this.nextToken();
      if (part === null || part.type !== TOKEN.symbol) this.fail('expected a name in a dotted test name');
      name += `.${part.value}`;
    }
    let args: NjNode[] | undefined;
    const next = this.peekToken();
    if (next !== null && next.type === TOKEN.leftParen) {
      args = this.parseSignature().children ?? [];
    } else if (
      next !== null &&
      ARGUMENT_START.has(next.type) &&
      !(next.type === TOKEN.symbol && NOT_AN_ARGUMENT.has(next.value))
    ) {
      if (next.type === TOKEN.symbol && next.value === 'is')
        this.fail('You cannot chain multiple tests with is', next.lineno, next.colno);
      args = [this.parsePrimary()];
    }
    const testName = new nodes.Symbol(nameToken.lineno, nameToken.colno, name);
    const right =
      args === undefined
        ? testName
        : new nodes.FunCall(
            nameToken.lineno,
            nameToken.colno,
            testName,
            new nodes.NodeList(nameToken.lineno, nameToken.colno, args),
          );
    const test = new nodes.Is(subject.lineno, subject.colno, subject, right);
    return negated ? new nodes.Not(subject.lineno, subject.colno, test) : test;
  }
}
