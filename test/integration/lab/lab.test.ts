import { stat } from 'node:fs/promises';
import net from 'node:net';
import { Client } from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithInfra } from '../../support/infra.js';
import { LAB_SCRIPT, labAvailable, run, startLab, type Lab, type LabSpec } from '../../support/lab.js';

// The lab tests itself: every profile's facts must really hold on the machine, seen over SSH.

const LAB_NAME = 'vitest-lab-self';

const spec: LabSpec = {
  name: LAB_NAME,
  machines: [
    { hostname: 'master', profile: 'master' },
    { hostname: 'gpu', profile: 'gpu-worker', gpus: 2, gpuModel: 'Tesla V100-SXM2-16GB' },
    { hostname: 'cpu', profile: 'cpu-worker' },
    { hostname: 'rrunc', profile: 'runtime-runc' },
    { hostname: 'flag', profile: 'runtime-flag-only' },
    { hostname: 'conflict', profile: 'daemon-json-conflict' },
    { hostname: 'nodock', profile: 'no-docker' },
    { hostname: 'ntpoff', profile: 'ntp-off', light: true },
    { hostname: 'dyn', profile: 'dynamic-ip', light: true },
    { hostname: 'sudopw', profile: 'sudo-password', light: true },
    { hostname: 'pwonly', profile: 'password-only', light: true },
    { hostname: 'off', profile: 'down', light: true },
    { hostname: 'lowmem', profile: 'low-memory', cpus: 1, light: true },
    { hostname: 'light', profile: 'cpu-worker', light: true },
    { hostname: 'sd-gpu', profile: 'gpu-worker', init: 'systemd' },
    { hostname: 'sd-ntpoff', profile: 'ntp-off', init: 'systemd', light: true },
  ],
};

interface DockerInfo {
  DefaultRuntime: string;
  Runtimes: Record<string, unknown>;
  Driver: string;
}

