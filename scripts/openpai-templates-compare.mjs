#!/usr/bin/env node
// Renders every service template of an OpenPAI source tree (src/*/deploy/**/*.template) with pai-deploy's
// renderTemplate and with real Jinja2, from the same cluster object model, and says how many come out
// byte-identical, listing the differences. A local tool (it needs an OpenPAI checkout and a model; nothing of
// OpenPAI is committed here), never run in CI.
//
//   npm run build
//   node scripts/openpai-templates-compare.mjs --tree /tmp/pai-v1.8.0 --model cluster-cfg.json
//
// --tree    a checkout of microsoft/pai (e.g. `git -C <mirror> archive v1.8.0 | tar -x -C /tmp/pai-v1.8.0`)
// --model   the cluster object model as JSON: what paictl passed as `cluster_cfg`, e.g. printed by
//           OpenPAI's deployment/clusterObjectModel/cluster_object_model.py service_config() with json.dump
// --python  the Python whose Jinja2 renders (default: the venv scripts/ci/provision-jinja2.sh builds, Jinja2
//           2.11.3 on CPython 3.7; a Python 2.7 with Jinja2 2.8 is what OpenPAI's dev-box ran paictl with)
// --context N   lines of context around each difference (default 2); --all  print every differing line
// --json    one JSON document instead of text
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const oracle = join(root, 'test', 'integration', 'jinja2', 'oracle.py');
const renderer = join(root, 'dist', 'openpai', 'templates', 'render-template.js');

