import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import AjvFormats from 'ajv-formats';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/checks/run-checks.js';
import { checkCatalog } from '../../src/checks/catalog.js';
import { checkCiReport, findingsCiReport } from '../../src/cli/format/ci-report.js';
import { formatSarif } from '../../src/cli/format/sarif.js';
import { summarize, type Finding } from '../../src/findings/finding.js';

// The SARIF 2.1.0 JSON schema (the final rtm.5, draft-04) as @microsoft/jest-sarif ships it. Its `language`
// pattern is not a valid regular expression in Unicode mode, hence unicodeRegExp: false.
const schemaFile = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// Both are CommonJS modules whose class / plugin is their `default` export.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
AjvFormats.default(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);

function schemaErrors(text: string): unknown {
  return validateSarif(JSON.parse(text)) ? [] : validateSarif.errors;
}

const cwd = '/work/cluster-repo';
const options = { version: '0.1.0', cwd };

function finding(overrides: Partial<Finding>): Finding {
  return {
    severity: 'error',
    code: 'duplicate-hostname',
    file: 'cluster/layout.yaml',
    line: 42,
    column: 15,
    path: 'machine-list[2].hostname',
    message: 'machine-list[2].hostname: hostname "pai-gpu-01" is already used by machine-list[1]',
    hint: 'Every machine needs its own hostname; it becomes its Kubernetes node name.',
    ...overrides,
  };
}

const findings = [
  finding({}),
  finding({ line: 50, path: 'machine-list[3].hostname', message: 'again' }),
  finding({
    severity: 'warning',
    code: 'unknown-key',
    file: 'cluster/config.yaml',
    line: 3,
    column: 1,
    path: 'docker_data_rot',
    message: 'unknown key "docker_data_rot" (did you mean "docker_data_root"?)',
    hint: 'Remove it or fix its spelling.',
  }),
  finding({ code: 'empty-file', file: 'my cluster/config#2.yaml', line: 0, column: 0, path: '', hint: 'Fill it.' }),
  finding({ code: 'unreadable', file: '/etc/elsewhere.yaml', line: 0, column: 0, path: '', hint: 'Check it.' }),
];

const sarif = (text: string) => JSON.parse(text) as Log;

describe('SARIF of validate findings', () => {
  const text = formatSarif(findingsCiReport(summarize(findings)), options);
  const log = sarif(text);
  const run = log.runs[0]!;

  it('is valid against the SARIF 2.1.0 schema', () => expect(schemaErrors(text)).toEqual([]));
  it('is one run of the tool pai-deploy with its version', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'pai-deploy', version: '0.1.0', semanticVersion: '0.1.0' });
  });
  it('has one rule per finding code, with its hint as help, and each result points at its rule', () => {
    // In the order the findings are sorted: by file name, then position.
    expect(run.tool.driver.rules?.map((rule) => rule.id)).toEqual([
      'unreadable',
      'unknown-key',
      'duplicate-hostname',
      'empty-file',
    ]);
    const rule = run.tool.driver.rules?.find((r) => r.id === 'duplicate-hostname');
    expect(rule).toMatchObject({
      help: { text: findings[0]!.hint },
      defaultConfiguration: { level: 'error' },
    });
    for (const result of run.results ?? [])
      expect(run.tool.driver.rules?.[result.ruleIndex!]?.id, result.ruleId).toBe(result.ruleId);
  });
  it('gives each result its level, message and file:line:col, the file relative to the working directory', () => {
    const result = run.results?.find((r) => r.ruleId === 'duplicate-hostname');
    expect(result).toEqual({
      ruleId: 'duplicate-hostname',
      ruleIndex: 2,
      level: 'error',
      message: { text: findings[0]!.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'cluster/layout.yaml', uriBaseId: '%SRCROOT%' },
            region: { startLine: 42, startColumn: 15 },
          },
        },
      ],
    });
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///work/cluster-repo/' } });
    expect(run.results?.find((r) => r.ruleId === 'unknown-key')?.level).toBe('warning');
  });
  it('leaves out the region of a finding about a whole file, percent-encodes names, and gives a file outside the working directory as a file: URI', () => {
    const empty = run.results?.find((r) => r.ruleId === 'empty-file')?.locations?.[0]?.physicalLocation;
    expect(empty).toEqual({ artifactLocation: { uri: 'my%20cluster/config%232.yaml', uriBaseId: '%SRCROOT%' } });
    const outside = run.results?.find((r) => r.ruleId === 'unreadable')?.locations?.[0]?.physicalLocation;
    expect(outside).toEqual({ artifactLocation: { uri: 'file:///etc/elsewhere.yaml' } });
  });
  it('has no results, and is still valid, for a valid input', () => {
    const clean = formatSarif(findingsCiReport(summarize([])), options);
    expect(schemaErrors(clean)).toEqual([]);
    expect(sarif(clean).runs[0]!.results).toEqual([]);
  });
  it('is refused by the schema when broken (the check is real)', () => {
    const broken = sarif(text);
    broken.runs[0]!.results![0]!.level = 'fatal' as 'error';
    expect(validateSarif(broken)).toBe(false);
  });
});

