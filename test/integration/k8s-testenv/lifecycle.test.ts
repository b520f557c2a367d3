import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, expect, it } from 'vitest';
import { REQUIRED_BINARIES } from '../../../scripts/k8s-testenv.d/binaries.js';
import { probe } from '../../../scripts/k8s-testenv.d/http-probe.js';
import { livingGroupMembers } from '../../../scripts/k8s-testenv.d/processes.js';
import { up } from '../../../scripts/k8s-testenv.d/testenv.js';
import { describeWithInfra } from '../../support/infra.js';
import { k8sTestEnvUnavailable, startK8sTestEnv } from '../../support/k8s-testenv.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../../scripts/k8s-testenv');

await describeWithInfra('k8s test environment: start and teardown', k8sTestEnvUnavailable, () => {
  const leftovers: string[] = [];
  afterAll(async () => {
    for (const dir of leftovers) if (existsSync(dir)) await run(SCRIPT, ['down', dir]).catch(() => undefined);
  });

  it('stop() kills every process it started, frees the API port and removes the state directory', async () => {
    const env = await startK8sTestEnv({ nodes: [{ name: 'pai-master-01' }] });
    leftovers.push(env.stateDir);
    expect(env.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']),
    );
    for (const { pid } of env.processes) expect(livingGroupMembers(pid)).not.toHaveLength(0);

    await env.stop();

    for (const { name, pid } of env.processes) expect(livingGroupMembers(pid), name).toEqual([]);
    expect(processesMentioning(env.stateDir)).toEqual([]);
    expect(existsSync(env.stateDir)).toBe(false);
    expect(await probe(`${env.server}/livez`)).toBeNull();
  });

  it('the script: `up --nodes 2` prints a usable kubeconfig and node names, `down DIR` leaves nothing behind', async () => {
    const { stdout } = await run(SCRIPT, ['up', '--nodes', '2', '--gpus-per-node', '8', '--no-build']);
    const output = JSON.parse(stdout) as { kubeconfig: string; nodes: string[]; stateDir: string; server: string };
    leftovers.push(output.stateDir);
    expect(output.nodes).toEqual(['pai-worker-001', 'pai-worker-002']);

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
      await expect(up({ nodes: [{ name: 'n1' }], binDir: fakeBin, stateRoot })).rejects.toThrow(
        /etcd: deliberately broken/,
      );
      expect(readdirSync(stateRoot)).toEqual([]);
    } finally {
      rmSync(fakeBin, { recursive: true, force: true });
      rmSync(stateRoot, { recursive: true, force: true });
    }
  });
});

/** Pids whose command line mentions `text` (every component gets paths inside its state directory). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