const { values: options } = parseArgs({
  options: {
    tree: { type: 'string' },
    model: { type: 'string' },
    python: { type: 'string' },
    context: { type: 'string', default: '2' },
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function usage(message) {
  if (message) console.error(`openpai-templates-compare: ${message}`);
  console.error('usage: node scripts/openpai-templates-compare.mjs --tree DIR --model FILE [--python PATH] [--json]');
  process.exitCode = 2;
}

function defaultPython() {
  const cache = process.env['PAI_DEPLOY_CACHE'] || join(homedir(), '.cache', 'pai-deploy');
  return join(cache, 'jinja2-venv-2.11.3-markupsafe-2.0.1', 'bin', 'python');
}

/** Every `*.template` under src/<service>/deploy/, recursively, sorted. */
function templatesOf(tree) {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.template')) found.push(path);
    }
  };
  const src = join(tree, 'src');
  for (const service of readdirSync(src).sort()) {
    const deploy = join(src, service, 'deploy');
    if (existsSync(deploy) && statSync(deploy).isDirectory()) walk(deploy);
  }
  return found;
}

function jinja2(python, jobs) {
  const result = spawnSync(python, [oracle], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (result.error) throw new Error(`cannot run ${python}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${python} ${oracle} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function pythonVersion(python) {
  const probe = spawnSync(
    python,
    ['-c', 'import sys, jinja2; print("Jinja2 %s on Python %s" % (jinja2.__version__, sys.version.split()[0]))'],
    { encoding: 'utf8' },
  );
  return probe.status === 0 ? probe.stdout.trim() : `(${python} did not say its versions)`;
}

/** The differing stretches of two texts, line by line, with `context` lines around each. */
function differences(expected, actual, context, all) {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const out = [];
  const length = Math.max(a.length, b.length);
  let shown = -1;
  let count = 0;
  for (let i = 0; i < length; i++) {
    if (a[i] === b[i]) continue;
    count++;
    if (!all && count > 5) continue;
    for (let j = Math.max(shown + 1, i - context); j < i; j++) out.push(`   ${j + 1}  ${a[j] ?? ''}`);
    out.push(` - ${i + 1}  ${JSON.stringify(a[i] ?? '(no line)')}`);
    out.push(` + ${i + 1}  ${JSON.stringify(b[i] ?? '(no line)')}`);
    shown = i;
  }
  if (!all && count > 5) out.push(`   ... ${count - 5} more differing lines (--all shows them)`);
  return { lines: out, count };
}

async function main() {
  if (options.help) return usage();
  if (!options.tree || !options.model) return usage('--tree and --model are required');
  if (!existsSync(renderer)) return usage('dist/ is missing: run `npm run build` first');
  const python = options.python ?? defaultPython();
  if (!existsSync(python)) return usage(`no Python at ${python}: run scripts/ci/provision-jinja2.sh or pass --python`);

  const { renderTemplate, TemplateRenderError } = await import(renderer);
  const model = JSON.parse(readFileSync(options.model, 'utf8'));
  const context = { cluster_cfg: model };
  const files = templatesOf(options.tree);
  const jobs = files.map((file) => ({ template: readFileSync(file, 'utf8'), context }));

  const started = performance.now();
  const ours = jobs.map((job, index) => {
    try {
      return {
        ok: renderTemplate(job.template, job.context, { name: relative(join(options.tree, 'src'), files[index]) }),
      };
    } catch (error) {
      if (!(error instanceof TemplateRenderError)) throw error;
      const type = error.kind === 'syntax' ? 'TemplateSyntaxError' : (error.pythonError ?? `pai-deploy ${error.kind}`);
      return { error: { type, message: error.message } };
    }
  });
  const oursMs = performance.now() - started;
  const theirs = jinja2(python, jobs);

  const results = files.map((file, index) => {
    const name = relative(join(options.tree, 'src'), file);
    const mine = ours[index];
    const real = theirs[index];
    if ('ok' in mine && 'ok' in real) {
      if (mine.ok === real.ok) return { name, outcome: 'identical' };
      const diff = differences(real.ok, mine.ok, Number(options.context), options.all);
      return { name, outcome: 'different', differingLines: diff.count, diff: diff.lines };
    }
    if ('error' in mine && 'error' in real && mine.error.type === real.error.type)
      return { name, outcome: 'same error', jinja2: real.error, ours: mine.error };
    return {
      name,
      outcome: 'different',
      jinja2: 'error' in real ? real.error : 'rendered',
      ours: 'error' in mine ? mine.error : 'rendered',
    };
  });

  const identical = results.filter((r) => r.outcome === 'identical').length;
  const sameError = results.filter((r) => r.outcome === 'same error').length;
  const different = results.filter((r) => r.outcome === 'different');
  const versions = pythonVersion(python);
  if (options.json) {
    console.log(
      JSON.stringify(
        { oracle: versions, templates: results.length, identical, sameError, different: different.length, results },
        null,
        2,
      ),
    );
    return;
  }
  console.log(`${options.tree}: ${results.length} templates, model ${options.model}, against ${versions}`);
  console.log(
    `  ${identical + sameError} of ${results.length} identical (${identical} byte-identical outputs, ${sameError} failing with the same Python exception in both)`,
  );
  console.log(`  pai-deploy rendered all ${results.length} in ${oursMs.toFixed(0)} ms`);
  for (const r of results.filter((r) => r.outcome === 'same error'))
    console.log(`  same error: ${r.name}: ${r.jinja2.type}: ${r.jinja2.message.split('\n')[0]}`);
  for (const r of different) {
    console.log(`\n  DIFFERENT: ${r.name}`);
    if (r.diff) {
      console.log(`    ${r.differingLines} differing line(s) (- Jinja2, + pai-deploy):`);
      for (const line of r.diff) console.log(`   ${line}`);
    } else {
      console.log(`    Jinja2: ${typeof r.jinja2 === 'string' ? r.jinja2 : `${r.jinja2.type}: ${r.jinja2.message}`}`);
      console.log(`    pai-deploy: ${typeof r.ours === 'string' ? r.ours : `${r.ours.type}: ${r.ours.message}`}`);
    }
  }
  if (different.length > 0) process.exitCode = 1;
}

await main();
