import { PaiDeployError } from '../../errors.js';
import { compileJinja } from './jinja-compiler.js';
import { JinjaSyntaxError, parseJinja } from './jinja-parser.js';
import { Environment, Template, type TemplateInstance } from './nunjucks-internals.js';
import { shims } from './runtime.js';
import { JinjaRuntimeError, type PyErrorType } from './shims/py-values.js';
import { jinjaSourceText } from './shims/source-newlines.js';

/**
 * Renders OpenPAI's service templates (`src/<service>/deploy/*.template`, Jinja2 2.x syntax) the way paictl did
 * (`jinja2.Template(text).render({'cluster_cfg': model})`): Jinja2's default environment, no autoescaping,
 * Undefined printing as '' and false, whitespace control with `{%-`/`-%}`, the source's last newline dropped.
 *
 * The template is lexed and parsed by nunjucks (with Jinja2's names, literals, tests and operator precedence:
 * jinja-parser.ts) and compiled by nunjucks' compiler with Python's semantics for every expression
 * (jinja-compiler.ts, runtime.ts, shims/). Differentially tested against Jinja2 2.11.3
 * (test/integration/jinja2/differential.test.ts); what cannot match is listed in shims/py-values.ts and
 * shims/py-str.ts (integral floats print as ints, dict keys are strings, integer-like keys come first).
 */

export type TemplateErrorKind =
  /** The template does not parse (Jinja2 rejects it too, or it uses syntax pai-deploy does not know). */
  | 'syntax'
  /** Jinja2 raises UndefinedError: something is read from, called on or computed with an undefined value. */
  | 'undefined'
  /** Jinja2 raises TypeError, ValueError or ZeroDivisionError: a value has the wrong type or content. */
  | 'type'
  /** The template needs something of Jinja2 or Python that pai-deploy does not reproduce. */
  | 'unsupported';

export class TemplateRenderError extends PaiDeployError {
  readonly templateName: string;
  /** 1-based, when known. */
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly kind: TemplateErrorKind;
  /** The exception Jinja2 would raise (UndefinedError, TypeError, ...), when pai-deploy knows it would. */
  readonly pythonError: string | undefined;
  /** The problem alone, without the template's name and position. */
  readonly detail: string;

  constructor(options: {
    templateName: string;
    line?: number | undefined;
    column?: number | undefined;
    kind: TemplateErrorKind;
    pythonError?: string | undefined;
    detail: string;
    cause?: unknown;
  }) {
    const where = [options.templateName, options.line, options.line === undefined ? undefined : options.column]
      .filter((part) => part !== undefined)
      .join(':');
    const python = options.pythonError === undefined ? '' : ` (Jinja2: ${options.pythonError})`;
    super(`cannot render ${where}: ${options.detail}${python}`, { hint: HINTS[options.kind], cause: options.cause });
    this.templateName = options.templateName;
    this.line = options.line;
    this.column = options.column;
    this.kind = options.kind;
    this.pythonError = options.pythonError;
    this.detail = options.detail;
  }
}

const HINTS: Readonly<Record<TemplateErrorKind, string>> = {
  syntax:
    'Fix the template at that position. OpenPAI v1.8.0 templates all parse; a changed or custom one may use syntax Jinja2 rejects, or Jinja2 features pai-deploy does not parse.',
  undefined:
    'The template reads a value the cluster configuration does not have. Add it to services-configuration.yaml (or check that the defaults of the service were merged into the model), or guard the template with `is defined`.',
  type: 'A configuration value has a type the template cannot use (Jinja2 fails the same way). Check that value in services-configuration.yaml: quoting turns numbers and booleans into strings, and an empty key is None.',
  unsupported:
    'pai-deploy reproduces the part of Jinja2 and Python that the OpenPAI templates use; this template needs more. Rewrite that expression with the supported features, or render it with Jinja2.',
};

