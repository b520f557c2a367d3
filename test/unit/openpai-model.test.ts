/**
 * OpenPAI v1.8.0's cluster object model against OpenPAI's own parsers: each case of
 * test/fixtures/openpai-model/cases was run through paictl's unmodified object model (Python 2.7, PyYAML 3.11) by
 * scripts/openpai-model-golden.py with the defaults of test/fixtures/openpai-shaped, and its output kept in
 * test/fixtures/openpai-model/golden. buildClusterModel must give the same model, or, where paictl stopped, no
 * model and the findings the case names.
 *
 * With OPENPAI_V1_8_0_TREE=<an OpenPAI v1.8.0 checkout> and OPENPAI_MODEL_PYTHON=<that Python 2.7> (see the
 * script's header) the same cases also run with the tree's own defaults, the golden made at run time in a
 * temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterModelInput, SourceText } from '../../src/openpai/model/index.js';
import { buildClusterModel, isAlertTemplateDirectory } from '../../src/openpai/model/index.js';

export const FIXTURES = join(import.meta.dirname, '../fixtures');
export const CASES = join(FIXTURES, 'openpai-model/cases');
export const GOLDEN = join(FIXTURES, 'openpai-model/golden');
export const SHAPED_TREE = join(FIXTURES, 'openpai-shaped');

export interface CaseMeta {
  description: string;
  /** The services whose parsers the case's tree holds (default: every one with defaults). */
  services?: string[];
  /** Directories of alert-manager's deploy/alert-templates and the files in each. */
  alertTemplates?: Record<string, string[]>;
  /** For a case paictl stops on: the finding codes pai-deploy must report as errors. */
  expectErrors?: string[];
}

export interface Golden {
  model?: Record<string, unknown>;
  error?: { phase: string; service: string | null; kind: 'validation' | 'exception'; message: string | null };
  warnings?: string[];
}

export function caseNames(): string[] {
  return readdirSync(CASES)
    .filter((name) => statSync(join(CASES, name)).isDirectory())
    .sort();
}

export function readCase(name: string): {
  meta: CaseMeta;
  layout: SourceText;
  services: SourceText;
} {
  const dir = join(CASES, name);
  const text = (file: string) => ({ path: `${name}/${file}`, text: readFileSync(join(dir, file), 'utf8') });
  return {
    meta: JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseMeta,
    layout: text('layout.yaml'),
    services: text('services-configuration.yaml'),
  };
}

/**
 * The defaults of a tree, as paictl finds its parsers: every `src/<svc>/` with `config/<svc_underscored>.py` (an
 * OpenPAI checkout) or, in the fixture tree which has no parsers, with `config/<svc>.yaml`. Sorted by name.
 */
export function treeDefaults(tree: string, only?: readonly string[]): Map<string, SourceText> {
  const out = new Map<string, SourceText>();
  for (const service of readdirSync(join(tree, 'src')).sort()) {
    if (only && !only.includes(service)) continue;
    const config = join(tree, 'src', service, 'config');
    const defaults = join(config, `${service}.yaml`);
    const parser = join(config, `${service.replace(/-/g, '_')}.py`);
    const hasParser = exists(parser);
    if (!hasParser && !exists(defaults)) continue;
    if (hasParser && !exists(defaults)) {
      // paictl ran such a parser with empty defaults; v1.8.0 has none, so the tests need no case for it.
      throw new Error(`${service} has a parser but no defaults file`);
    }
    out.set(service, { path: `src/${service}/config/${service}.yaml`, text: readFileSync(defaults, 'utf8') });
  }
  return out;
}

/** The e-mail templates of a case's alert-templates, as the integrator would list them from a tree. */
export function templatesOf(dirs: Record<string, string[]> | undefined): string[] {
  return Object.entries(dirs ?? {})
    .filter(([, files]) => isAlertTemplateDirectory(files))
    .map(([name]) => name)
    .sort();
}

