import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real Jinja2 as an oracle: Jinja2 2.11.3 with MarkupSafe 2.0.1 on CPython 3.7, in the venv
 * scripts/ci/provision-jinja2.sh builds at ${PAI_DEPLOY_CACHE:-~/.cache/pai-deploy}/jinja2-venv-2.11.3-markupsafe-2.0.1.
 * test/integration/jinja2/oracle.py renders a whole list of jobs in one Python process.
 */
export const JINJA2_VERSION = '2.11.3';
export const MARKUPSAFE_VERSION = '2.0.1';

export function jinja2Venv(): string {
  const cache = process.env['PAI_DEPLOY_CACHE'] || join(homedir(), '.cache', 'pai-deploy');
  return join(cache, `jinja2-venv-${JINJA2_VERSION}-markupsafe-${MARKUPSAFE_VERSION}`);
}

export const jinja2Python: string = join(jinja2Venv(), 'bin', 'python');
export const jinja2Oracle: string = fileURLToPath(new URL('../integration/jinja2/oracle.py', import.meta.url));

const FIX = 'scripts/ci/provision-jinja2.sh builds it';

/** For describeWithInfra: null when the venv's python imports the pinned Jinja2 and MarkupSafe. */
export function jinja2Probe(): string | null {
  const probe = spawnSync(
    jinja2Python,
    ['-c', 'import sys, jinja2, markupsafe; print(jinja2.__version__, markupsafe.__version__, sys.version.split()[0])'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (probe.error) return `no Jinja2 venv at ${jinja2Venv()} (${probe.error.message}); ${FIX}`;
  if (probe.status !== 0)
    return `${jinja2Python} cannot import jinja2 (${probe.stderr.trim().split('\n').at(-1)}); ${FIX}`;
  const [jinja2, markupsafe] = probe.stdout.trim().split(' ');
  if (jinja2 !== JINJA2_VERSION || markupsafe !== MARKUPSAFE_VERSION)
    return `the venv has Jinja2 ${jinja2} / MarkupSafe ${markupsafe}, not ${JINJA2_VERSION} / ${MARKUPSAFE_VERSION}; ${FIX}`;
  return null;
}

export interface Jinja2Job {
  template: string;
  context: Record<string, unknown>;
}

export type Jinja2Answer = { ok: string } | { error: { type: string; message: string } };

/** Renders every job with real Jinja2, in one Python process (no shell: the jobs go to its stdin as JSON). */
export function renderWithJinja2(jobs: readonly Jinja2Job[]): Jinja2Answer[] {
  const result = spawnSync(jinja2Python, [jinja2Oracle], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (result.error) throw new Error(`the Jinja2 oracle did not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`the Jinja2 oracle failed (exit ${result.status}): ${result.stderr}`);
  const answers = JSON.parse(result.stdout) as Jinja2Answer[];
  if (answers.length !== jobs.length)
    throw new Error(`the Jinja2 oracle answered ${answers.length} of ${jobs.length} jobs`);
  return answers;
}
