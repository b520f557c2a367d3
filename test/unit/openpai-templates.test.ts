import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { PaiDeployError } from '../../src/errors.js';
import { TemplateRenderError, renderTemplate } from '../../src/openpai/templates/render-template.js';

/**
 * renderTemplate as the service deployer calls it. The expected outputs are what Jinja2 2.11 renders (the
 * differential test checks the same features against real Jinja2; these run without Python).
 */
const render = (source: string, context: Record<string, unknown> = {}) =>
  renderTemplate(source, context, { name: 'test.yaml.template' });

function failure(source: string, context: Record<string, unknown> = {}): TemplateRenderError {
  try {
    render(source, context);
  } catch (error) {
    if (error instanceof TemplateRenderError) return error;
    throw error;
  }
  throw new Error(`rendered without an error: ${source}`);
}

describe('renderTemplate: the fixes over plain nunjucks', () => {
  it('iterates a dict with one loop variable over its keys', () => {
    const machines = { 'node-1': { ip: '10.0.0.1' }, 'node-2': { ip: '10.0.0.2' } };
    expect(render('{% for host in m %}{{ host }}={{ m[host].ip }} {% endfor %}', { m: machines })).toBe(
      'node-1=10.0.0.1 node-2=10.0.0.2 ',
    );
  });

  it('prints Python values: True, None, lists and dicts as Python str()', () => {
    expect(render('{{ t }} {{ f }} {{ n }}', { t: true, f: false, n: null })).toBe('True False None');
    expect(render('{{ plugins }}', { plugins: [{ id: 'x', title: 'y' }] })).toBe("[{'id': 'x', 'title': 'y'}]");
    expect(render('{{ v | string }}', { v: { a: [true] } })).toBe("{'a': [True]}");
  });

  it("treats `'x' in <undefined>` as false", () => {
    expect(render("{{ 'ssl' in cfg['pylon'] }}", { cfg: {} })).toBe('False');
  });

  it("drops the source's single trailing newline", () => {
    expect(render('a: 1\n')).toBe('a: 1');
    expect(render('a: 1\n\n')).toBe('a: 1\n');
    expect(render('a: 1\r\nb: 2\r\n')).toBe('a: 1\nb: 2');
  });

  it('takes `is sameas X` without parentheses', () => {
    expect(
      render('{{ x is sameas false }} {{ y is sameas false }} {{ x is not sameas none }}', { x: false, y: 0 }),
    ).toBe('True False True');
  });

  it('treats `null` as an (undefined) name and True/False/None as constants', () => {
    expect(render('[{{ null }}] {{ null is defined }} {{ True }} {{ None }}')).toBe('[] False True None');
    expect(render('{{ null }}', { null: 'a value' })).toBe('a value');
  });
});

describe('renderTemplate: the loop filter `for x in A if C`', () => {
  const numbers = { numbers: [1, 2, 3, 4, 5, 6] };

  it('counts loop.index, loop.length and loop.last over the filtered items', () => {
    expect(
      render(
        '{% for x in numbers if x is even %}{{ loop.index }}/{{ loop.length }}{{ "" if loop.last else "," }}{% endfor %}',
        numbers,
      ),
    ).toBe('1/3,2/3,3/3');
  });

  it('runs else when no item passes', () => {
    expect(render('{% for x in numbers if x > 10 %}{{ x }}{% else %}none{% endfor %}', numbers)).toBe('none');
  });

  it('nests, each loop with its own filter and loop variable', () => {
    expect(
      render(
        '{% for x in numbers if x % 2 == 0 %}{{ x }}:{% for y in numbers if y > x %}{{ loop.index }}{% endfor %};{% endfor %}',
        numbers,
      ),
    ).toBe('2:1234;4:12;6:;');
  });

  it('is not confused by `if` inside strings, in the body or in the condition', () => {
    const context = { labels: { a: "if it's 'if'", b: 'x if y', c: 'no' } };
    expect(
      render(
        `{% for k in labels if labels[k] == "if it's 'if'" or ' if ' in labels[k] %}{{ k }} says "{{ 'if' }}"{% if loop.last %}.{% endif %}{% endfor %}`,
        context,
      ),
    ).toBe('a says "if"b says "if".');
  });

  it('works with whitespace control on both ends', () => {
    const source = '[\n{%- for x in numbers if x < 3 -%}\n  {{ x }}\n{%- endfor -%}\n]';
    expect(render(source, numbers)).toBe('[12]');
  });

  it('unpacks tuples before filtering', () => {
    expect(render('{% for k, v in d.items() if v > 1 %}{{ k }}{% endfor %}', { d: { a: 1, b: 2, c: 3 } })).toBe('bc');
  });

  it('keeps a parenthesised conditional iterable as an iterable', () => {
    expect(render('{% for x in (numbers if flag else [0]) %}{{ x }}{% endfor %}', { ...numbers, flag: false })).toBe(
      '0',
    );
  });

  it("refuses `else` in a loop's filter, as Jinja2 does", () => {
    expect(failure('{% for x in a if c else b %}{% endfor %}').kind).toBe('syntax');
  });
});

