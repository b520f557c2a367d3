import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { KubeApi, KubeObject } from '../../../src/ports/kube-api.js';
import { cliPath, runCli, type CliResult } from '../../support/cli.js';
import { tempDir } from '../../support/fixtures.js';
import { describeWithInfra } from '../../support/infra.js';
import { k8sTestEnvUnavailable, type K8sTestEnv } from '../../support/k8s-testenv.js';
import type { Lab } from '../../support/lab.js';
import { devbox27Available } from '../../support/lab-devbox27.js';
import { startQuickStartWorld, type QuickStartWorld } from '../../support/quick-start-world.js';
import { tmuxUnavailable, useTmux } from '../../support/tmux.js';

// `pai-deploy quick-start -l … -c … --yes` from machines to ready services, in the world of
// test/support/quick-start-world.ts (every part real but kubespray and OpenPAI: lab machines, the pre-flight checks
// over SSH, the product's dev-box running the kubespray-shaped fixture, the test control plane as the cluster it
// brings up); then labels, the configuration push with the hived config, and the OpenPAI-shaped fixture tree's
// services, applied and waited for.

vi.setConfig({ hookTimeout: 900_000, testTimeout: 600_000 });
const CLUSTER_ID = 'qs';
const docker = new Docker();
const signal = new AbortController().signal;

interface StateFile {
  phases: Record<string, { status: string; finishedAt?: string; inputHash?: string }>;
}

