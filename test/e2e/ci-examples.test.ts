import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import AjvFormats from 'ajv-formats';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliPath, repoRoot, runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { writeSelfCluster } from '../support/self-cluster.js';

/**
 * The pipelines of examples/ci/, run for real: their YAML is parsed, the steps of the validation jobs that call
 * pai-deploy are run with the shell and environment the CI system would use, in a checkout-like directory holding the
 * shipped examples (or a broken copy) where the pipelines expect the cluster's files; then the outputs are read as the
 * CI system reads them (annotation lines, the SARIF file upload-sarif would send, the JUnit file GitLab would parse).
 *
 * The install steps (`npm ci && npm run build && npm link`) are not run: `npm link` would install into the global
 * prefix, so each run gets a prefix of its own whose bin/pai-deploy is a link to this repository's bin/pai-deploy.js,
 * which is what `npm link` leaves there, and `npx pai-deploy` finds it as it would on the runner (npm_config_offline
 * makes sure npx never fetches a package of that name instead). Needs `npm run build` first.
 */

const root = tempDir('pai-deploy-ci-');
const githubText = readFileSync(join(repoRoot, 'examples/ci/github-actions.yml'), 'utf8');
const gitlabText = readFileSync(join(repoRoot, 'examples/ci/gitlab-ci.yml'), 'utf8');

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}
interface GithubJob {
  'runs-on': string | string[];
  if?: string;
  env?: Record<string, string>;
  steps: GithubStep[];
}
interface GithubWorkflow {
  env?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, GithubJob>;
}
interface GitlabJob {
  extends?: string;
  image?: string | { name: string };
  variables?: Record<string, string>;
  before_script?: string[];
  script?: string[];
  tags?: string[];
  artifacts?: { when?: string; paths?: string[]; reports?: { junit?: string } };
}

const github = parse(githubText) as GithubWorkflow;
const gitlab = parse(gitlabText) as Record<string, unknown> & { variables?: Record<string, string> };

const SARIF_SCHEMA = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// The SARIF 2.1.0 schema (draft-04); its `language` pattern is not valid in Unicode mode, hence unicodeRegExp.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
AjvFormats.default(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA, 'utf8')) as object);

function readSarif(path: string): Log {
  const log = JSON.parse(readFileSync(path, 'utf8')) as Log;
  expect(validateSarif(log) ? [] : validateSarif.errors, `${path} against the SARIF 2.1.0 schema`).toEqual([]);
  return log;
}

interface JunitCase {
  classname: string;
  name: string;
  file: string | null;
  failure: { message: string; type: string; text: string } | null;
  skipped: boolean;
}
interface JunitReport {
  name: string;
  tests: number;
  failures: number;
  suites: Array<{ name: string; tests: number; failures: number; cases: JunitCase[] }>;
}

