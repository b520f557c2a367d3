import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';

/** `pai-deploy quick-start` without machines: what it refuses, what its dry run shows, and that it touches nothing. */
const dir = tempDir('pai-deploy-quick-start-');
const EXAMPLE = ['-l', join(repoRoot, 'examples/layout.yaml'), '-c', join(repoRoot, 'examples/config.yaml')];

describe('quick-start', () => {
  it('without inputs and without a terminal: exits 2 at once with the flags of a scripted run', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const started = Date.now();
    const result = await runCli(['quick-start'], { cwd: empty, env: { PAI_DEPLOY_HOME: join(dir, 'home') } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pai-deploy quick-start -l layout.yaml -c config.yaml --yes');
    // It does not wait for an answer nobody can give.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(dir, 'home'))).toBe(false);
  });

  it('with inputs but without --yes and without a terminal: exits 2 naming --yes, having changed nothing', async () => {
    const work = join(dir, 'no-yes-work');
    const result = await runCli(['quick-start', ...EXAMPLE, '--work-dir', work]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(existsSync(work)).toBe(false);
  });

  it('--dry-run lists every phase of the deployment and writes nothing', async () => {
    const work = join(dir, 'dry-work');
    const result = await runCli(['quick-start', ...EXAMPLE, '--work-dir', work, '--dry-run', '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { phases: Array<{ id: string }> };
    expect(plan.phases.map((phase) => phase.id)).toEqual([
      'validate',
      'render',
      'check',
      'kubespray-source',
      'kubespray',
      'cluster-connect',
      'node-labels',
      'config-push',
      'openpai-source',
      'services',
    ]);
    expect(existsSync(work)).toBe(false);
  });

  it('--from and --only together are refused', async () => {
    const result = await runCli(['quick-start', ...EXAMPLE, '--dry-run', '--from', 'render', '--only', 'check']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--from and --only cannot be used together');
  });
});