async function ok(lab: Lab, hostname: string, command: string): Promise<string> {
  const result = await lab.exec(hostname, command);
  if (result.code !== 0) {
    throw new Error(`${hostname}: \`${command}\` exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

async function dockerInfo(lab: Lab, hostname: string): Promise<DockerInfo> {
  return JSON.parse(await ok(lab, hostname, "sudo -n docker info --format '{{json .}}'")) as DockerInfo;
}

async function daemonJson(lab: Lab, hostname: string): Promise<Record<string, unknown>> {
  return JSON.parse(await ok(lab, hostname, 'cat /etc/docker/daemon.json')) as Record<string, unknown>;
}

interface AddrInfo {
  family: string;
  local: string;
  valid_life_time: number;
  dynamic?: boolean;
}

async function eth0Address(lab: Lab, hostname: string): Promise<AddrInfo> {
  const links = JSON.parse(await ok(lab, hostname, 'ip -j addr show dev eth0')) as { addr_info: AddrInfo[] }[];
  const addr = links[0]?.addr_info.find((a) => a.family === 'inet');
  if (!addr) throw new Error(`${hostname}: eth0 has no IPv4 address`);
  return addr;
}

function tcpConnects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function passwordLogin(host: string, username: string, password: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.exec(command, (error, stream) => {
          if (error) {
            client.end();
            reject(error);
            return;
          }
          let out = '';
          stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
          stream.stderr.on('data', () => undefined);
          stream.on('close', () => {
            client.end();
            resolve(out);
          });
        });
      })
      .on('error', reject)
      .connect({ host, port: 22, username, password, readyTimeout: 20_000, tryKeyboard: false });
  });
}

async function labLeftovers(name: string): Promise<string> {
  const containers = await run('docker', ['ps', '-aq', '--filter', `label=pai-lab=${name}`]);
  const networks = await run('docker', ['network', 'ls', '-q', '--filter', `label=pai-lab=${name}`]);
  return (containers.stdout + networks.stdout).trim();
}

await describeWithInfra('lab: real SSH machines with their own Docker engines', labAvailable, () => {
  let lab: Lab | undefined;
  const getLab = (): Lab => {
    if (!lab) throw new Error('the lab did not come up');
    return lab;
  };

  beforeAll(async () => {
    lab = await startLab(spec);
  });
  // Whatever happens in the tests, leave nothing behind.
  afterAll(async () => {
    if ((await labLeftovers(LAB_NAME)) !== '') await run(LAB_SCRIPT, ['down', '--name', LAB_NAME]);
  });

  it('comes up and prints every machine with hostname, ip, user, keyPath and profile', async () => {
    const lab = getLab();
    expect(lab.labName).toBe(LAB_NAME);
    expect(lab.machines.map((m) => m.hostname)).toEqual(spec.machines.map((m) => m.hostname));
    const prefix = lab.subnet.split('.').slice(0, 3).join('.');
    for (const m of lab.machines) {
      expect(m.ip.startsWith(`${prefix}.`)).toBe(true);
      expect(m.user).toBe('pai');
      expect(typeof m.profile).toBe('string');
      expect(m.state).toBe(m.hostname === 'off' ? 'exited' : 'running');
    }
    expect(new Set(lab.machines.map((m) => m.ip)).size).toBe(lab.machines.length);
    const key = await stat(lab.machines[0]!.keyPath);
    expect(key.mode & 0o777).toBe(0o600);
    const network = await run('docker', ['network', 'inspect', lab.network, '--format', '{{index .Labels "pai-lab"}}']);
    expect(network.stdout.trim()).toBe(LAB_NAME);
    const image = await run('docker', [
      'image',
      'inspect',
      lab.devboxImage,
      '--format',
      '{{index .Config.Labels "pai-lab.image"}}',
    ]);
    expect(image.stdout.trim()).toBe('devbox');
  });

  it('is idempotent: a second up keeps the running machines', async () => {
    const before = await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=pai-lab=${LAB_NAME}`]);
    const again = await startLab(spec);
    const after = await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=pai-lab=${LAB_NAME}`]);
    expect(after.stdout.split('\n').sort()).toEqual(before.stdout.split('\n').sort());
    expect(again.machines.map((m) => m.ip)).toEqual(getLab().machines.map((m) => m.ip));
  });

  it('every running machine answers SSH with the lab key, as itself, on Debian 12, with its own host key', async () => {
    const lab = getLab();
    const hostKeys = new Set<string>();
    const keyed = lab.machines.filter((m) => m.state === 'running' && !m.faults.includes('password-only'));
    for (const m of keyed) {
      const out = await ok(
        lab,
        m.hostname,
        'hostname; . /etc/os-release; echo "$ID $VERSION_ID"; cat /etc/ssh/ssh_host_ed25519_key.pub',
      );
      const [hostname, os, hostKey] = out.trim().split('\n');
      expect(hostname).toBe(m.hostname);
      expect(os).toBe('debian 12');
      hostKeys.add(hostKey!.split(' ')[1]!);
    }
    expect(hostKeys.size).toBe(keyed.length);
  });

  it('machines have passwordless sudo and chrony synchronised to the lab time server', async () => {
    const lab = getLab();
    const refId = lab.timeServer.ip
      .split('.')
      .map((octet) => Number(octet).toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase();
    for (const hostname of ['master', 'gpu', 'cpu', 'light']) {
      expect(await ok(lab, hostname, 'sudo -n id -u')).toBe('0\n');
      let tracking = '';
      for (let attempt = 0; attempt < 30; attempt++) {
        tracking = (await lab.exec(hostname, 'chronyc tracking')).stdout;
        if (/Leap status\s*:\s*Normal/.test(tracking)) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(tracking).toMatch(new RegExp(`Reference ID\\s*:\\s*${refId}\\b`));
      expect(tracking).toMatch(/Leap status\s*:\s*Normal/);
    }
  });

  it('gpu-worker: docker default runtime nvidia from daemon.json, nvidia-smi shows the GPUs', async () => {
    const lab = getLab();
    const info = await dockerInfo(lab, 'gpu');
    expect(info.DefaultRuntime).toBe('nvidia');
    expect(Object.keys(info.Runtimes)).toContain('nvidia');
    const config = await daemonJson(lab, 'gpu');
    expect(config['default-runtime']).toBe('nvidia');
    expect(config['runtimes']).toHaveProperty('nvidia');
    const list = await ok(lab, 'gpu', 'nvidia-smi -L');
    expect(list.trim().split('\n')).toHaveLength(2);
    expect(list).toMatch(/^GPU 0: Tesla V100-SXM2-16GB \(UUID: GPU-[0-9a-f-]+\)$/m);
    const csv = await ok(lab, 'gpu', 'nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits');
    expect(csv).toBe('0, Tesla V100-SXM2-16GB, 16130\n1, Tesla V100-SXM2-16GB, 16130\n');
    expect(await ok(lab, 'gpu', 'nvidia-smi')).toMatch(/Driver Version: \S+/);
    // The runtime dockerd would call is executable and really is runc underneath.
    expect(await ok(lab, 'gpu', 'nvidia-container-runtime --version')).toMatch(/runc version/);
  });

  it('cpu-worker and master: default runtime runc, no NVIDIA stack', async () => {
    const lab = getLab();
    for (const hostname of ['cpu', 'master']) {
      expect((await dockerInfo(lab, hostname)).DefaultRuntime).toBe('runc');
      expect(await daemonJson(lab, hostname)).not.toHaveProperty('default-runtime');
      expect((await lab.exec(hostname, 'command -v nvidia-smi')).code).not.toBe(0);
    }
  });

  it('runtime-runc: the nvidia runtime is configured but the default is still runc', async () => {
    const lab = getLab();
    const info = await dockerInfo(lab, 'rrunc');
    expect(info.DefaultRuntime).toBe('runc');
    expect(Object.keys(info.Runtimes)).toContain('nvidia');
    expect(await daemonJson(lab, 'rrunc')).not.toHaveProperty('default-runtime');
  });

  it('runtime-flag-only: nvidia is the default only through a dockerd flag, not daemon.json', async () => {
    const lab = getLab();
    expect((await dockerInfo(lab, 'flag')).DefaultRuntime).toBe('nvidia');
    expect(await daemonJson(lab, 'flag')).not.toHaveProperty('default-runtime');
    expect(await ok(lab, 'flag', 'ps -o args= -C dockerd')).toContain('--default-runtime=nvidia');
  });

  it('daemon-json-conflict: dockerd refuses to start once data-root/log-opt also come as flags', async () => {
    const lab = getLab();
    const config = await daemonJson(lab, 'conflict');
    expect(config).toHaveProperty('data-root');
    expect(config).toHaveProperty('log-opts');
    expect((await dockerInfo(lab, 'conflict')).Driver).toBe('vfs');
    const second = await lab.exec(
      'conflict',
      'sudo -n timeout 30 dockerd --data-root=/var/lib/docker --log-opt max-size=50m ' +
        '-H unix:///run/pai-lab-probe.sock --pidfile /run/pai-lab-probe.pid',
    );
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/specified both as a flag and in the configuration file/);
  });

  it('no-docker: there is no docker on the machine at all', async () => {
    const lab = getLab();
    expect((await lab.exec('nodock', 'command -v docker dockerd')).code).not.toBe(0);
    expect((await lab.exec('nodock', 'dpkg -s docker.io')).code).not.toBe(0);
    expect(await ok(lab, 'nodock', 'sudo -n true && echo sudo')).toBe('sudo\n');
  });

  it('ntp-off: no time daemon runs', async () => {
    const lab = getLab();
    expect((await lab.exec('ntpoff', 'pgrep -x "chronyd|ntpd|systemd-timesyncd|openntpd"')).code).toBe(1);
    expect((await lab.exec('ntpoff', 'chronyc tracking')).code).not.toBe(0);
    // and the check is meaningful: the same probe finds chronyd on a normal machine
    expect((await lab.exec('light', 'pgrep -x chronyd')).code).toBe(0);
  });

  it("dynamic-ip: the address carries a finite lease; a normal machine's is forever", async () => {
    const lab = getLab();
    const leased = await eth0Address(lab, 'dyn');
    expect(leased.local).toBe(lab.machine('dyn').ip);
    expect(leased.dynamic).toBe(true);
    expect(leased.valid_life_time).toBeGreaterThan(0);
    expect(leased.valid_life_time).toBeLessThanOrEqual(3600);
    expect(await ok(lab, 'dyn', 'cat /etc/network/interfaces')).toMatch(/^iface eth0 inet dhcp$/m);
    const fixed = await eth0Address(lab, 'master');
    expect(fixed.valid_life_time).toBe(4294967295);
    expect(fixed.dynamic).toBeUndefined();
    const staticConfig = await ok(lab, 'master', 'cat /etc/network/interfaces');
    expect(staticConfig).toMatch(/^iface eth0 inet static$/m);
    expect(staticConfig).toContain(`address ${lab.machine('master').ip}/`);
  });

  it('sudo-password: sudo -n fails, sudo with the password works', async () => {
    const lab = getLab();
    const m = lab.machine('sudopw');
    const refused = await lab.exec('sudopw', 'sudo -n true');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/password is required/);
    expect(m.password).toBeTruthy();
    const allowed = await lab.exec('sudopw', 'sudo -S -p "" id -u', { input: `${m.password}\n` });
    expect(allowed.stdout).toBe('0\n');
  });

  it('password-only: the lab key is refused, the password logs in', async () => {
    const lab = getLab();
    const m = lab.machine('pwonly');
    const byKey = await lab.exec('pwonly', 'true');
    expect(byKey.code).toBe(255);
    expect(byKey.stderr).toMatch(/Permission denied/);
    expect(
      await passwordLogin(m.ip, m.user, m.password!, 'whoami; test -e ~/.ssh/authorized_keys || echo nokeys'),
    ).toBe('pai\nnokeys\n');
  });

  it('down: the machine exists but is stopped and unreachable', async () => {
    const lab = getLab();
    const inspect = await run('docker', ['inspect', lab.machine('off').container, '--format', '{{.State.Running}}']);
    expect(inspect.stdout.trim()).toBe('false');
    expect(await tcpConnects(lab.machine('off').ip, 22, 5000)).toBe(false);
    expect(await tcpConnects(lab.machine('light').ip, 22, 5000)).toBe(true);
  });

  it('low-memory: the memory limit is enforced and shown; cpus limits nproc', async () => {
    const lab = getLab();
    const limit = await ok(
      lab,
      'lowmem',
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    );
    expect(limit.trim()).toBe(String(1024 ** 3));
    expect(await ok(lab, 'lowmem', "awk '/^MemTotal:/ {print $2}' /proc/meminfo")).toBe('1048576\n');
    expect(await ok(lab, 'lowmem', 'nproc')).toBe('1\n');
    // A machine without a limit reports far more.
    const hostTotal = Number((await ok(lab, 'light', "awk '/^MemTotal:/ {print $2}' /proc/meminfo")).trim());
    expect(hostTotal).toBeGreaterThan(1048576);
  });

  it('light machines run sshd and chronyd but no dockerd', async () => {
    const lab = getLab();
    expect((await lab.exec('light', 'pgrep -x dockerd')).code).toBe(1);
    expect((await lab.exec('light', 'pgrep -x sshd')).code).toBe(0);
    expect((await lab.exec('master', 'pgrep -x dockerd')).code).toBe(0);
  });

  it('init systemd: PID 1 is systemd; ssh, chrony and docker are active units; the profile holds', async () => {
    const lab = getLab();
    expect(await ok(lab, 'sd-gpu', 'cat /proc/1/comm')).toBe('systemd\n');
    expect(await ok(lab, 'sd-gpu', 'systemctl is-active ssh chrony docker')).toBe('active\nactive\nactive\n');
    expect((await dockerInfo(lab, 'sd-gpu')).DefaultRuntime).toBe('nvidia');
    expect(await ok(lab, 'sd-gpu', 'timedatectl show -p NTP')).toMatch(/^NTP=(yes|no)$/m);
    expect(await ok(lab, 'sd-gpu', 'chronyc tracking')).toContain(
      lab.timeServer.ip
        .split('.')
        .map((o) => Number(o).toString(16).padStart(2, '0'))
        .join('')
        .toUpperCase(),
    );
    expect(await ok(lab, 'sd-ntpoff', 'cat /proc/1/comm')).toBe('systemd\n');
    expect((await lab.exec('sd-ntpoff', 'systemctl is-active chrony')).code).not.toBe(0);
    expect((await lab.exec('sd-ntpoff', 'pgrep -x "chronyd|ntpd|systemd-timesyncd"')).code).toBe(1);
    expect((await lab.exec('sd-ntpoff', 'pgrep -x dockerd')).code).toBe(1);
  });

  it('the dev box image runs Ansible against the lab machines over SSH', async () => {
    const lab = getLab();
    const m = lab.machine('master');
    const result = await run(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        lab.network,
        '-v',
        `${m.keyPath}:/lab_key:ro`,
        lab.devboxImage,
        'ansible',
        'all',
        '-i',
        `${m.ip},${lab.machine('light').ip},`,
        '-u',
        m.user,
        '--private-key',
        '/lab_key',
        '-e',
        'ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"',
        '-b',
        '-m',
        'command',
        '-a',
        'id -u',
      ],
      { timeoutMs: 180_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/CHANGED \| rc=0 >>\s*0/g)).toHaveLength(2);
    const tools = await run('docker', [
      'run',
      '--rm',
      lab.devboxImage,
      'sh',
      '-c',
      'for p in ansible-playbook ssh sshpass git python3; do command -v $p; done',
    ]);
    expect(tools.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('down removes every container, network and temp file of the lab', async () => {
    const lab = getLab();
    await lab.stop();
    expect(await labLeftovers(LAB_NAME)).toBe('');
    await expect(stat(lab.stateDir)).rejects.toThrow(/ENOENT/);
    const status = await run(LAB_SCRIPT, ['status', '--name', LAB_NAME]);
    expect(status.code).toBe(1);
  });
});
