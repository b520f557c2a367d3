import { isAttributeLookup } from './jinja-parser.js';
import { Compiler, nodes, type Frame, type NjNode } from './nunjucks-internals.js';
import { FILTERS } from './shims/filters.js';
import { pyRepr } from './shims/py-str.js';
import { TESTS } from './shims/tests.js';

/**
 * nunjucks' compiler with every expression that has Python semantics compiled into a call of runtime.ts' shims
 * (`shims.lookup`, `shims.contains`, `shims.truthy`, ...), and `for` compiled as Jinja2 runs it. Statements
 * nunjucks already compiles as Jinja2 means them (`set`, text, `raw`) are left to it.
 *
 * The generated code sees `shims` as a parameter of the function that wraps it (render-template.ts), and the
 * nunjucks locals `context`, `frame`, `lineno`, `colno`, `output`.
 */
export function compileJinja(root: NjNode, templateName: string): string {
  const compiler = new JinjaCompiler(templateName, false);
  compiler.compile(root, null as unknown as Frame);
  return compiler.getCode();
}

/** JavaScript source of a string. */
const js = (text: string): string => JSON.stringify(text);

/** Sets nunjucks' runtime position to a node (1-based; 0 means unknown): the last argument of a raising shim. */
const at = (node: NjNode): string => `(lineno = ${node.lineno + 1}, colno = ${node.colno + 1})`;

const COMPARE_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);

class JinjaCompiler extends Compiler {
  private emitCall(shim: string, operands: readonly (NjNode | string)[], frame: Frame, position?: NjNode): void {
    this._emit(`shims.${shim}(`);
    operands.forEach((operand, index) => {
      if (index > 0) this._emit(', ');
      if (typeof operand === 'string') this._emit(operand);
      else this._compileExpression(operand, frame);
    });
    if (position !== undefined) this._emit(`${operands.length > 0 ? ', ' : ''}${at(position)}`);
    this._emit(')');
  }

  /** A lazily evaluated operand: `() => (expr)`. */
  private emitThunk(node: NjNode, frame: Frame): void {
    this._emit('() => (');
    this._compileExpression(node, frame);
    this._emit(')');
  }

  // nunjucks-only statements: Jinja2 rejects them ("Encountered unknown tag"), so a template using them is not one
  // paictl could have rendered.
  compileSwitch(node: NjNode): void {
    this.fail("'switch' is a nunjucks tag, not Jinja2", node.lineno, node.colno);
  }
  compileAsyncEach(node: NjNode): void {
    this.fail("'asyncEach' is a nunjucks tag, not Jinja2", node.lineno, node.colno);
  }
  compileAsyncAll(node: NjNode): void {
    this.fail("'asyncAll' is a nunjucks tag, not Jinja2", node.lineno, node.colno);
  }

  compileLiteral(node: NjNode): void {
    const value = node.value;
    if (typeof value === 'string') this._emit(js(value));
    else if (value === null) this._emit('null');
    else if (typeof value === 'number' || typeof value === 'boolean') this._emit(String(value));
    else this.fail('literals of this kind are not Jinja2', node.lineno, node.colno);
  }

  compileSymbol(node: NjNode, frame: Frame): void {
    const name = node.value as string;
    // Names nunjucks itself binds at compile time (macro arguments) keep their generated variable.
    const id = frame.lookup(name);
    if (typeof id === 'string') this._emit(id);
    else this._emit(`shims.name(context, frame, ${js(name)})`);
  }

  // `(a)` is the expression; `(a, b)` and `()` are tuples (nunjucks would emit JavaScript's comma operator).
  compileGroup(node: NjNode, frame: Frame): void {
    const children = node.children ?? [];
    if (children.length === 1) {
      this._emit('(');
      this._compileExpression(children[0]!, frame);
      this._emit(')');
    } else {
      this._emit('shims.tuple(');
      this._compileAggregate(node, frame, '[', ']');
      this._emit(')');
    }
  }

  compileLookupVal(node: NjNode, frame: Frame): void {
    const attribute = isAttributeLookup(node);
    this.emitCall('lookup', [node.target!, node.val!, String(attribute), js(describe(node.target!))], frame, node);
  }

  compileFunCall(node: NjNode, frame: Frame): void {
    this._emit('shims.call(');
    this._compileExpression(node.name!, frame);
    this._emit(', ');
    this._compileAggregate(node.args!, frame, '[', ']');
    this._emit(`, ${js(describe(node.name!))}, context, ${at(node)})`);
  }

  compileFilter(node: NjNode, frame: Frame): void {
    const name = node.name!.value as string;
    if (!Object.hasOwn(FILTERS, name))
      this.fail(
        `no filter named '${name}' (pai-deploy reproduces Jinja2's ${Object.keys(FILTERS).join(', ')})`,
        node.lineno,
        node.colno,
      );
    this._emit('shims.filter(');
    this._compileAggregate(node.args!, frame, '[', ']');
    this._emit(`, ${js(name)}, ${at(node)})`);
  }

