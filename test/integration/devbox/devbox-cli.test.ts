import { expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { describeWithInfra } from '../../support/infra.js';
import { devbox27Available, labImages } from '../../support/lab-devbox27.js';

// `pai-deploy devbox check` against real images on the real engine: the lab's devbox27 (the product's Dockerfile on
// an offline base) keeps the contract; the lab machine image (Debian 12: Python 3.11, no Ansible 2.7) breaks it.
await describeWithInfra('pai-deploy devbox against the Docker engine', devbox27Available, () => {
  it('check: devbox27 keeps the dev-box contract, a Debian 12 image does not, a missing one is named', async () => {
    const images = await labImages();
    const good = await runCli(['devbox', 'check', '--devbox-image', images.devbox27Image, '--format', 'json']);
    expect(good.code, good.stderr).toBe(0);
    const report = JSON.parse(good.stdout) as { ok: boolean; versions: Record<string, string> };
    expect(report.ok).toBe(true);
    expect(report.versions['ansible']).toBe('2.7.12');
    expect(report.versions['python']).toMatch(/^3\.7\./);
    const bad = await runCli(['devbox', 'check', '--devbox-image', images.machineImage]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('breaks the dev-box contract');
    expect(bad.stderr).toContain('cannot run kubespray 2.11');
    const missing = await runCli(['devbox', 'check', '--devbox-image', 'pai-deploy-test/none:0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('is not on this Docker engine');
  }, 120_000);

  it('build --dry-run names the Dockerfile and the build arguments, and builds nothing', async () => {
    const result = await runCli([
      'devbox',
      'build',
      '--base',
      'my/base:1',
      '--tag',
      'pai-deploy-test/dry:0',
      '--dry-run',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/would build pai-deploy-test\/dry:0 from .*devbox\/Dockerfile \(BASE=my\/base:1\)/);
  });
});