// One environment for every template: no loaders (templates arrive as text), no autoescaping (Jinja2's default,
// and the outputs are YAML, shell and JavaScript, not HTML), dev mode so a render error keeps its position and
// cause instead of nunjucks' flattened copy. Undefined is not an error (Jinja2's default Undefined); the
// shims raise where Jinja2 raises.
const environment = new Environment([], { autoescape: false, throwOnUndefined: false, dev: true });

/**
 * Renders `source` with `context` as Jinja2 would; synchronous. `options.name` names the template in errors
 * (e.g. `rest-server/deploy/rest-server.yaml.template`). Throws TemplateRenderError.
 */
export function renderTemplate(source: string, context: Record<string, unknown>, options: { name: string }): string {
  const template = compileTemplate(source, options.name);
  try {
    return template.render(context);
  } catch (error) {
    throw renderError(error, options.name);
  }
}

function compileTemplate(source: string, name: string): TemplateInstance {
  const text = jinjaSourceText(source);
  let code: string;
  try {
    code = compileJinja(parseJinja(text), name);
  } catch (error) {
    throw syntaxError(error, name, text);
  }
  // The compiled code is nunjucks' usual `function root(env, context, frame, runtime, cb) {...}; return {root}`,
  // made a function as nunjucks makes every string template one, but of `shims`, so it reaches runtime.ts
  // lexically; nunjucks' Template takes it as a precompiled template.
  const factory = new Function('shims', code) as (runtime: typeof shims) => unknown;
  return new Template({ type: 'code', obj: factory(shims) }, environment, name, true);
}

interface NunjucksError {
  lineno?: unknown;
  colno?: unknown;
  cause?: unknown;
  message: string;
}

function position(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

function syntaxError(error: unknown, name: string, text: string): TemplateRenderError {
  if (error instanceof JinjaSyntaxError)
    return new TemplateRenderError({
      templateName: name,
      line: error.line,
      column: error.column,
      kind: 'syntax',
      detail: error.message,
      pythonError: 'TemplateSyntaxError',
      cause: error,
    });
  if (error instanceof Error) {
    const { lineno, colno } = error as NunjucksError;
    const line = position(lineno);
    return new TemplateRenderError({
      templateName: name,
      // nunjucks gives no position when the template ends inside a tag or block: that is its last line.
      line: line ?? text.split('\n').length,
      column: line === undefined ? undefined : position(colno),
      kind: 'syntax',
      // nunjucks prefixes some messages with its parser method ("parseIf: expected elif, else, or endif").
      detail: error.message.replace(/^parse[A-Za-z]*: /, ''),
      cause: error,
    });
  }
  return new TemplateRenderError({ templateName: name, kind: 'syntax', detail: String(error), cause: error });
}

const KIND_OF: Readonly<Record<PyErrorType, TemplateErrorKind>> = {
  UndefinedError: 'undefined',
  TypeError: 'type',
  ValueError: 'type',
  ZeroDivisionError: 'type',
  Unsupported: 'unsupported',
};

function renderError(error: unknown, name: string): TemplateRenderError {
  const { lineno, colno, cause } = (error ?? {}) as NunjucksError;
  const line = position(lineno);
  const column = position(colno);
  if (cause instanceof JinjaRuntimeError) {
    return new TemplateRenderError({
      templateName: name,
      line,
      column,
      kind: KIND_OF[cause.pyType],
      pythonError: cause.pyType === 'Unsupported' ? undefined : cause.pyType,
      detail: cause.message,
      cause,
    });
  }
  // Anything else is nunjucks' or a shim's own failure on a construct pai-deploy does not compile (a macro call
  // with keyword arguments, an include without a loader): report it as unsupported, with its message.
  const inner = cause instanceof Error ? cause : error instanceof Error ? error : undefined;
  return new TemplateRenderError({
    templateName: name,
    line,
    column,
    kind: 'unsupported',
    detail: inner?.message.replace(/^\([^)]*\)( \[Line \d+, Column \d+\])?\n\s*/, '') ?? String(error),
    cause: error,
  });
}