describe('SARIF of a check report', () => {
  const report: CheckReport = {
    summary: { machines: 1, passed: 0, warnings: 0, failed: 1, unreachable: 0 },
    machines: [
      {
        hostname: 'pai-gpu-01',
        ip: '10.0.0.11',
        roles: ['pai-worker'],
        reachable: true,
        checks: [
          { id: 'ssh.connect', status: 'pass', observed: 'publickey', message: '', hint: '' },
          {
            id: 'gpu.count',
            status: 'fail',
            observed: '2 GPUs',
            message: 'the layout says 4 GPUs',
            hint: 'Fix the sku or the machine.',
          },
          { id: 'docker.version', status: 'warn', observed: '18.06', message: 'old docker', hint: 'Upgrade.' },
          { id: 'os.systemd', status: 'skip', observed: '', message: '--skip', hint: '' },
        ],
      },
    ],
    cluster: { checks: [] },
    devbox: { checks: [{ id: 'devbox.disk', status: 'fail', observed: '1 GiB', message: 'little disk', hint: 'h' }] },
  };
  const text = formatSarif(
    checkCiReport(report, {
      locateMachine: () => ({ file: 'cluster/layout.yaml', line: 36, column: 15 }),
      catalog: checkCatalog(),
      findings: summarize([finding({ severity: 'warning', code: 'low-memory', line: 13, column: 10 })]),
    }),
    options,
  );
  const run = sarif(text).runs[0]!;

  it('is valid against the SARIF 2.1.0 schema', () => expect(schemaErrors(text)).toEqual([]));
  it('has a result per failed or warned check (none for passed or skipped ones), after the validation warnings', () => {
    expect(run.results?.map((r) => [r.ruleId, r.level])).toEqual([
      ['low-memory', 'warning'],
      ['gpu.count', 'error'],
      ['docker.version', 'warning'],
      ['devbox.disk', 'error'],
    ]);
  });
  it("shows a machine's result on its layout line and a dev-box result nowhere", () => {
    const gpu = run.results?.find((r) => r.ruleId === 'gpu.count');
    expect(gpu?.message.text).toBe('pai-gpu-01: the layout says 4 GPUs [2 GPUs]');
    expect(gpu?.locations?.[0]?.physicalLocation?.region).toEqual({ startLine: 36, startColumn: 15 });
    expect(run.results?.find((r) => r.ruleId === 'devbox.disk')?.locations).toBeUndefined();
  });
  it("takes a check's rule title and hint from the catalog", () => {
    const spec = checkCatalog().find((check) => check.id === 'gpu.count');
    expect(run.tool.driver.rules?.find((rule) => rule.id === 'gpu.count')).toMatchObject({
      shortDescription: { text: spec?.title ?? 'gpu.count' },
      help: { text: spec?.hint ?? 'Fix the sku or the machine.' },
    });
  });
});
