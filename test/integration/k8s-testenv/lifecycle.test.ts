import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, expect, it } from 'vitest';
import { REQUIRED_BINARIES } from '../../../scripts/k8s-testenv.d/binaries.js';
import { probe } from '../../../scripts/k8s-testenv.d/http-probe.js';
import { livingGroupMembers } from '../../../scripts/k8s-testenv.d/processes.js';
import { up } from '../../../scripts/k8s-testenv.d/testenv.js';
import { describeEachK8sVersion, processesMentioning, startK8sTestEnv } from '../../support/k8s-testenv.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../../scripts/k8s-testenv');

await describeEachK8sVersion('k8s test environment: start and teardown', (version) => {
  const leftovers: string[] = [];
  afterAll(async () => {
    for (const dir of leftovers) if (existsSync(dir)) await run(SCRIPT, ['down', dir]).catch(() => undefined);
  });

  it('stop() kills every process it started, frees the API port and removes the state directory', async () => {
    const env = await startK8sTestEnv({ nodes: [{ name: 'pai-master-01' }], version });
    leftovers.push(env.stateDir);
    expect(env.version).toBe(version);
    expect(env.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']),
    );
    for (const { pid } of env.processes) expect(livingGroupMembers(pid)).not.toHaveLength(0);

    // Loopback only: etcd's client and peer ports and the apiserver's secure port, nothing else. In particular
    // none of 1.15's insecure ports (apiserver 8080, controller-manager 10252, scheduler 10251).
    const byComponent = listenersOf(env.processes);
    for (const [name, sockets] of byComponent) {
      for (const socket of sockets) expect(socket.address, `${name} listens on ${socket.address}`).toBe('127.0.0.1');
    }
    const apiPort = Number(new URL(env.server).port);
    expect(byComponent.get('kube-apiserver')?.map((s) => s.port)).toEqual([apiPort]);
    expect(byComponent.get('etcd')).toHaveLength(2);
    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kwok'])
      expect(byComponent.get(name), name).toEqual([]);
    const wildcard = listeningSockets().filter((s) => s.address === '0.0.0.0' || s.address === '::');
    expect(wildcard.filter((s) => [8080, 10251, 10252].includes(s.port))).toEqual([]);

    await env.stop();

    for (const { name, pid } of env.processes) expect(livingGroupMembers(pid), name).toEqual([]);
    expect(processesMentioning(env.stateDir)).toEqual([]);
    expect(existsSync(env.stateDir)).toBe(false);
    expect(await probe(`${env.server}/livez`)).toBeNull();
  });

  it('the script: `up --nodes 2` prints a usable kubeconfig and node names, `down DIR` leaves nothing behind', async () => {
    const args = ['up', '--nodes', '2', '--gpus-per-node', '8', '--no-build', '--version', version];
    const { stdout } = await run(SCRIPT, args);
    const output = JSON.parse(stdout) as {
      kubeconfig: string;
      nodes: string[];
      stateDir: string;
      server: string;
      version: string;
    };
    leftovers.push(output.stateDir);
    expect(output.nodes).toEqual(['pai-worker-001', 'pai-worker-002']);
    expect(output.version).toBe(version);

    const kc = new KubeConfig();
    kc.loadFromFile(output.kubeconfig);
    const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items;
    expect(nodes.map((n) => n.status?.allocatable?.['nvidia.com/gpu'])).toEqual(['8', '8']);
    const state = JSON.parse(readFileSync(join(output.stateDir, 'state.json'), 'utf8')) as {
      processes: Array<{ pid: number }>;
    };

    const listed = await run(SCRIPT, ['list']);
    expect(listed.stdout).toContain(output.stateDir);
    await run(SCRIPT, ['down', output.stateDir]);

    for (const { pid } of state.processes) expect(livingGroupMembers(pid)).toEqual([]);
    expect(processesMentioning(output.stateDir)).toEqual([]);
    expect(existsSync(output.stateDir)).toBe(false);
  });

  it('a failed start tears down what it had started and reports the component log', async () => {
    const fakeBin = mkdtempSync(join(tmpdir(), 'k8s-testenv-fake-bin-'));
    const stateRoot = mkdtempSync(join(tmpdir(), 'k8s-testenv-fake-state-'));
    try {
      for (const name of REQUIRED_BINARIES) {
        writeFileSync(join(fakeBin, name), `#!/bin/sh\necho "${name}: deliberately broken" >&2\nexit 3\n`);
        chmodSync(join(fakeBin, name), 0o755);
      }
      await expect(up({ nodes: [{ name: 'n1' }], binDir: fakeBin, stateRoot, version })).rejects.toThrow(
        /etcd: deliberately broken/,
      );
      expect(readdirSync(stateRoot)).toEqual([]);
    } finally {
      rmSync(fakeBin, { recursive: true, force: true });
      rmSync(stateRoot, { recursive: true, force: true });
    }
  });
});

interface ListeningSocket {
  address: string;
  port: number;
  inode: string;
}

/** TCP sockets in LISTEN state on this machine (its network namespace), from /proc/net/tcp and tcp6. */
function listeningSockets(): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1] ?? '', fields[3], fields[9] ?? ''];
      if (state !== '0A') continue; // TCP_LISTEN
      const [hex = '', port = '0'] = local.split(':');
      sockets.push({ address: v6 ? ipv6(hex) : ipv4(hex), port: parseInt(port, 16), inode });
    }
  }
  return sockets;
}

/** The kernel prints addresses as 32-bit words in host (little-endian) order. */
function ipv4(hex: string): string {
  return (hex.match(/../g) ?? [])
    .map((byte) => parseInt(byte, 16))
    .reverse()
    .join('.');
}

function ipv6(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => (word.match(/../g) ?? []).reverse());
  const groups = (bytes.join('').match(/.{4}/g) ?? []).map((group) => parseInt(group, 16).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  return text;
}

function openFiles(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`);
  } catch {
    return []; // the process ended while we looked
  }
}

/** Listening sockets of each component (every process of its group), by the socket inodes of their open files. */
function listenersOf(components: ReadonlyArray<{ name: string; pid: number }>): Map<string, ListeningSocket[]> {
  const sockets = listeningSockets();
  const result = new Map<string, ListeningSocket[]>();
  for (const { name, pid } of components) {
    const inodes = new Set<string>();
    for (const member of livingGroupMembers(pid)) {
      for (const fd of openFiles(member)) {
        try {
          const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${member}/fd/${fd}`));
          if (match?.[1]) inodes.add(match[1]);
        } catch {
          // closed while we looked
        }
      }
    }
    result.set(
      name,
      sockets.filter((s) => inodes.has(s.inode)).sort((a, b) => a.port - b.port),
    );
  }
  return result;
}