  compileIs(node: NjNode, frame: Frame): void {
    const right = node.right!;
    const call = right.typename === 'FunCall';
    const name = (call ? right.name!.value : right.value) as string;
    if (!Object.hasOwn(TESTS, name))
      this.fail(
        `no test named '${name}' (pai-deploy reproduces Jinja2's ${Object.keys(TESTS).join(', ')})`,
        right.lineno,
        right.colno,
      );
    this._emit('shims.test([');
    this._compileExpression(node.left!, frame);
    for (const arg of call ? (right.args!.children ?? []) : []) {
      this._emit(', ');
      this._compileExpression(arg, frame);
    }
    this._emit(`], ${js(name)}, ${at(node)})`);
  }

  compileIn(node: NjNode, frame: Frame): void {
    this.emitCall('contains', [node.left!, node.right!], frame, node);
  }

  compileNot(node: NjNode, frame: Frame): void {
    this.emitCall('not', [node.target!], frame);
  }

  compileOr(node: NjNode, frame: Frame): void {
    this.emitLogical('or', node, frame);
  }

  compileAnd(node: NjNode, frame: Frame): void {
    this.emitLogical('and', node, frame);
  }

  private emitLogical(shim: 'or' | 'and', node: NjNode, frame: Frame): void {
    this._emit(`shims.${shim}(`);
    this._compileExpression(node.left!, frame);
    this._emit(', ');
    this.emitThunk(node.right!, frame);
    this._emit(')');
  }

  // `a if c else b`; without `else` Jinja2 2.11 gives Undefined (prints '', is not defined).
  compileInlineIf(node: NjNode, frame: Frame): void {
    this._emit('(shims.truthy(');
    this._compileExpression(node.cond!, frame);
    this._emit(') ? (');
    this._compileExpression(node.body!, frame);
    this._emit(') : (');
    if (node.else_) this._compileExpression(node.else_, frame);
    else this._emit('undefined');
    this._emit('))');
  }

  compileCompare(node: NjNode, frame: Frame): void {
    const ops = node.ops ?? [];
    for (const op of ops)
      if (!COMPARE_OPS.has(op.type!)) this.fail(`'${op.type}' is not a Jinja2 operator`, op.lineno, op.colno);
    if (ops.length === 1) {
      this.emitCall('compare', [node.expr!, js(ops[0]!.type!), ops[0]!.expr!], frame, node);
      return;
    }
    this._emit('shims.compareChain(');
    this._compileExpression(node.expr!, frame);
    this._emit(', [');
    ops.forEach((op, index) => {
      this._emit(`${index > 0 ? ', ' : ''}[${js(op.type!)}, `);
      this.emitThunk(op.expr!, frame);
      this._emit(']');
    });
    this._emit(`], ${at(node)})`);
  }

  private emitArithmetic(op: string, node: NjNode, frame: Frame): void {
    this.emitCall('arithmetic', [node.left!, js(op), node.right!], frame, node);
  }

  compileAdd(node: NjNode, frame: Frame): void {
    this.emitArithmetic('+', node, frame);
  }
  compileSub(node: NjNode, frame: Frame): void {
    this.emitArithmetic('-', node, frame);
  }
  compileMul(node: NjNode, frame: Frame): void {
    this.emitArithmetic('*', node, frame);
  }
  compileDiv(node: NjNode, frame: Frame): void {
    this.emitArithmetic('/', node, frame);
  }
  compileFloorDiv(node: NjNode, frame: Frame): void {
    this.emitArithmetic('//', node, frame);
  }
  compileMod(node: NjNode, frame: Frame): void {
    this.emitArithmetic('%', node, frame);
  }
  compilePow(node: NjNode, frame: Frame): void {
    this.emitArithmetic('**', node, frame);
  }
  compileNeg(node: NjNode, frame: Frame): void {
    this.emitCall('unary', [js('-'), node.target!], frame, node);
  }
  compilePos(node: NjNode, frame: Frame): void {
    this.emitCall('unary', [js('+'), node.target!], frame, node);
  }
  compileConcat(node: NjNode, frame: Frame): void {
    this.emitCall('concat', [node.left!, node.right!], frame);
  }

  // `{{ x }}` prints Python's str(x) (True, None, {'a': 1}); text between tags as it is.
  compileOutput(node: NjNode, frame: Frame): void {
    for (const child of node.children ?? []) {
      if (child.typename === 'TemplateData') {
        if (child.value) this._emitLine(`${this.buffer} += ${js(String(child.value))};`);
      } else {
        this._emit(`${this.buffer} += shims.output(`);
        this._compileExpression(child, frame);
        this._emitLine(');');
      }
    }
  }

  compileIf(node: NjNode, frame: Frame): void {
    this._emit('if (shims.truthy(');
    this._compileExpression(node.cond!, frame);
    this._emitLine(')) {');
    this._withScopedSyntax(() => this.compile(node.body!, frame));
    if (node.else_) {
      this._emitLine('} else {');
      const elseBranch = node.else_;
      this._withScopedSyntax(() => this.compile(elseBranch, frame));
    }
    this._emitLine('}');
  }

