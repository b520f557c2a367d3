import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { tempDir } from '../../support/fixtures.js';
import { describeWithInfra } from '../../support/infra.js';
import { labAvailable, useLab, type Lab } from '../../support/lab.js';
import { writeLabCluster } from '../../support/lab-cluster.js';

interface Report {
  summary: { machines: number; passed: number; warnings: number; failed: number; unreachable: number };
  machines: Array<{
    hostname: string;
    reachable: boolean;
    checks: Array<{ id: string; status: string; observed: string; message: string }>;
  }>;
  cluster: { checks: Array<{ id: string; status: string }> };
  devbox: { checks: Array<{ id: string; status: string }> };
}

// Lab machines run tini, not systemd (containers here cannot run systemd as PID 1), so os.systemd would fail on
// every one of them; it is skipped in these tests and covered by the evaluator's unit tests.
const SKIP = ['--skip', 'os.systemd'];

const failing = (report: Report, hostname: string) =>
  report.machines
    .find((machine) => machine.hostname === hostname)!
    .checks.filter((check) => check.status === 'fail')
    .map((check) => check.id)
    .sort();

/** chronyd needs a few seconds after the lab starts to synchronise; a check before that rightly fails time.sync. */
async function waitForTimeSync(lab: Lab, hostnames: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const hostname of hostnames) {
    while (Date.now() < deadline) {
      const tracking = await lab.exec(hostname, 'chronyc -n tracking');
      if (/Leap status\s*:\s*Normal/.test(tracking.stdout)) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function check(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const result = await runCli(['check', ...args, ...SKIP, '--format', 'json', '--connect-attempts', '2']);
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

await describeWithInfra('pai-deploy check against lab machines', labAvailable, () => {
  const getLab = useLab({
    name: 'check-it',
    machines: [
      { hostname: 'master', profile: 'master' },
      { hostname: 'gpu-1', profile: 'gpu-worker', gpus: 2, gpuModel: 'Tesla K80' },
      { hostname: 'cpu-1', profile: 'cpu-worker' },
      { hostname: 'f-runc', profile: 'runtime-runc', gpus: 1 },
      { hostname: 'f-flag', profile: 'runtime-flag-only', gpus: 1 },
      { hostname: 'f-conflict', profile: 'daemon-json-conflict' },
      { hostname: 'f-nodocker', profile: 'no-docker' },
      { hostname: 'f-ntp', profile: 'ntp-off' },
      { hostname: 'f-dhcp', profile: 'dynamic-ip' },
      { hostname: 'f-sudo', profile: 'sudo-password' },
      { hostname: 'f-pass', profile: 'password-only' },
      { hostname: 'f-down', profile: 'down' },
      { hostname: 'f-mem', profile: 'low-memory' },
      { hostname: 'sysd', profile: 'cpu-worker', init: 'systemd' },
    ],
  });
  const dir = tempDir('pai-deploy-check-');
  const workDir = join(dir, 'work');
  let lab: Lab;
  let first: { code: number; report: Report; stderr: string };
  beforeAll(() => {
    lab = getLab();
  });

  it('fails exactly the expected check on every faulty machine and nothing on the healthy ones', async () => {
    await waitForTimeSync(lab, [
      'master',
      'gpu-1',
      'cpu-1',
      'f-runc',
      'f-flag',
      'f-conflict',
      'f-nodocker',
      'f-dhcp',
      'f-sudo',
      'f-mem',
    ]);
    const hosts = [
      'master',
      'gpu-1',
      'cpu-1',
      'f-runc',
      'f-flag',
      'f-conflict',
      'f-nodocker',
      'f-ntp',
      'f-dhcp',
      'f-sudo',
      'f-down',
      'f-mem',
    ];
    const { layoutPath, configPath } = writeLabCluster(dir, lab, hosts, { password: lab.machine('f-sudo').password! });
    first = await check(['-l', layoutPath, '-c', configPath, '--work-dir', workDir]);
    const expected: Record<string, string[]> = {
      master: [],
      'gpu-1': [],
      'cpu-1': [],
      'f-runc': ['docker.default-runtime'],
      'f-flag': ['docker.default-runtime'],
      'f-conflict': ['docker.daemon-json'],
      'f-nodocker': ['docker.installed'],
      'f-ntp': ['time.sync'],
      'f-dhcp': ['net.static-ip'],
      'f-sudo': ['sudo.nopasswd'],
      'f-down': ['ssh.connect'],
      'f-mem': ['resources.memory'],
    };
    const actual = Object.fromEntries(hosts.map((host) => [host, failing(first.report, host)]));
    expect(actual).toEqual(expected);
    expect(first.code).toBe(1);
    expect(first.report.summary).toMatchObject({ machines: 12, unreachable: 1 });
    expect(first.report.machines.find((m) => m.hostname === 'f-down')?.reachable).toBe(false);
    expect(first.report.devbox.checks.find((c) => c.id === 'devbox.docker')?.status).toBe('pass');
    expect(first.report.cluster.checks).toEqual([expect.objectContaining({ id: 'devbox.separate', status: 'pass' })]);
    // Healthy GPU worker: the runtime check ran and passed, with what it saw.
    const gpu = first.report.machines.find((m) => m.hostname === 'gpu-1')!.checks;
    expect(gpu.find((c) => c.id === 'docker.default-runtime')).toMatchObject({
      status: 'pass',
      observed: expect.stringContaining('docker info: nvidia'),
    });
    expect(gpu.find((c) => c.id === 'gpu.count')).toMatchObject({
      status: 'pass',
      observed: expect.stringContaining('2 GPUs'),
    });
    // The sudo-password machine still got its privileged facts, through sudo -S with the password on stdin.
    expect(
      first.report.machines.find((m) => m.hostname === 'f-sudo')!.checks.find((c) => c.id === 'docker.installed')
        ?.status,
    ).toBe('pass');
    // First contact recorded every reachable machine's key, with its fingerprint printed.
    expect(first.stderr).toMatch(/first contact, recorded host key of 10\.\d+\.\d+\.\d+: ssh-ed25519 SHA256:/);
    expect(readFileSync(join(workDir, 'known_hosts'), 'utf8').trim().split('\n')).toHaveLength(11);
  });

  it('fails only ssh.key-auth on a machine that takes the password alone', async () => {
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'f-pass'], {
      password: lab.machine('f-pass').password!,
    });
    const { report } = await check(['-l', layoutPath, '-c', configPath, '--work-dir', workDir]);
    expect(failing(report, 'f-pass'), JSON.stringify(report.machines.find((m) => m.hostname === 'f-pass'))).toEqual([
      'ssh.key-auth',
    ]);
    expect(failing(report, 'master')).toEqual([]);
  });

  it('installs the key with ssh setup-keys, after which ssh.key-auth passes', async () => {
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'f-pass'], {
      password: lab.machine('f-pass').password!,
    });
    const setup = await runCli([
      'ssh',
      'setup-keys',
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--work-dir',
      workDir,
      '--public-key',
      `${lab.machine('f-pass').keyPath}.pub`,
    ]);
    expect(setup.stdout).toMatch(/f-pass \([\d.]+\): installed/);
    expect(setup.stdout).toMatch(/master \([\d.]+\): present/);
    expect(setup.code).toBe(0);
    const { report, stderr } = await check([
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--work-dir',
      workDir,
      '--only',
      'ssh.*',
      '-v',
    ]);
    expect(
      report.machines.find((m) => m.hostname === 'f-pass')!.checks.find((c) => c.id === 'ssh.key-auth')?.status,
    ).toBe('pass');
    // SSH checks need the connection alone: the machines were asked nothing.
    expect(stderr).toContain('f-pass: connecting');
    expect(stderr).not.toContain('gathering');
  });

  it("fails ssh.host-key, without retrying, when a machine's key changed", async () => {
    const knownHosts = join(workDir, 'known_hosts');
    const lines = readFileSync(knownHosts, 'utf8').trim().split('\n');
    const gpuIp = lab.machine('gpu-1').ip;
    const masterKey = lines
      .find((line) => line.startsWith(`${lab.machine('master').ip} `))!
      .split(' ')
      .slice(1)
      .join(' ');
    const tampered = lines.map((line) => (line.startsWith(`${gpuIp} `) ? `${gpuIp} ${masterKey}` : line));
    writeFileSync(knownHosts, tampered.join('\n') + '\n');
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'gpu-1']);
    const started = Date.now();
    const { code, report } = await check([
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--work-dir',
      workDir,
      '--connect-attempts',
      '5',
    ]);
    expect(code).toBe(1);
    expect(failing(report, 'gpu-1')).toEqual(['ssh.host-key']);
    expect(
      report.machines.find((m) => m.hostname === 'gpu-1')!.checks.find((c) => c.id === 'ssh.host-key')?.message,
    ).toMatch(/changed: SHA256:\S+ instead of SHA256:/);
    expect(failing(report, 'master')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readFileSync(knownHosts, 'utf8')).toContain(`${gpuIp} ${masterKey}`);
  });

  it('refuses unknown keys with a pre-seeded --known-hosts unless --accept-new-host-keys', async () => {
    const seeded = join(dir, 'seeded_known_hosts');
    writeFileSync(seeded, '');
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'cpu-1']);
    const strict = await check(['-l', layoutPath, '-c', configPath, '--known-hosts', seeded, '--only', 'ssh.*']);
    expect(failing(strict.report, 'master')).toEqual(['ssh.host-key']);
    expect(readFileSync(seeded, 'utf8')).toBe('');
    const accepting = await check([
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--known-hosts',
      seeded,
      '--accept-new-host-keys',
      '--only',
      'ssh.*',
    ]);
    expect(accepting.code).toBe(0);
    expect(readFileSync(seeded, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses a first-contact key it cannot record, with a message instead of a stack trace', async () => {
    // Nothing can create a file in /proc/1, not even root: reading the known_hosts works (it is absent), recording fails.
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'cpu-1']);
    const result = await runCli([
      'check',
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--known-hosts',
      '/proc/1/known_hosts',
      '--accept-new-host-keys',
      '--only',
      'ssh.*',
      '--format',
      'json',
      '--connect-attempts',
      '1',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const report = JSON.parse(result.stdout) as Report;
    const connect = report.machines.find((m) => m.hostname === 'master')!.checks.find((c) => c.id === 'ssh.connect');
    expect(connect).toMatchObject({
      status: 'fail',
      observed: expect.stringContaining('cannot record the host key in /proc/1/known_hosts'),
    });
  });

  it('passes os.systemd where systemd is PID 1 and fails it where it is not', async () => {
    await waitForTimeSync(lab, ['sysd']);
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'sysd']);
    const result = await runCli([
      'check',
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--work-dir',
      workDir,
      '--format',
      'json',
      '--only',
      'os.systemd,time.sync',
    ]);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.machines.find((m) => m.hostname === 'sysd')!.checks.map((c) => [c.id, c.status])).toEqual([
      ['os.systemd', 'pass'],
      ['time.sync', 'pass'],
    ]);
    expect(failing(report, 'master')).toEqual(['os.systemd']);
  });

  it('writes JUnit for CI dashboards and plain progress lines (every update with --verbose) when not on a terminal', async () => {
    const { layoutPath, configPath } = writeLabCluster(dir, lab, ['master', 'f-ntp']);
    const output = join(dir, 'check.xml');
    const result = await runCli([
      'check',
      '-l',
      layoutPath,
      '-c',
      configPath,
      '--work-dir',
      workDir,
      ...SKIP,
      '--format',
      'junit',
      '--output',
      output,
      '--verbose',
    ]);
    expect(result.code).toBe(1);
    const xml = readFileSync(output, 'utf8');
    expect(xml).toMatch(/<testsuite name="f-ntp" tests="\d+" failures="1"/);
    expect(xml).toMatch(/<testcase classname="f-ntp" name="time.sync">\s*<failure/);
    expect(result.stderr).toMatch(/^f-ntp: connecting$/m);
    expect(result.stderr).toMatch(/^f-ntp: \d+ passed, \d+ warnings, 1 failed \(failed, [\d.]+ m?s\)$/m);
    expect(result.stdout).toMatch(/FAIL {2}time\.sync/);
  });
});