describe("renderTemplate: Jinja2's scoping, lookups and precedence", () => {
  it('keeps `set` inside a loop body in that iteration', () => {
    expect(
      render(
        "{% set x = 'o' %}{% for i in [1, 2] %}{% if i == 1 %}{% set x = 'a' %}{% endif %}[{{ x }}]{% endfor %}{{ x }}",
      ),
    ).toBe('[a][o]o');
  });

  it('`.name` looks up the dict method first, `["name"]` the key', () => {
    expect(render("{{ d['items'] }} {{ d.items()|length }}", { d: { items: 'key' } })).toBe('key 1');
  });

  it("supports the Python 2 dict methods paictl's templates call", () => {
    expect(render('{% for k, v in d.iteritems() %}{{ k }}={{ v }};{% endfor %}', { d: { a: 1, b: [2] } })).toBe(
      'a=1;b=[2];',
    );
  });

  it('binds tests like filters and `~` between `+` and `*`', () => {
    // 2 == (2 is defined) is 2 == True; nunjucks would read (2 == 2) is defined.
    expect(render('{{ 2 == 2 is defined }} {{ 7 * 3 // 2 }} {{ 2 + 3 * 4 }}')).toBe('False 10 14');
    expect(failure("{{ 'a' ~ 1 + 2 }}").pythonError).toBe('TypeError');
  });

  it('treats empty lists and dicts as false', () => {
    expect(render('{% if uris %}yes{% else %}no{% endif %}', { uris: [] })).toBe('no');
    expect(render('{% if d %}yes{% else %}no{% endif %}', { d: {} })).toBe('no');
  });

  it('does not see JavaScript prototype members', () => {
    expect(render("[{{ d['constructor'] }}][{{ l['length'] }}][{{ toString }}]", { d: {}, l: [1] })).toBe('[][][]');
  });
});

describe('renderTemplate: errors', () => {
  it('raises an UndefinedError-like TemplateRenderError with name, line, column and a hint', () => {
    const error = failure("line 1\n  x: {{ cluster_cfg['pylon']['ssl']['port'] }}", { cluster_cfg: { pylon: {} } });
    expect(error).toBeInstanceOf(PaiDeployError);
    expect(error.kind).toBe('undefined');
    expect(error.pythonError).toBe('UndefinedError');
    expect(error.templateName).toBe('test.yaml.template');
    expect(error.line).toBe(2);
    expect(error.column).toBe(36);
    expect(error.message).toBe(
      "cannot render test.yaml.template:2:36: cluster_cfg['pylon']['ssl'] is undefined, so ['port'] cannot be read from it (Jinja2: UndefinedError)",
    );
    expect(error.hint).toMatch(/services-configuration\.yaml/);
  });

  it('reports type errors where Jinja2 raises them', () => {
    const error = failure("{% for host in cfg['hosts'] %}{% endfor %}", { cfg: { hosts: null } });
    expect(error.kind).toBe('type');
    expect(error.pythonError).toBe('TypeError');
    expect(error.detail).toBe("'NoneType' object is not iterable");
    expect(error.line).toBe(1);
  });

  it('reports syntax errors with their position', () => {
    const error = failure('ok\n{% if x %}\nno endif');
    expect(error.kind).toBe('syntax');
    expect(error.line).toBe(3);
    expect(error.detail).toBe('expected elif, else, or endif, got end of file');
    expect(failure('a\n{{ x + }}')).toMatchObject({ line: 2, column: 8 });
    expect(failure('{{ x | upperr }}').detail).toMatch(/no filter named 'upperr'/);
    expect(failure('{{ x is nosuch }}').detail).toMatch(/no test named 'nosuch'/);
    expect(failure("{{ '\\x4' }}").detail).toMatch(/truncated/);
    expect(failure('{{ 1e16 }}').detail).toMatch(/not a number/);
  });

  it('refuses what it does not reproduce instead of rendering something else', () => {
    expect(failure("{{ 'abc'.upper() }}").kind).toBe('unsupported');
    expect(failure("{{ '%s' % x }}", { x: 1 }).kind).toBe('unsupported');
  });
});

describe('renderTemplate: isolation', () => {
  it('leaves nunjucks itself as it was (no installJinjaCompat, no patched runtime)', () => {
    render('{{ True }} {% for k in d %}{{ k }}{% endfor %}', { d: { a: 1 } });
    const stock = new nunjucks.Environment([], { autoescape: false });
    expect(stock.renderString('{{ True }}|{% for k in d %}{{ k }}{% endfor %}|{{ [1] }}', { d: { a: 1 } })).toBe('||1');
  });

  it('does not modify the context', () => {
    const context = { cfg: { list: [1, 2], d: { a: 1 } } };
    const before = JSON.stringify(context);
    render("{% set x = cfg['list'] + [3] %}{{ x }}{% for k, v in cfg['d'].items() %}{{ k }}{% endfor %}", context);
    expect(JSON.stringify(context)).toBe(before);
  });

  it('renders synchronously and repeatably', () => {
    const source = '{% for x in xs if x %}{{ x }}{% endfor %}';
    expect(render(source, { xs: [0, 1, 2] })).toBe('12');
    expect(render(source, { xs: [3] })).toBe('3');
  });
});