await describeWithInfra(
  'quick-start: lab machines → kubespray fixture in the dev-box → test control plane → OpenPAI fixture services',
  async () => tmuxUnavailable() ?? (await devbox27Available()) ?? k8sTestEnvUnavailable('1.15'),
  () => {
    const { TmuxTerminal } = useTmux(`pai-qs-world-${process.pid}`);
    const dir = tempDir('pai-deploy-qs-world-');
    const workDir = join(dir, 'work');
    let world: QuickStartWorld | undefined;
    let lab: Lab;
    let env: K8sTestEnv;
    let kube: KubeApi;

    const worldFlags = () => world!.flags();
    const quickStart = (extra: string[] = []) => [
      'quick-start',
      ...world!.inputs,
      '--work-dir',
      workDir,
      ...worldFlags(),
      ...extra,
    ];
    const run = async (extra: string[] = []): Promise<CliResult> => {
      const started = Date.now();
      const result = await runCli(quickStart(['--yes', ...extra]));
      console.log(`[quick-start] ${extra.join(' ') || '--yes'} → exit ${result.code} in ${Date.now() - started} ms`);
      return result;
    };
    const state = (): StateFile => JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as StateFile;
    const statuses = () => Object.fromEntries(Object.entries(state().phases).map(([id, p]) => [id, p.status]));
    const leftoverContainers = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`pai-deploy.cluster=${CLUSTER_ID}`] } })).map(
        (c) => c.Names[0],
      );
    const node = async (name: string) =>
      (await kube.get({ apiVersion: 'v1', kind: 'Node', name }, signal)) as KubeObject;
    const sudo = (hostname: string, command: string) => lab.exec(hostname, `sudo sh -c '${command}'`);

    beforeAll(async () => {
      world = await startQuickStartWorld({ name: 'qs-world', dir, clusterId: CLUSTER_ID });
      ({ lab, env, kube } = world);
    });
    afterAll(async () => {
      await world?.stop();
    });

    it('fails in the kubespray phase on a broken machine: exit 1, the machine and task named, no container', async () => {
      await sudo('gpu-1', 'touch /etc/pai-deploy-fixture-broken');
      const failed = await run();
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toContain('gpu-1: failed in "marker : Install a package (role marker)"');
      expect(failed.stderr).toContain('E: Unable to locate package pai-fixture-missing');
      expect(statuses()).toMatchObject({ validate: 'done', render: 'done', check: 'done', kubespray: 'failed' });
      // The phases after the failure did not run: no kubeconfig, no labels on the nodes.
      expect(existsSync(join(workDir, 'kube', 'config'))).toBe(false);
      expect((await node('master')).metadata.labels?.['pai-master']).toBeUndefined();
      expect(await leftoverContainers()).toEqual([]);
      expect(existsSync(join(workDir, 'lock'))).toBe(false);
    });

    it('fixed, the rerun skips the finished checks, runs kubespray again and goes on to ready services', async () => {
      const checkedAt = state().phases['check']?.finishedAt;
      await sudo('gpu-1', 'rm /etc/pai-deploy-fixture-broken');
      const result = await run();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`OpenPAI cluster "${CLUSTER_ID}" is up.`);
      expect(result.stdout).toMatch(/skipped \(finished before, inputs unchanged\): .*check/);
      expect(result.stdout).toContain(`http://${lab.machine('master').ip}/`);
      expect(state().phases['check']?.finishedAt).toBe(checkedAt);
      expect(Object.values(statuses()).every((status) => status === 'done')).toBe(true);

      // kubespray did its work on every machine, and its kubeconfig (rewritten to the master) reaches the API.
      for (const hostname of ['master', 'gpu-1', 'cpu-1']) {
        expect((await lab.exec(hostname, 'cat /etc/pai-deploy-fixture/cluster')).stdout).toContain(hostname);
      }
      const kubeconfig = readFileSync(join(workDir, 'kube', 'config'), 'utf8');
      expect(kubeconfig).toContain(`server: https://${lab.machine('master').ip}:${new URL(env.server).port}`);
      expect(statSync(join(workDir, 'kube', 'config')).mode & 0o077).toBe(0);

      // Labels from the layout, the stored configuration, the hived config from the live nodes.
      expect((await node('master')).metadata.labels).toMatchObject({ 'pai-master': 'true' });
      expect((await node('gpu-1')).metadata.labels).toMatchObject({
        'pai-worker': 'true',
        'pai-computing-device': 'nvidia.com_gpu',
      });
      const stored = (await kube.get(
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'pai-configuration', namespace: 'default' },
        signal,
      )) as KubeObject & { data: Record<string, string> };
      expect(Object.keys(stored.data).sort()).toEqual(['config.yaml', 'layout.yaml', 'services-configuration.yaml']);
      expect(stored.data['layout.yaml']).toContain(lab.machine('gpu-1').ip);

      // The fixture tree's services: the DaemonSet on every node, ready.
      const exporter = (await kube.get(
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'node-exporter', namespace: 'default' },
        signal,
      )) as KubeObject & { status: { desiredNumberScheduled: number; numberReady: number } };
      expect(exporter.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3 });
      expect(await leftoverContainers()).toEqual([]);
    });

    it('a rerun of the finished deploy skips every resumable phase and changes no object', async () => {
      const versions = await resourceVersions(kube);
      const result = await run();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        /skipped \(finished before, inputs unchanged\): render, check, kubespray, node-labels\n/,
      );
      expect(await resourceVersions(kube)).toEqual(versions);
    });

    it('--dry-run --force leaves the machines, the engine, the API and the work dir as they were', async () => {
      const before = await snapshot();
      const dry = await runCli(quickStart(['--dry-run', '--force']));
      expect(dry.code, dry.stderr).toBe(0);
      // It says what it would do, per phase…
      expect(dry.stdout).toMatch(/kubespray/);
      expect(dry.stdout).toContain(lab.machine('cpu-1').ip);
      // …and did none of it.
      expect(await snapshot()).toEqual(before);
    });

    it('Ctrl-C during kubespray: exit 130, no container left, the phase interrupted; the rerun resumes there', async () => {
      await sudo('master', 'echo 300 > /etc/pai-deploy-fixture-slow');
      const child = spawn(
        process.execPath,
        [cliPath, ...quickStart(['--yes', '--from', 'kubespray', '--progress', 'json'])],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const deadline = Date.now() + 300_000;
      let ended = false;
      void exited.then(() => (ended = true));
      while (!stderr.includes('Slow machine') && !ended && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(stderr).toContain('Slow machine');
      expect(await leftoverContainers()).toHaveLength(1);
      const sentAt = Date.now();
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      console.log(`[quick-start] SIGINT during kubespray → exit 130 in ${Date.now() - sentAt} ms`);
      expect(await leftoverContainers()).toEqual([]);
      expect(statuses()).toMatchObject({ check: 'done', kubespray: 'interrupted' });
      expect(existsSync(join(workDir, 'lock'))).toBe(false);
      expect(existsSync(join(workDir, 'run-secrets'))).toBe(false);

      await sudo('master', 'rm /etc/pai-deploy-fixture-slow');
      const resumed = await run();
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/skipped \(finished before, inputs unchanged\): render, check, node-labels\n/);
      expect(statuses()['kubespray']).toBe('done');
    });

    it('the wizard on a real terminal, answered for the lab machines, deploys to the end', async () => {
      // A fresh directory and work dir: the wizard probes the machines, finds that /usr/bin/python will not do for
      // Ansible 2.7 (the lab machines are Debian 12 with a CPython 3.7 under /opt) and sets the interpreter every
      // machine has; without that the kubespray phase fails. The cluster id is the stored one (config push refuses
      // another).
      const cwd = join(dir, 'wizard-cwd');
      mkdirSync(cwd);
      const master = lab.machine('master');
      const command = [
        process.execPath,
        cliPath,
        'quick-start',
        '--work-dir',
        join(dir, 'wizard-work'),
        ...worldFlags(),
      ]
        .map((arg) => JSON.stringify(arg))
        .join(' ');
      const terminal = new TmuxTerminal(command, {
        cwd,
        env: {
          PAI_DEPLOY_HOME: join(dir, 'wizard-home'),
          HOME: process.env['HOME'] ?? '/root',
          PATH: process.env['PATH'] ?? '',
        },
      });
      await terminal.answer('Cluster id', CLUSTER_ID);
      await terminal.answer('SSH user', master.user);
      await terminal.answer('SSH port', '');
      await terminal.answer('How does pai-deploy log in', '');
      await terminal.waitFor('Private key file');
      terminal.keys('C-u');
      terminal.type(master.keyPath);
      terminal.keys('Enter');
      await terminal.answer('Does sudo ask', 'n');
      await terminal.answer('The machines', '');
      await terminal.answer('Master hostname', 'master');
      await terminal.answer('Master IPv4', master.ip);
      await terminal.answer('Worker 1 hostname', 'gpu-1');
      await terminal.answer('Worker 1 IPv4', lab.machine('gpu-1').ip);
      await terminal.answer('Worker 2 hostname', 'cpu-1');
      await terminal.answer('Worker 2 IPv4', lab.machine('cpu-1').ip);
      await terminal.answer('Worker 3 hostname', '');
      await terminal.answer('over SSH now', '');
      const probed = await terminal.answer(/CPU cores per machine \(\d+\)/, '', 60_000);
      expect(probed).toContain('/opt/python3.7/bin/python3.7 (Python 3.7 on every probed machine');
      // The master's memory, then the GPU worker's SKU (prefilled from nvidia-smi), then the CPU worker's.
      await terminal.answer('Memory per machine', '');
      await terminal.answer(/GPUs of \S+ machines/, '');
      await terminal.answer(/Device model.*\(Tesla K80\)/, '');
      await terminal.answer(/Devices per machine \(1\)/, '');
      await terminal.answer('CPU cores per machine', '');
      await terminal.answer('Memory per machine', '');
      await terminal.answer(/GPUs of \S+ machines/, '');
      await terminal.answer('CPU cores per machine', '');
      await terminal.answer('Memory per machine', '');
      await terminal.answer('Registry of OpenPAI', '');
      await terminal.answer('Image namespace', '');
      await terminal.answer('OpenPAI release', '');
      await terminal.answer('network plugin', '');
      await terminal.answer('advanced', '');
      const summary = await terminal.answer(`Write ${join(cwd, 'layout.yaml')}`, '');
      expect(summary).toContain('python    /opt/python3.7/bin/python3.7 on every machine');
      const started = Date.now();
      await terminal.answer('Deploy now?', 'y');
      await terminal.waitFor(`OpenPAI cluster "${CLUSTER_ID}" is up.`, 300_000);
      console.log(`[quick-start] the wizard's deploy → is up in ${Date.now() - started} ms`);
      expect(await terminal.exit(), terminal.screen()).toBe(0);
      expect(readFileSync(join(cwd, 'config.yaml'), 'utf8')).toContain(
        'ansible_python_interpreter: "/opt/python3.7/bin/python3.7"',
      );
      const wizardState = JSON.parse(readFileSync(join(dir, 'wizard-work', 'state.json'), 'utf8')) as StateFile;
      expect(Object.values(wizardState.phases).every((phase) => phase.status === 'done')).toBe(true);
      expect(await leftoverContainers()).toEqual([]);
    });

    /** What a dry run must not change: containers, networks and volumes; every object; files on machines and here. */
    async function snapshot() {
      const containers = (await docker.listContainers({ all: true }))
        .map((c) => `${c.Id} ${c.State} ${c.Status.replace(/\d+ (seconds?|minutes?|hours?)/, '')}`)
        .sort();
      const networks = (await docker.listNetworks()).map((n) => n.Id).sort();
      const volumes = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).sort();
      const machines: Record<string, string> = {};
      for (const hostname of ['master', 'gpu-1', 'cpu-1']) {
        machines[hostname] = (
          await lab.exec(
            hostname,
            'find /etc/pai-deploy-fixture /etc/systemd/system/pai-fixture.service -printf "%p %s %T@\\n" | sort',
          )
        ).stdout;
      }
      return {
        containers,
        networks,
        volumes,
        objects: await resourceVersions(kube),
        machines,
        workDir: listTree(workDir),
      };
    }
  },
);

/** Every namespaced object's kind, name and resourceVersion in the namespaces OpenPAI uses, and every node's. */
async function resourceVersions(kube: KubeApi): Promise<string[]> {
  const kinds: Array<[string, string]> = [
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
    ['v1', 'Service'],
    ['apps/v1', 'DaemonSet'],
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
  ];
  const rows: string[] = [];
  for (const [apiVersion, kind] of kinds) {
    for (const object of await kube.list({ apiVersion, kind, namespace: 'default' }, signal)) {
      rows.push(`${kind} ${object.metadata.name} ${object.metadata.resourceVersion}`);
    }
  }
  for (const object of await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal)) {
    // Heartbeats move a node's resourceVersion; its labels and taints are what a deploy would change.
    rows.push(`Node ${object.metadata.name} ${JSON.stringify(object.metadata.labels)}`);
  }
  return rows.sort();
}

/** Paths, sizes and modification times under a directory. */
function listTree(root: string): string[] {
  if (!existsSync(root)) return [];
  const rows: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      const stat = statSync(full);
      rows.push(`${full.slice(root.length)} ${stat.size} ${stat.mtimeMs}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(root);
  return rows.sort();
}
