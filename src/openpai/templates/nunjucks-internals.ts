import nunjucks from 'nunjucks';

/**
 * The parts of nunjucks 3.2 that pai-deploy builds its Jinja2 renderer from: the lexer, the parser, the AST nodes
 * and the compiler (all exported by nunjucks' index, but not described by @types/nunjucks), typed as far as
 * jinja-parser.ts and jinja-compiler.ts use them. nunjucks is used as a library here, never through its global
 * configuration: nothing in this folder calls installJinjaCompat() or patches nunjucks' shared runtime.
 */

export interface Token {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

export interface Tokenizer {
  nextToken(): Token | null;
  _parseString(delimiter: string): string;
  forward(): void;
  current(): string;
  isFinished(): boolean;
  lineno: number;
  colno: number;
}

/** An AST node; which fields it has depends on `typename` (nunjucks' nodes.js). */
export interface NjNode {
  readonly typename: string;
  lineno: number;
  colno: number;
  value?: unknown;
  children?: NjNode[];
  target?: NjNode;
  val?: NjNode;
  name?: NjNode;
  args?: NjNode;
  arr?: NjNode;
  body?: NjNode;
  else_?: NjNode | null;
  cond?: NjNode;
  left?: NjNode;
  right?: NjNode;
  expr?: NjNode;
  ops?: NjNode[];
  type?: string;
}

export type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => NjNode;

export interface Nodes {
  NodeList: NodeClass;
  Symbol: NodeClass;
  Literal: NodeClass;
  TemplateData: NodeClass;
  Group: NodeClass;
  LookupVal: NodeClass;
  FunCall: NodeClass;
  Filter: NodeClass;
  Is: NodeClass;
  Not: NodeClass;
  Add: NodeClass;
  Sub: NodeClass;
  Mul: NodeClass;
  Div: NodeClass;
  FloorDiv: NodeClass;
  Mod: NodeClass;
  Concat: NodeClass;
  InlineIf: NodeClass;
  KeywordArgs: NodeClass;
}

export interface ParserInstance {
  tokens: Tokenizer;
  extensions: unknown[];
  peekToken(): Token;
  nextToken(withWhitespace?: boolean): Token | null;
  pushToken(token: Token | null): void;
  skip(type: string): boolean;
  skipValue(type: string, value: string): boolean;
  skipSymbol(name: string): boolean;
  fail(message: string, lineno?: number, colno?: number): never;
  parseAsRoot(): NjNode;
  parsePrimary(noPostfix?: boolean): NjNode;
  parsePostfix(node: NjNode): NjNode;
  parseAggregate(): NjNode;
  parseSignature(tolerant?: boolean, noParens?: boolean): NjNode;
  parseFilterName(): NjNode;
  parseFilter(node: NjNode): NjNode;
  parseIs(): NjNode;
  parseCompare(): NjNode;
  parseConcat(): NjNode;
  parsePow(): NjNode;
}

/** nunjucks' Frame, at compile time (names → generated variable ids) and at run time (names → values). */
export interface Frame {
  lookup(name: string): unknown;
  push(isolateWrites?: boolean): Frame;
  pop(): Frame;
  set(name: string, value: unknown, resolveUp?: boolean): void;
}

export interface CompilerInstance {
  buffer: string;
  compile(node: NjNode, frame: Frame): void;
  _compileExpression(node: NjNode, frame: Frame): void;
  _compileAggregate(node: NjNode, frame: Frame, startChar?: string, endChar?: string): void;
  _withScopedSyntax(body: () => void): void;
  _emit(code: string): void;
  _emitLine(code: string): void;
  _tmpid(): string;
  fail(message: string, lineno?: number, colno?: number): never;
  getCode(): string;
}

export interface TemplateInstance {
  render(context: object): string;
}

interface Internals {
  lexer: { lex(source: string, options: object): Tokenizer } & Record<`TOKEN_${string}`, string>;
  parser: { Parser: new (tokens: Tokenizer) => ParserInstance };
  compiler: { Compiler: new (templateName: string, throwOnUndefined: boolean) => CompilerInstance };
  nodes: Nodes;
  Environment: new (loaders: unknown[], options: object) => object;
  Template: new (
    source: { type: 'code'; obj: unknown },
    environment: object,
    path: string,
    eagerCompile: boolean,
  ) => TemplateInstance;
}

const internals = nunjucks as unknown as Internals;

export const lexer = internals.lexer;
export const nodes = internals.nodes;
export const Parser = internals.parser.Parser;
export const Compiler = internals.compiler.Compiler;
export const Environment = internals.Environment;
export const Template = internals.Template;

/** Token types (nunjucks' lexer constants). */
export const TOKEN = {
  string: lexer.TOKEN_STRING!,
  whitespace: lexer.TOKEN_WHITESPACE!,
  operator: lexer.TOKEN_OPERATOR!,
  symbol: lexer.TOKEN_SYMBOL!,
  boolean: lexer.TOKEN_BOOLEAN!,
  none: lexer.TOKEN_NONE!,
  int: lexer.TOKEN_INT!,
  float: lexer.TOKEN_FLOAT!,
  pipe: lexer.TOKEN_PIPE!,
  tilde: lexer.TOKEN_TILDE!,
  leftParen: lexer.TOKEN_LEFT_PAREN!,
  leftBracket: lexer.TOKEN_LEFT_BRACKET!,
  leftCurly: lexer.TOKEN_LEFT_CURLY!,
} as const;
