import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';

// Day-2 commands' refusals that need no cluster: usage, inputs, the kubeconfig. The work with a cluster is in
// test/integration/day2/machine.test.ts.
const dir = tempDir('pai-deploy-machine-e2e-');
// No kubeconfig anywhere pai-deploy looks: the work dir, $KUBECONFIG, ~/.kube/config.
const home = { PAI_DEPLOY_HOME: join(dir, 'home'), HOME: dir, KUBECONFIG: '' };
const inputs = ['-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'];

describe('machine add / remove without a cluster', () => {
  it('machine remove needs --hosts, and a layout.yaml it can rewrite (not CSV lists)', async () => {
    const noHosts = await runCli(['machine', 'remove', ...inputs], { env: home });
    expect(noHosts.code).toBe(2);
    expect(noHosts.stderr).toContain("required option '--hosts <names>' not specified");
    writeFileSync(join(dir, 'm.csv'), 'pai-master-01,10.0.0.10\n');
    writeFileSync(join(dir, 'w.csv'), 'pai-gpu-01,10.0.0.11\n');
    const csv = await runCli(
      [
        'machine',
        'remove',
        '--hosts',
        'pai-gpu-01',
        '--master-csv',
        join(dir, 'm.csv'),
        '--worker-csv',
        join(dir, 'w.csv'),
        '-c',
        'examples/config.yaml',
      ],
      { env: home },
    );
    expect(csv.code).toBe(2);
    expect(csv.stderr).toContain('machine remove rewrites layout.yaml: give it with -l, not as CSV lists');
  });

  it('no kubeconfig: exit 2 (an input that cannot be read) saying where it looked and the flag to give, nothing written', async () => {
    const missing = await runCli(['machine', 'add', ...inputs, '--dry-run'], { env: home });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no kubeconfig for cluster "pai"');
    expect(missing.stderr).toContain('--kubeconfig');
    const given = await runCli(['machine', 'add', ...inputs, '--yes', '--kubeconfig', join(dir, 'nope')], {
      env: home,
    });
    expect(given.code).toBe(2);
    expect(given.stderr).toContain(`cannot read ${join(dir, 'nope')}`);
    expect(existsSync(join(dir, 'home', 'clusters', 'pai', 'state.json'))).toBe(false);
  });
});