export function treeTemplates(tree: string): string[] {
  const root = join(tree, 'src/alert-manager/deploy/alert-templates');
  return readdirSync(root)
    .filter(
      (name) => statSync(join(root, name)).isDirectory() && isAlertTemplateDirectory(readdirSync(join(root, name))),
    )
    .sort();
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A model in comparable terms. Python 2 (paictl's) dicts and sets have no order of their own, so:
 * - mappings compare without key order (toEqual does that);
 * - the strings OpenPAI makes with json.dumps of a dict (group extensions, marketplace's azure_storage_json) are
 *   compared parsed, and the query webportal makes with urlencode of a dict compared as a sorted list of pairs;
 * - device-plugin's devices (extended from a set) and alert-manager's templates (os.listdir) compare sorted.
 * Timestamps become their isoformat text, as in the golden JSON.
 */
export function comparable(model: unknown): Json {
  const out = JSON.parse(JSON.stringify(model)) as { [key: string]: Json };
  const at = (path: string[]): Json | undefined => {
    let node: Json | undefined = out;
    for (const key of path) node = node && typeof node === 'object' && !Array.isArray(node) ? node[key] : undefined;
    return node;
  };
  const gm = at(['authentication', 'group-manager']);
  if (gm && typeof gm === 'object' && !Array.isArray(gm)) {
    const groups = [gm['admin-group'], gm['default-group'], ...(Array.isArray(gm['grouplist']) ? gm['grouplist'] : [])];
    for (const group of groups) {
      if (group && typeof group === 'object' && !Array.isArray(group) && typeof group['extension'] === 'string')
        group['extension'] = { json: JSON.parse(group['extension']) as Json };
    }
  }
  const market = at(['marketplace-restserver']);
  if (
    market &&
    typeof market === 'object' &&
    !Array.isArray(market) &&
    typeof market['azure_storage_json'] === 'string'
  )
    market['azure_storage_json'] = { json: JSON.parse(market['azure_storage_json']) as Json };
  const plugins = at(['webportal', 'plugins']);
  if (Array.isArray(plugins)) {
    for (const plugin of plugins) {
      if (!plugin || typeof plugin !== 'object' || Array.isArray(plugin) || typeof plugin['uri'] !== 'string') continue;
      const [base, query] = splitQuery(plugin['uri']);
      plugin['uri'] = { base, query: query === undefined ? null : query.split('&').sort() };
    }
  }
  for (const path of [
    ['device-plugin', 'devices'],
    ['alert-manager', 'alert-handler', 'email-configs', 'templates'],
  ]) {
    const list = at(path);
    if (Array.isArray(list)) list.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return out;
}

function splitQuery(uri: string): [string, string | undefined] {
  const at = uri.indexOf('?');
  return at < 0 ? [uri, undefined] : [uri.slice(0, at), uri.slice(at + 1)];
}

// --- the golden cases --------------------------------------------------------------------------------------------

function inputOf(name: string, defaults: ReadonlyMap<string, SourceText>, templates: string[]): ClusterModelInput {
  const { meta, layout, services } = readCase(name);
  const only = meta.services;
  return {
    layout,
    servicesConfiguration: services,
    defaults: only ? new Map([...defaults].filter(([service]) => only.includes(service))) : defaults,
    alertTemplates: templates,
  };
}

function expectLikeGolden(name: string, input: ClusterModelInput, golden: Golden): void {
  const { meta } = readCase(name);
  const result = buildClusterModel(input);
  const errors = result.findings.filter((finding) => finding.severity === 'error');
  if (golden.model) {
    expect(errors).toEqual([]);
    expect(comparable(result.model)).toEqual(comparable(golden.model));
  } else {
    // paictl stopped (golden.error says where and why); pai-deploy gives no model and says why in its own words.
    expect(golden.error).toBeDefined();
    expect(result.model).toBeUndefined();
    expect(meta.expectErrors?.length).toBeGreaterThan(0);
    expect(errors.map((finding) => finding.code)).toEqual(expect.arrayContaining(meta.expectErrors ?? []));
    for (const finding of errors) {
      expect(finding.hint).not.toBe('');
      expect(finding.line).toBeGreaterThan(0);
    }
  }
}

describe('OpenPAI v1.8.0 cluster object model: golden cases (test/fixtures/openpai-model)', () => {
  const defaults = treeDefaults(SHAPED_TREE);
  it('has the 25 defaults of the fixture tree and a golden for every case', () => {
    expect(defaults.size).toBe(25);
    expect(caseNames().map((name) => `${name}.json`)).toEqual(readdirSync(GOLDEN).sort());
  });
  for (const name of caseNames()) {
    it(name, () => {
      const golden = JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as Golden;
      expectLikeGolden(name, inputOf(name, defaults, templatesOf(readCase(name).meta.alertTemplates)), golden);
    });
  }
});

// --- the real tree -----------------------------------------------------------------------------------------------

const realTree = process.env['OPENPAI_V1_8_0_TREE'];
const realPython = process.env['OPENPAI_MODEL_PYTHON'];
const realSkip = !realTree || !realPython;

// A local-only check with OpenPAI's own defaults files (nothing of them is in this repository): the golden is made
// at run time by the same script with --real-defaults, into a temporary directory.
describe.skipIf(realSkip)(
  realSkip
    ? 'OpenPAI v1.8.0 cluster object model with the real tree (skipped: set OPENPAI_V1_8_0_TREE=<v1.8.0 checkout> and OPENPAI_MODEL_PYTHON=<Python 2.7 with PyYAML 3.11, see scripts/openpai-model-golden.py>)'
    : `OpenPAI v1.8.0 cluster object model with the real tree at ${realTree}`,
  () => {
    let out = '';
    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), 'pai-model-real-'));
      execFileSync(
        realPython!,
        [
          join(import.meta.dirname, '../../scripts/openpai-model-golden.py'),
          '--tree',
          realTree!,
          '--real-defaults',
          '--out',
          out,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
      );
    }, 300_000);
    afterAll(() => {
      if (out) rmSync(out, { recursive: true, force: true });
    });
    for (const name of caseNames()) {
      it(name, () => {
        const golden = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as Golden;
        expectLikeGolden(name, inputOf(name, treeDefaults(realTree!), treeTemplates(realTree!)), golden);
      });
    }
  },
);
