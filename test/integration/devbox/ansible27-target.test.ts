import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { describeWithInfra } from '../../support/infra.js';
import { useLab, type Lab } from '../../support/lab.js';
import {
  asLabSpec,
  devbox27Available,
  labDevbox27Image,
  machinePython,
  runInContainer,
  type DevboxRun,
} from '../../support/lab-devbox27.js';

// Lab machines kubespray 2.11's Ansible can manage: spec `python: "3.7"` gives them pyenv's CPython 3.7.16 at
// /opt/python3.7 and systemd as PID 1; the lab JSON names the interpreter, which the inventory sets as
// ansible_python_interpreter (Ansible 2.7 has no interpreter discovery, and pai-deploy sets no default). Ansible runs
// in the lab's devbox27 (the product's Dockerfile) on the lab network, over real SSH with the lab key.

const LAB_NAME = 'vitest-ansible27';
const docker = new Docker();

interface AdhocResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  module_stdout?: string;
  ansible_facts?: Record<string, unknown>;
  [key: string]: unknown;
}

interface AdhocOutput {
  plays: { tasks: { hosts: Record<string, AdhocResult> }[] }[];
  stats: Record<string, { ok: number; changed: number; failures: number; unreachable: number }>;
}

await describeWithInfra('Ansible 2.7 from the dev box against Python 3.7 lab machines', devbox27Available, () => {
  const lab = useLab(
    asLabSpec({
      name: LAB_NAME,
      machines: [
        { hostname: 'k-master', profile: 'master', python: '3.7', light: true },
        { hostname: 'k-node', profile: 'cpu-worker', python: '3.7', light: true },
      ],
    }),
  );
  let dir: string;
  let image: string;
  const containers: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pai-ansible27-'));
    const l = lab();
    image = labDevbox27Image(l);
    const hosts: Record<string, Record<string, string>> = {};
    for (const machine of l.machines) {
      hosts[machine.hostname] = {
        ansible_host: machine.ip,
        ansible_user: machine.user,
        ansible_python_interpreter: machinePython(machine),
      };
    }
    await writeFile(
      path.join(dir, 'hosts.yml'),
      stringify({ all: { hosts, vars: { ansible_ssh_private_key_file: '/keys/id_ed25519' } } }),
    );
  });

  afterAll(async () => {
    // runInContainer removes its containers; a test killed half-way may leave one named here.
    for (const name of containers) {
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    }
    const left = await docker.listContainers({ all: true, filters: { label: ['pai-deploy.test=devbox27'] } });
    expect(left.map((c) => c.Names[0])).toEqual([]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `ansible <pattern> <args…>` in a fresh devbox27 container; the json callback's output, parsed. */
  async function ansible(l: Lab, pattern: string, args: string[]): Promise<{ run: DevboxRun; out: AdhocOutput }> {
    const name = `vitest-ansible27-${process.pid}-${containers.length}`;
    containers.push(name);
    const run = await runInContainer(docker, {
      image,
      name,
      network: l.network,
      command: ['ansible', pattern, '-i', '/inventory/hosts.yml', ...args],
      mounts: [
        { source: l.machines[0]!.keyPath, target: '/keys/id_ed25519' },
        { source: dir, target: '/inventory' },
      ],
      env: {
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
        ANSIBLE_LOAD_CALLBACK_PLUGINS: 'True',
        ANSIBLE_STDOUT_CALLBACK: 'json',
        PYTHONWARNINGS: 'ignore',
      },
      timeoutMs: 180_000,
    });
    let out: AdhocOutput;
    try {
      out = JSON.parse(run.stdout) as AdhocOutput;
    } catch {
      throw new Error(
        `ansible ${args.join(' ')} printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`,
      );
    }
    return { run, out };
  }

  function results(out: AdhocOutput): Record<string, AdhocResult> {
    return out.plays[0]!.tasks[0]!.hosts;
  }

  it('the lab JSON names /opt/python3.7 for the machines and they run systemd', async () => {
    const l = lab();
    for (const machine of l.machines) {
      expect(machinePython(machine)).toBe('/opt/python3.7/bin/python3.7');
      expect(machine.init).toBe('systemd');
      const probe = await l.exec(
        machine.hostname,
        "/opt/python3.7/bin/python3.7 -c 'import ssl, ctypes, sqlite3, platform, sys; print(sys.version.split()[0], platform.dist()[0])' 2>/dev/null; ps -p 1 -o comm=",
      );
      expect(probe.stdout.trim().split('\n')).toEqual(['3.7.16 debian', 'systemd']);
    }
  });

  it('ansible -m setup gathers facts on both machines with Python 3.7', async () => {
    const l = lab();
    const { run, out } = await ansible(l, 'all', ['-m', 'setup']);
    expect(run.exitCode).toBe(0);
    for (const machine of l.machines) {
      const facts = results(out)[machine.hostname]!.ansible_facts!;
      expect(facts['ansible_python_version']).toBe('3.7.16');
      expect(facts['ansible_distribution']).toBe('Debian');
      expect(facts['ansible_hostname']).toBe(machine.hostname);
      expect(facts['ansible_service_mgr']).toBe('systemd');
      expect(facts['ansible_default_ipv4']).toMatchObject({ address: machine.ip });
      expect(out.stats[machine.hostname]).toMatchObject({ failures: 0, unreachable: 0 });
    }
  });

  it('ansible -m group and -m user create a group and a user (and change nothing the second time)', async () => {
    const l = lab();
    const group = await ansible(l, 'all', ['-b', '-m', 'group', '-a', 'name=pai-x-group']);
    expect(group.run.exitCode).toBe(0);
    const user = await ansible(l, 'all', ['-b', '-m', 'user', '-a', 'name=pai-x group=pai-x-group']);
    expect(user.run.exitCode).toBe(0);
    for (const machine of l.machines) {
      expect(results(group.out)[machine.hostname]).toMatchObject({ changed: true, name: 'pai-x-group' });
      expect(results(user.out)[machine.hostname]).toMatchObject({ changed: true, name: 'pai-x', home: '/home/pai-x' });
      const id = await l.exec(machine.hostname, 'id -gn pai-x');
      expect(id.stdout.trim()).toBe('pai-x-group');
    }
    const again = await ansible(l, 'all', ['-b', '-m', 'user', '-a', 'name=pai-x group=pai-x-group']);
    expect(again.run.exitCode).toBe(0);
    for (const machine of l.machines) expect(results(again.out)[machine.hostname]!.changed).toBe(false);
  });

  it("on Debian's Python 3.11 the same user module fails: why the machines carry 3.7", async () => {
    const l = lab();
    const { run, out } = await ansible(l, 'k-node', [
      '-b',
      '-m',
      'user',
      '-a',
      'name=pai-y',
      '-e',
      'ansible_python_interpreter=/usr/bin/python3',
    ]);
    expect(run.exitCode).not.toBe(0);
    const result = results(out)['k-node']!;
    expect(result.failed).toBe(true);
    expect(result.module_stdout).toContain("module 'platform' has no attribute 'dist'");
  });
});