  /**
   * `{% for target in iterable [if filter] %} body [{% else %} ...] {% endfor %}` as Jinja2 runs it:
   * - the iterable is iterated as Python does (a dict yields its keys; Undefined nothing; None raises);
   * - several targets unpack each item (`for key, value in d.items()`);
   * - with a filter (nunjucks parsed `A if C` as an inline if without else), the items are filtered first, each
   *   with the targets bound, so `loop.index`, `loop.length` and `loop.last` count the filtered items, and `else`
   *   runs when none passed;
   * - every iteration gets a fresh frame whose writes stay in it: a `{% set %}` in the body neither reaches the
   *   next iteration nor the code after the loop (Jinja2 2.11's scoping; nunjucks' would leak both ways).
   */
  compileFor(node: NjNode, frame: Frame): void {
    const targets = node.name!.typename === 'Array' ? (node.name!.children ?? []) : [node.name!];
    for (const target of targets)
      if (target.typename !== 'Symbol') this.fail('a for loop assigns to names only', target.lineno, target.colno);
    const names = targets.map((target) => target.value as string);

    let iterable = node.arr!;
    let condition: NjNode | undefined;
    if (iterable.typename === 'InlineIf') {
      if (iterable.else_)
        this.fail("a for loop's filter has no 'else' (Jinja2 rejects it too)", iterable.lineno, iterable.colno);
      condition = iterable.cond!;
      iterable = iterable.body!;
    }

    const items = this._tmpid();
    const index = this._tmpid();
    const item = this._tmpid();
    frame = frame.push();
    this._emitLine('frame = frame.push();');
    this._emit(`var ${items} = shims.iterate(`);
    this._compileExpression(iterable, frame);
    this._emitLine(`, ${at(node)});`);

    const bind = (source: string): void => {
      if (names.length === 1) {
        this._emitLine(`frame.set(${js(names[0]!)}, ${source});`);
        return;
      }
      const values = this._tmpid();
      this._emitLine(`var ${values} = shims.unpack(${source}, ${names.length}, ${at(node)});`);
      names.forEach((name, i) => this._emitLine(`frame.set(${js(name)}, ${values}[${i}]);`));
    };

    if (condition !== undefined) {
      const kept = this._tmpid();
      this._emitLine(`var ${kept} = [];`);
      this._emitLine('frame = frame.push(true);');
      this._emitLine(`for (var ${index} = 0; ${index} < ${items}.length; ${index}++) {`);
      this._emitLine(`var ${item} = ${items}[${index}];`);
      bind(item);
      this._emit(`if (shims.truthy(`);
      this._compileExpression(condition, frame);
      this._emitLine(`)) ${kept}.push(${item});`);
      this._emitLine('}');
      this._emitLine('frame = frame.pop();');
      this._emitLine(`${items} = ${kept};`);
    }

    this._emitLine(`for (var ${index} = 0; ${index} < ${items}.length; ${index}++) {`);
    this._emitLine('frame = frame.push(true);');
    this._emitLine(`var ${item} = ${items}[${index}];`);
    bind(item);
    this._emitLine(`frame.set("loop", shims.loopContext(${items}, ${index}));`);
    this._withScopedSyntax(() => this.compile(node.body!, frame));
    this._emitLine('frame = frame.pop();');
    this._emitLine('}');
    if (node.else_) {
      this._emitLine(`if (${items}.length === 0) {`);
      const elseBranch = node.else_;
      this._withScopedSyntax(() => this.compile(elseBranch, frame));
      this._emitLine('}');
    }
    this._emitLine('frame = frame.pop();');
  }
}

// The node classes this compiler knows besides nunjucks' statements; referenced so a nunjucks upgrade that renames
// them fails loudly at load time rather than silently compiling them the JavaScript way.
for (const kind of ['InlineIf', 'Group', 'LookupVal', 'FunCall', 'Filter', 'Is'] as const)
  if (typeof nodes[kind] !== 'function') throw new Error(`nunjucks has no ${kind} node: unsupported nunjucks version`);

/** The expression a node stands for, as the template wrote it (near enough), for error messages. */
export function describe(node: NjNode): string {
  switch (node.typename) {
    case 'Symbol':
      return String(node.value);
    case 'Literal':
      return pyRepr(node.value);
    case 'LookupVal': {
      const key = node.val!;
      if (isAttributeLookup(node)) return `${describe(node.target!)}.${String(key.value)}`;
      return `${describe(node.target!)}[${key.typename === 'Literal' ? pyRepr(key.value) : describe(key)}]`;
    }
    case 'FunCall':
      return `${describe(node.name!)}(...)`;
    case 'Filter':
      return `(...)|${String(node.name!.value)}`;
    default:
      return 'the expression';
  }
}