/** A JUnit file read by an XML parser of its own (Python's), which refuses anything that is not well-formed XML. */
function readJunit(path: string): JunitReport {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
def case(c):
    f = c.find('failure')
    return {'classname': c.get('classname'), 'name': c.get('name'), 'file': c.get('file'),
            'failure': None if f is None else {'message': f.get('message'), 'type': f.get('type'), 'text': f.text or ''},
            'skipped': c.find('skipped') is not None}
print(json.dumps({'name': root.get('name'), 'tests': int(root.get('tests')), 'failures': int(root.get('failures')),
    'suites': [{'name': s.get('name'), 'tests': int(s.get('tests')), 'failures': int(s.get('failures')),
                'cases': [case(c) for c in s.findall('testcase')]} for s in root.findall('testsuite')]}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as JunitReport;
}

interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A script as the CI system runs it: GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail`. */
function bash(script: string, cwd: string, env: Record<string, string>): Promise<ShellResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd, env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let workspaces = 0;

/** A checkout of the cluster's repository: the layout and config where the pipeline's variables say. */
function workspace(files: { layout: string; config?: string }, paths: { layout: string; config: string }) {
  const dir = join(root, `ws-${++workspaces}`);
  for (const [path, text] of [
    [paths.layout, files.layout],
    [paths.config, files.config],
  ] as const) {
    if (text === undefined) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const home = join(dir, '.home');
  mkdirSync(home, { recursive: true });
  return { dir, home };
}

/** What `npm ci && npm run build && npm link` leaves in a global prefix: bin/pai-deploy, a link to the CLI. */
function linkPaiDeploy(prefix: string): void {
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  if (!existsSync(join(prefix, 'bin', 'pai-deploy'))) symlinkSync(cliPath, join(prefix, 'bin', 'pai-deploy'));
}

/** The environment every CI job starts from, here: nothing of the test's own but PATH. */
function baseEnv(home: string, prefix: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    CI: 'true',
    PAI_DEPLOY_HOME: join(home, '.pai-deploy'),
    npm_config_prefix: prefix,
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    // The dev-box checks of `check` find no Docker engine here (refused at once) rather than the test machine's.
    DOCKER_HOST: 'tcp://127.0.0.1:1',
  };
}

const examples = {
  layout: readFileSync(join(repoRoot, 'examples/layout.yaml'), 'utf8'),
  config: readFileSync(join(repoRoot, 'examples/config.yaml'), 'utf8'),
};
// The second GPU machine takes the first one's hostname: a duplicate at a line and column the test computes.
const brokenLayout = examples.layout.replace('hostname: pai-gpu-02', 'hostname: pai-gpu-01');
const brokenLines = brokenLayout.split('\n');
const brokenLine = brokenLines.flatMap((line, index) =>
  line.trimEnd().endsWith('hostname: pai-gpu-01') ? [index + 1] : [],
)[1]!;
const brokenColumn = brokenLines[brokenLine - 1]!.indexOf('pai-gpu-01') + 1;

// ------------------------------------------------------------------------------------------------------ GitHub

/** `${{ secrets.X }}` of a secret that is not set evaluates to ''; the test knows no other expression. */
function githubValue(value: string): string {
  if (/^\$\{\{\s*secrets\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}$/.test(value)) return '';
  if (value.includes('${{')) throw new Error(`the test cannot evaluate ${value}`);
  return value;
}

/** A step's `if:` as GitHub evaluates the forms the example uses; anything else fails the test loudly. */
function githubCondition(condition: string | undefined, failed: boolean, cwd: string): boolean {
  if (condition === undefined) return !failed;
  const match = /^always\(\)(?:\s*&&\s*hashFiles\('([^']+)'\)\s*!=\s*'')?$/.exec(condition.trim());
  if (!match) throw new Error(`the test cannot evaluate if: ${condition}`);
  return match[1] === undefined || existsSync(join(cwd, match[1]));
}

interface GithubRun {
  steps: Array<{ step: GithubStep; ran: boolean; result?: ShellResult }>;
  failed: boolean;
}

/** Runs a job's steps that call pai-deploy (the others are GitHub's actions or the install) in order. */
async function runGithubJob(jobName: string, dir: string, home: string): Promise<GithubRun> {
  const job = github.jobs[jobName]!;
  expect(github.defaults?.run?.shell, 'the steps run in bash with -eo pipefail').toBe('bash');
  const prefix = join(dir, '.npm-global');
  linkPaiDeploy(prefix);
  const run: GithubRun = { steps: [], failed: false };
  for (const step of job.steps) {
    if (step.run === undefined || !step.run.includes('npx pai-deploy')) {
      // upload-sarif, upload-artifact and the reporter read files: their conditions still decide what they see.
      run.steps.push({ step, ran: step.uses !== undefined && githubCondition(step.if, run.failed, dir) });
      continue;
    }
    if (!githubCondition(step.if, run.failed, dir)) {
      run.steps.push({ step, ran: false });
      continue;
    }
    const env = { ...baseEnv(home, prefix) };
    for (const scope of [github.env, job.env, step.env])
      for (const [key, value] of Object.entries(scope ?? {})) env[key] = githubValue(String(value));
    const result = await bash(step.run, join(dir, step['working-directory'] ?? '.'), env);
    if (result.code !== 0) run.failed = true;
    run.steps.push({ step, ran: true, result });
  }
  return run;
}

const githubPaths = () => ({ layout: github.env!['PAI_LAYOUT']!, config: github.env!['PAI_CONFIG']! });
const stepNamed = (run: GithubRun, pattern: RegExp) => {
  const found = run.steps.find((entry) => pattern.test(entry.step.name ?? '') || pattern.test(entry.step.uses ?? ''));
  if (!found) throw new Error(`no step matches ${pattern}`);
  return found;
};

describe('examples/ci/github-actions.yml', () => {
  it('installs pai-deploy from its repository (npm ci, build, link), with the container image as a commented option', () => {
    for (const name of ['validate', 'preflight']) {
      const steps = github.jobs[name]!.steps;
      expect(
        steps.some((step) => step.run === 'npm ci && npm run build && npm link'),
        name,
      ).toBe(true);
    }
    expect(githubText).toMatch(/^\s*#.*docker run --rm .*"\$PAI_DEPLOY_IMAGE"/m);
    expect(githubText).toMatch(/^\s*#\s+run: docker pull "\$PAI_DEPLOY_IMAGE"$/m);
  });

  it('runs the pre-flight checks only outside pull requests, on a self-hosted runner, after validation', () => {
    const preflight = github.jobs['preflight']!;
    expect(preflight['runs-on']).toContain('self-hosted');
    expect(preflight.if).toBe("github.event_name != 'pull_request'");
    expect((preflight as GithubJob & { needs?: string }).needs).toBe('validate');
  });

  it('validates the shipped examples: no annotation, a green job, an empty SARIF log for code scanning', async () => {
    const { dir, home } = workspace(examples, githubPaths());
    const run = await runGithubJob('validate', dir, home);
    const annotate = stepNamed(run, /^Validate layout and config$/);
    expect(annotate.result?.code, annotate.result?.stderr).toBe(0);
    expect(annotate.result?.stdout).not.toMatch(/^::(error|warning)/m);
    expect(annotate.result?.stdout).toContain('valid (0 errors, 0 warnings)');
    expect(run.failed).toBe(false);
    const upload = stepNamed(run, /codeql-action\/upload-sarif/);
    expect(upload.ran).toBe(true);
    const log = readSarif(join(dir, upload.step.with!['sarif_file']!));
    expect(log.runs[0]!.tool.driver.name).toBe('pai-deploy');
    expect(log.runs[0]!.results).toEqual([]);
  });

  it('fails the job on a broken layout with an ::error annotation at the duplicate hostname, and uploads it as SARIF', async () => {
    const { dir, home } = workspace({ ...examples, layout: brokenLayout }, githubPaths());
    const run = await runGithubJob('validate', dir, home);
    const annotate = stepNamed(run, /^Validate layout and config$/);
    expect(annotate.result?.code).toBe(1);
    const layout = githubPaths().layout;
    expect(annotate.result?.stdout.split('\n')).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^::error file=${layout.replace(/[./]/g, '\\$&')},line=${brokenLine},col=${brokenColumn},title=duplicate-hostname::machine-list\\[2\\]\\.hostname: hostname "pai-gpu-01" is already used by machine-list\\[1\\]%0Ahint: `,
        ),
      ),
    );
    expect(annotate.result?.stdout).toContain('invalid: 1 error, 0 warnings');
    expect(run.failed).toBe(true);

    // The SARIF step runs after the failure and its expected exit 1 does not fail it again.
    const sarifStep = stepNamed(run, /SARIF/);
    expect(sarifStep.ran).toBe(true);
    expect(sarifStep.result?.code, sarifStep.result?.stderr).toBe(0);
    const upload = stepNamed(run, /codeql-action\/upload-sarif/);
    expect(upload.ran).toBe(true);
    const log = readSarif(join(dir, upload.step.with!['sarif_file']!));
    expect(log.runs[0]!.results).toHaveLength(1);
    expect(log.runs[0]!.results![0]).toMatchObject({
      ruleId: 'duplicate-hostname',
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: layout },
            region: { startLine: brokenLine, startColumn: brokenColumn },
          },
        },
      ],
    });
    expect(log.runs[0]!.tool.driver.rules?.[0]).toMatchObject({
      id: 'duplicate-hostname',
      help: { text: expect.stringContaining('its own hostname') },
    });
  });

  it('fails both steps on a missing config (its exit 2 is not taken for findings) and uploads nothing', async () => {
    const { dir, home } = workspace({ layout: examples.layout }, githubPaths());
    const run = await runGithubJob('validate', dir, home);
    const annotate = stepNamed(run, /^Validate layout and config$/).result;
    expect(annotate?.code, annotate?.stderr).toBe(2);
    // `|| [ $? -eq 1 ]` lets only exit 1 (findings) through; the step fails, with the test's own status.
    expect(stepNamed(run, /SARIF/).result?.code).not.toBe(0);
    expect(stepNamed(run, /SARIF/).result?.stderr).toContain('cannot read');
    expect(stepNamed(run, /codeql-action\/upload-sarif/).ran).toBe(false);
  });

  it("writes the pre-flight job's JUnit report where it publishes it (machines here: this one's refused port)", async () => {
    const { dir, home } = workspace(selfCluster(), githubPaths());
    const run = await runGithubJob('preflight', dir, home);
    const check = stepNamed(run, /^Pre-flight checks$/);
    expect(check.result?.code, check.result?.stderr).toBe(1);
    const publish = stepNamed(run, /action-junit-report/);
    expect(publish.ran).toBe(true);
    expectUnreachableJunit(readJunit(join(dir, publish.step.with!['report_paths']!)));
    expect(stepNamed(run, /upload-artifact/).step.with!['path']).toBe(publish.step.with!['report_paths']);
  });
});

