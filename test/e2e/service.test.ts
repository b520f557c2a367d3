import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';

/** `pai-deploy service …` without a cluster: the release pin, the tree check, the plan and its errors. */
const dir = tempDir('pai-deploy-service-');
const FIXTURE = join(repoRoot, 'test/fixtures/openpai-shaped');
const EXAMPLE = ['-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'];
const cli = (args: string[]) => runCli(args, { env: { PAI_DEPLOY_HOME: join(dir, 'home') } });

describe('the OpenPAI tree a service command uses', () => {
  it('refuses a release pai-deploy does not know, naming the ones it knows', async () => {
    const config = join(dir, 'config-unknown.yaml');
    writeFileSync(
      config,
      readFileSync('examples/config.yaml', 'utf8').replace('docker_image_tag: v1.8.0', 'docker_image_tag: v9.9.9'),
    );
    const plan = await cli(['service', 'plan', '-l', 'examples/layout.yaml', '-c', config, '--openpai-src', FIXTURE]);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain(
      'OpenPAI v9.9.9 (docker_image_tag) is not a release pai-deploy knows (it knows v1.8.0)',
    );
    expect(plan.stderr).toContain('--allow-unknown-openpai');
    // Allowed, it still needs the tree: there is nothing to clone.
    const noTree = await cli([
      'service',
      'plan',
      '-l',
      'examples/layout.yaml',
      '-c',
      config,
      '--allow-unknown-openpai',
    ]);
    expect(noTree.code).toBe(2);
    expect(noTree.stderr).toMatch(/cannot clone it[\s\S]*--openpai-src DIR/);
  });

  it('refuses a tree that is not the release, saying what it is, unless allowed', async () => {
    const refused = await cli(['service', 'plan', ...EXAMPLE, '--openpai-src', FIXTURE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /is not OpenPAI v1.8.0 at d60cba45000596841cc7f9cf392122be5ce504bb: it is a plain directory/,
    );
    const allowed = await cli(['service', 'plan', ...EXAMPLE, '--openpai-src', FIXTURE, '--allow-unknown-openpai']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain('UNVERIFIED OPENPAI TREE');
  });

  it('a directory that is not an OpenPAI tree is named as such', async () => {
    const plan = await cli(['service', 'plan', ...EXAMPLE, '--openpai-src', join(repoRoot, 'examples')]);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain(
      'does not look like an OpenPAI tree: it has no src/cluster-configuration/deploy/service.yaml',
    );
  });

  it('verifies a git checkout by its commit: a checkout of another commit is refused', async () => {
    const checkout = join(dir, 'checkout');
    cpSync(FIXTURE, checkout, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-C', checkout, ...args], { stdio: 'pipe' });
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'fixture');
    const plan = await cli(['service', 'plan', ...EXAMPLE, '--openpai-src', checkout]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/git checkout at [0-9a-f]{12}.*, not the pinned v1.8.0 @ d60cba450005/);
  });
});

describe('service plan', () => {
  it('names the services of a prerequisite cycle and writes nothing', async () => {
    const cyclic = join(dir, 'cyclic');
    cpSync(FIXTURE, cyclic, { recursive: true });
    const serviceYaml = join(cyclic, 'src/frameworkcontroller/deploy/service.yaml');
    writeFileSync(serviceYaml, readFileSync(serviceYaml, 'utf8').replace('  - docker-cache', '  - fixture-jobs'));
    const plan = await cli(['service', 'plan', ...EXAMPLE, '--openpai-src', cyclic, '--allow-unknown-openpai']);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toMatch(
      /prerequisites form a cycle: (frameworkcontroller → fixture-jobs → frameworkcontroller|fixture-jobs → frameworkcontroller → fixture-jobs)/,
    );
  });

  it('-n narrows the plan; an unknown name is refused with a suggestion', async () => {
    const args = ['service', 'plan', ...EXAMPLE, '--openpai-src', FIXTURE, '--allow-unknown-openpai'];
    const narrowed = await cli([...args, '-n', 'watchdog,cluster-configuration', '--format', 'json']);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(JSON.parse(narrowed.stdout).layers).toEqual([['cluster-configuration'], ['watchdog']]);
    const unknown = await cli([...args, '-n', 'watchdgo']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no service watchdgo in the OpenPAI tree');
    expect(unknown.stderr).toContain('Did you mean watchdog?');
  });
});
