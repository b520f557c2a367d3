import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { beforeAll, expect, it } from 'vitest';
import { cliPath, repoRoot, runCli } from '../../support/cli.js';
import { tempDir } from '../../support/fixtures.js';
import { describeWithInfra } from '../../support/infra.js';
import { useLab, type Lab } from '../../support/lab.js';
import { writeLabCluster } from '../../support/lab-cluster.js';
import { asLabSpec, devbox27Available, labDevbox27Image, machinePython } from '../../support/lab-devbox27.js';

// `pai-deploy kubespray run|scale|remove-node|reset` end to end: the built CLI, the real Docker engine, the lab's
// devbox27 (the product's Dockerfile: Ansible 2.7.12 on Python 3.7), real SSH to Python 3.7 lab machines with
// systemd, and the kubespray-shaped fixture (test/fixtures/kubespray-shaped: kubespray cannot be shipped in CI,
// hence --allow-unpinned-kubespray). The inventory's ansible_python_interpreter comes from the lab, through
// openpai_kubespray_extra_var, as an admin would set it: pai-deploy sets none.

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'kubespray-shaped');
const PASSWORD = 'Runner-s3cret-Pw';
const docker = new Docker();

await describeWithInfra('kubespray runner against lab machines', devbox27Available, () => {
  const getLab = useLab(
    asLabSpec({
      name: 'ks-runner',
      machines: [
        { hostname: 'master', profile: 'master', python: '3.7', light: true },
        { hostname: 'gpu-1', profile: 'gpu-worker', python: '3.7', light: true, gpus: 1 },
        { hostname: 'cpu-1', profile: 'cpu-worker', python: '3.7', light: true },
      ],
    }),
  );
  const dir = tempDir('pai-deploy-ks-runner-');
  let lab: Lab;
  let inputs: string[];
  let image: string;
  const workDir = join(dir, 'work');

  const kubesprayArgs = (verb: string, extra: string[] = [], work = workDir) => [
    'kubespray',
    ...verb.split(' '),
    ...inputs,
    '--work-dir',
    work,
    '--kubespray-dir',
    FIXTURE,
    '--allow-unpinned-kubespray',
    '--devbox-image',
    image,
    '--devbox-network',
    lab.network,
    ...extra,
  ];

  const leftoverContainers = async () =>
    (await docker.listContainers({ all: true, filters: { label: ['pai-deploy.cluster=ks'] } })).map((c) => c.Names[0]);

  beforeAll(async () => {
    lab = getLab();
    image = labDevbox27Image(lab);
    const python = machinePython(lab.machine('master'));
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'gpu-1', 'cpu-1'], {
      password: PASSWORD,
      extra: { cluster_id: 'ks', openpai_kubespray_extra_var: { ansible_python_interpreter: python } },
    });
    inputs = ['-l', layoutPath, '-c', configPath];
    mkdirSync(workDir, { recursive: true });
    // Pre-flight records the host keys the runner then trusts (StrictHostKeyChecking=yes).
    await runCli(['check', ...inputs, '--work-dir', workDir, '--only', 'ssh.key-auth', '--format', 'json']);
    expect(readFileSync(join(workDir, 'known_hosts'), 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  }, 300_000);

  it('run: the playbook does its work on every machine, the kubeconfig is fetched and rewritten', async () => {
    const result = await runCli(kubesprayArgs('run'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('RUNNING AN UNPINNED KUBESPRAY');
    for (const hostname of ['master', 'gpu-1', 'cpu-1']) {
      const marker = await lab.exec(hostname, 'cat /etc/pai-deploy-fixture/cluster');
      expect(marker.stdout).toContain(`${hostname} Debian`);
      const unit = await lab.exec(hostname, 'systemctl is-active pai-fixture');
      expect(unit.stdout.trim()).toBe('active');
    }
    const kubeconfig = join(workDir, 'kube', 'config');
    expect(readFileSync(kubeconfig, 'utf8')).toContain(`server: https://${lab.machine('master').ip}:6443`);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    // kubespray's credentials persist with the cluster, not in the inventory render replaces.
    expect(existsSync(join(workDir, 'kubespray-state', 'credentials', 'kube_user.creds'))).toBe(true);
    expect(readdirSync(join(workDir, 'kubespray-state', 'fact-cache')).sort()).toEqual(['cpu-1', 'gpu-1', 'master']);
    expect(existsSync(join(workDir, 'run-secrets'))).toBe(false);
    expect(await leftoverContainers()).toEqual([]);
    // The password reached Ansible (sudo would take it) but no file the run left, and not the log.
    const logs = readdirSync(join(workDir, 'logs')).filter((name) => name.endsWith('-cluster.log'));
    expect(logs).toHaveLength(1);
    const log = readFileSync(join(workDir, 'logs', logs[0]!), 'utf8');
    expect(log).toContain('PLAY RECAP');
    for (const file of listFiles(workDir).filter((path) => !path.includes('/rendered/cluster-cfg/'))) {
      expect(readFileSync(file, 'utf8'), file).not.toContain(PASSWORD);
    }
  }, 300_000);

  it('a task failing on one host: exit 1, the task, host and cause named, the log kept, no container left', async () => {
    const result = await runCli(kubesprayArgs('run', ['--', '-e', 'fixture_fail_host=gpu-1']));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'gpu-1: failed in "marker : Install a package (role marker)": E: Unable to locate package pai-fixture-missing',
    );
    expect(result.stderr).toMatch(/The full Ansible output is in .*logs\/.*-cluster\.log/);
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(await leftoverContainers()).toEqual([]);
    const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as {
      phases: Record<string, { status: string }>;
    };
    expect(state.phases['kubespray']?.status).toBe('failed');
  }, 300_000);

  it('SIGTERM mid-run: exit 143 promptly, container gone, state interrupted; a second run meanwhile is refused', async () => {
    const child = spawn(
      process.execPath,
      [cliPath, ...kubesprayArgs('run', ['--progress', 'json', '--', '-e', 'fixture_sleep=120'])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    while (!stderr.includes('Slow task') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stderr).toContain('Slow task');
    // While it runs: the password is in neither the container's configuration nor any process's command line.
    const [running] = await docker.listContainers({ filters: { label: ['pai-deploy.cluster=ks'] } });
    expect(running).toBeDefined();
    expect(JSON.stringify(await docker.getContainer(running!.Id).inspect())).not.toContain(PASSWORD);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(PASSWORD);
    const second = await runCli(kubesprayArgs('run'));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/is in use by pid \d+/);
    const sentAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    const millis = Date.now() - sentAt;
    console.log(`[kubespray] SIGTERM during a playbook → exit 143 in ${millis} ms`);
    expect(millis).toBeLessThan(15_000);
    expect(await leftoverContainers()).toEqual([]);
    const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as {
      phases: Record<string, { status: string }>;
    };
    expect(state.phases['kubespray']?.status).toBe('interrupted');
    expect(existsSync(join(workDir, 'run-secrets'))).toBe(false);
    expect(existsSync(join(workDir, 'lock'))).toBe(false);
  }, 300_000);

  it('scale, remove-node and reset run their playbooks with the variables kubespray 2.11 asks for', async () => {
    const scale = await runCli(kubesprayArgs('scale', ['--limit', 'cpu-1']));
    expect(scale.code, scale.stderr).toBe(0);
    expect((await lab.exec('cpu-1', 'cat /etc/pai-deploy-fixture/scale')).stdout).toContain('cpu-1');
    expect(
      (await lab.exec('gpu-1', 'test -e /etc/pai-deploy-fixture/scale && echo yes || echo no')).stdout.trim(),
    ).toBe('no');
    // Two nodes at once: only OpenPAI's fixes (facts for the reset play, no run_once on "Delete node") make the
    // fixture's remove-node.yml succeed and delete both.
    const remove = await runCli(kubesprayArgs('remove-node', ['--hosts', 'gpu-1,cpu-1']));
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stderr).not.toContain('was not applied');
    for (const hostname of ['gpu-1', 'cpu-1']) {
      expect((await lab.exec(hostname, 'test -e /etc/pai-deploy-fixture && echo yes || echo no')).stdout.trim()).toBe(
        'no',
      );
    }
    expect(
      (await lab.exec('master', 'ls /etc/pai-deploy-fixture-deleted')).stdout.split(/\s+/).filter(Boolean),
    ).toEqual(['cpu-1', 'gpu-1']);
    // The user's tree is untouched: the fixed copies were mounted over it.
    expect(readFileSync(join(FIXTURE, 'roles/remove-node/post-remove/tasks/main.yml'), 'utf8')).toContain(
      'run_once: true',
    );
    const refused = await runCli(kubesprayArgs('reset'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const reset = await runCli(kubesprayArgs('reset', ['--yes']));
    expect(reset.code, reset.stderr).toBe(0);
    expect((await lab.exec('master', 'test -e /etc/pai-deploy-fixture && echo yes || echo no')).stdout.trim()).toBe(
      'no',
    );
    expect(await leftoverContainers()).toEqual([]);
  }, 300_000);

  it('a second cluster with the same hostnames starts with its own, empty fact cache', async () => {
    const other = join(dir, 'other-work');
    const dry = await runCli(kubesprayArgs('run', ['--dry-run'], other));
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${other}/kubespray-state → /pai/state`);
    expect(existsSync(join(other, 'kubespray-state'))).toBe(false);
    const cfg = readFileSync(join(workDir, 'kubespray-overlay', 'ansible.cfg'), 'utf8');
    expect(cfg).toContain('fact_caching_connection = /pai/state/fact-cache');
  });
});

function listFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const path = join(root, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}