// ------------------------------------------------------------------------------------------------------ GitLab

/** A job with what it `extends` merged in (one level, as the example uses), variables over the global ones. */
function gitlabJob(name: string): GitlabJob {
  const job = gitlab[name] as GitlabJob;
  const base = job.extends ? (gitlab[job.extends] as GitlabJob) : {};
  return { ...base, ...job, variables: { ...gitlab.variables, ...base.variables, ...job.variables } };
}

/** `$VAR` and `${VAR}` in a variable's value, as GitLab expands them. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => env[name] ?? '');
}

/** A job's script as GitLab's bash runs it: the lines in order, the first failing one ends the job. */
async function runGitlabJob(name: string, dir: string, home: string): Promise<ShellResult> {
  const job = gitlabJob(name);
  const env: Record<string, string> = { CI_PROJECT_DIR: dir, CI_COMMIT_BRANCH: 'main', CI_DEFAULT_BRANCH: 'main' };
  for (const [key, value] of Object.entries(job.variables ?? {})) env[key] = expand(String(value), env);
  const prefix = env['npm_config_prefix'] ?? join(dir, '.npm-global');
  linkPaiDeploy(prefix);
  return bash((job.script ?? []).join('\n'), dir, { ...baseEnv(home, prefix), ...env });
}

const gitlabPaths = () => ({ layout: gitlab.variables!['PAI_LAYOUT']!, config: gitlab.variables!['PAI_CONFIG']! });

describe('examples/ci/gitlab-ci.yml', () => {
  it('installs pai-deploy from its repository (npm ci, build, link), with the container image as a commented option', () => {
    const install = gitlabJob('validate').before_script ?? [];
    expect(install.join('\n')).toContain('npm ci && npm run build && npm link');
    expect(gitlabJob('preflight').before_script).toEqual(install);
    expect(gitlabText).toMatch(/^\s*#\s+name: \S+pai-deploy:\S+$/m);
    expect(gitlabText).toMatch(/^\s*#\s+entrypoint: \[""\]$/m);
  });

  it('runs the pre-flight checks on the dev-box runner, on the default branch only', () => {
    const preflight = gitlabJob('preflight') as GitlabJob & { rules: Array<{ if?: string }> };
    expect(preflight.tags).toEqual(['pai-dev-box']);
    for (const rule of preflight.rules) expect(rule.if).toBe('$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH');
  });

  it('validates the shipped examples: exit 0, a JUnit report without failures, an empty SARIF artifact', async () => {
    const { dir, home } = workspace(examples, gitlabPaths());
    const result = await runGitlabJob('validate', dir, home);
    expect(result.code, result.stderr).toBe(0);
    const artifacts = gitlabJob('validate').artifacts!;
    expect(artifacts.when).toBe('always');
    const junit = readJunit(join(dir, artifacts.reports!.junit!));
    expect(junit).toMatchObject({ name: 'pai-deploy validate', failures: 0 });
    expect(junit.suites.map((suite) => suite.name)).toEqual([gitlabPaths().layout, gitlabPaths().config]);
    const sarif = artifacts.paths!.find((path) => path.endsWith('.sarif'))!;
    expect(readSarif(join(dir, sarif)).runs[0]!.results).toEqual([]);
  });

  it('fails the job on a broken layout with a JUnit failure at the duplicate hostname, the SARIF artifact kept', async () => {
    const { dir, home } = workspace({ ...examples, layout: brokenLayout }, gitlabPaths());
    const result = await runGitlabJob('validate', dir, home);
    expect(result.code).toBe(1);
    const layout = gitlabPaths().layout;
    // The job log says it as text too.
    expect(result.stdout).toContain(`${layout}:${brokenLine}:${brokenColumn} error [duplicate-hostname]`);
    const artifacts = gitlabJob('validate').artifacts!;
    const junit = readJunit(join(dir, artifacts.reports!.junit!));
    expect(junit.failures).toBe(1);
    const failed = junit.suites.flatMap((suite) => suite.cases).find((testcase) => testcase.failure !== null);
    expect(failed).toMatchObject({
      classname: layout,
      file: layout,
      failure: {
        type: 'duplicate-hostname',
        message: expect.stringContaining('"pai-gpu-01" is already used'),
        text: expect.stringMatching(new RegExp(`^at ${layout}:${brokenLine}:${brokenColumn}\\nhint: `)),
      },
    });
    const sarif = readSarif(
      join(
        dir,
        artifacts.paths!.find((path) => path.endsWith('.sarif'))!,
      ),
    );
    expect(sarif.runs[0]!.results?.map((r) => r.ruleId)).toEqual(['duplicate-hostname']);
  });

  it("writes the pre-flight job's JUnit report where GitLab reads it (machines here: this one's refused port)", async () => {
    const { dir, home } = workspace(selfCluster(), gitlabPaths());
    const result = await runGitlabJob('preflight', dir, home);
    expect(result.code, result.stderr).toBe(1);
    expectUnreachableJunit(readJunit(join(dir, gitlabJob('preflight').artifacts!.reports!.junit!)));
  });
});

// ------------------------------------------------------------------------------------------ check's CI formats

/** Two machines, both this machine, SSH on port 1, which refuses at once. */
function selfCluster(): { layout: string; config: string } {
  const made = writeSelfCluster(root, `self${++workspaces}`, { port: 1 });
  return { layout: readFileSync(made.layout, 'utf8'), config: readFileSync(made.config, 'utf8') };
}

function expectUnreachableJunit(junit: JunitReport): void {
  expect(junit.name).toBe('pai-deploy check');
  const machines = junit.suites.filter((suite) => /-(master|worker)$/.test(suite.name));
  expect(machines).toHaveLength(2);
  for (const machine of machines)
    expect(machine.cases.find((testcase) => testcase.name === 'ssh.connect')?.failure?.type).toBe('ssh.connect');
}

/** The line and column of a machine's hostname value in a layout. */
function hostnameAt(layout: string, hostname: string): { line: number; column: number } {
  const lines = layout.split('\n');
  const index = lines.findIndex((line) => line.trimEnd().endsWith(`hostname: ${hostname}`));
  return { line: index + 1, column: lines[index]!.indexOf(hostname) + 1 };
}

describe('check --format github and sarif', () => {
  const dir = join(root, 'check');
  mkdirSync(dir, { recursive: true });
  const { layout, config } = writeSelfCluster(dir, 'ci', { port: 1 });
  const args = (format: string) => [
    'check',
    '-l',
    'ci-layout.yaml',
    '-c',
    'ci-config.yaml',
    '--work-dir',
    'work',
    '--connect-attempts',
    '1',
    '--only',
    'ssh.*,devbox.separate',
    '--format',
    format,
  ];
  const master = hostnameAt(readFileSync(layout, 'utf8'), 'ci-master');

  it('annotates each unreachable machine on its layout line, and the dev-box check without a file', async () => {
    const result = await runCli(args('github'), { cwd: dir });
    expect(result.code).toBe(1);
    const annotations = result.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^::error file=ci-layout\\.yaml,line=${master.line},col=${master.column},title=ssh\\.connect::ci-master: cannot reach`,
        ),
      ),
    );
    expect(annotations).toContainEqual(expect.stringMatching(/^::error title=devbox\.separate::/));
    // The table for people stays in the log.
    expect(result.stdout).toMatch(/FAIL {2}ssh\.connect/);
  });

  it('writes schema-valid SARIF with the machine results at their layout line', async () => {
    const result = await runCli([...args('sarif'), '--output', 'check.sarif'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout, 'a summary for the log').toMatch(/2 machines: .* 2 unreachable/);
    const log = readSarif(join(dir, 'check.sarif'));
    const connect = log.runs[0]!.results!.find(
      (r) => r.ruleId === 'ssh.connect' && r.message.text?.startsWith('ci-master:') === true,
    );
    expect(connect?.locations?.[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'ci-layout.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: master.line, startColumn: master.column },
    });
    expect(log.runs[0]!.tool.driver.rules?.find((rule) => rule.id === 'ssh.connect')?.help?.text).toContain('sshd');
  });

  it('reports an invalid input in the format asked for, as the report it would have written', async () => {
    const bad = join(dir, 'bad-layout.yaml');
    writeFileSync(bad, readFileSync(layout, 'utf8').replace('hostname: ci-worker', 'hostname: ci-master'));
    const result = await runCli(
      ['check', '-l', 'bad-layout.yaml', '-c', config, '--format', 'sarif', '--output', 'invalid.sarif'],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('[duplicate-hostname]');
    const log = readSarif(join(dir, 'invalid.sarif'));
    expect(log.runs[0]!.results?.map((r) => r.ruleId)).toEqual(['duplicate-hostname']);
    const annotated = await runCli(['check', '-l', 'bad-layout.yaml', '-c', config, '--format', 'github'], {
      cwd: dir,
    });
    expect(annotated.code).toBe(1);
    expect(annotated.stdout).toMatch(/^::error file=bad-layout\.yaml,line=\d+,col=\d+,title=duplicate-hostname::/m);
  });
});
