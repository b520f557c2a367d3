import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeApi, KubeObject } from '../../../src/ports/kube-api.js';
import { nodeManifest } from '../../../scripts/k8s-testenv.d/nodes.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { tempDir } from '../../support/fixtures.js';
import { describeWithInfra } from '../../support/infra.js';
import { k8sTestEnvUnavailable } from '../../support/k8s-testenv.js';
import type { Lab } from '../../support/lab.js';
import { devbox27Available } from '../../support/lab-devbox27.js';
import { startQuickStartWorld, type QuickStartWorld } from '../../support/quick-start-world.js';

// `pai-deploy machine add` on a cluster quick-start deployed, in the world of test/support/quick-start-world.ts plus
// a spare lab machine (cpu-2) that is in neither the layout nor the control plane. The kubespray fixture's scale.yml
// does its work on the machine; the node then appears as a kubelet would register it: this test creates cpu-2's kwok
// node once the fixture's scale marker is on the machine (kubeletFor below).

vi.setConfig({ hookTimeout: 900_000, testTimeout: 600_000 });
const CLUSTER_ID = 'day2';
const docker = new Docker();
const signal = new AbortController().signal;
const configMapRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'pai-configuration', namespace: 'default' };

await describeWithInfra(
  'machine add and remove, cluster reset: a spare lab machine joins the deployed cluster and leaves it',
  async () => (await devbox27Available()) ?? k8sTestEnvUnavailable('1.15'),
  () => {
    const dir = tempDir('pai-deploy-day2-');
    const workDir = join(dir, 'work');
    let world: QuickStartWorld;
    let lab: Lab;
    let kube: KubeApi;
    let bigger: string[];

    const cli = async (args: string[]): Promise<CliResult> => {
      const started = Date.now();
      const result = await runCli([...args, '--work-dir', workDir, ...world.flags()]);
      console.log(`[day2] ${args.slice(0, 2).join(' ')} → exit ${result.code} in ${Date.now() - started} ms`);
      return result;
    };
    const stored = async () =>
      ((await kube.get(configMapRef, signal)) as KubeObject & { data: Record<string, string> }).data;
    const leftoverContainers = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`pai-deploy.cluster=${CLUSTER_ID}`] } })).length;
    const sudo = (hostname: string, command: string) => lab.exec(hostname, `sudo sh -c '${command}'`);
    /** Workloads' generations: a changed pod template (a restart) moves it, an untouched service does not. */
    const generations = async () => {
      const rows: Record<string, number> = {};
      for (const kind of ['Deployment', 'DaemonSet', 'StatefulSet']) {
        for (const object of await kube.list({ apiVersion: 'apps/v1', kind, namespace: 'default' }, signal)) {
          rows[`${kind}/${object.metadata.name}`] = Number(object.metadata.generation);
        }
      }
      return rows;
    };

    /** On a failure, what the simulated node's pods and kwok said (kwok plays the kubelet here). */
    async function diagnose(hostname: string): Promise<void> {
      const pods = await kube.list(
        { apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${hostname}` },
        signal,
      );
      console.log(`[day2] pods on ${hostname}:`, JSON.stringify(pods.map((pod) => [pod.metadata.name, pod['status']])));
      const log = join(world.env.stateDir, 'kwok.log');
      if (existsSync(log))
        console.log(`[day2] kwok.log:\n${readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')}`);
    }

    /** Registers cpu-2's node once scale.yml has run on it, as its kubelet would. */
    function kubeletFor(hostname: string): { stop(): void } {
      let stopped = false;
      const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
      void (async () => {
        while (!stopped) {
          const marker = await lab.exec(hostname, 'cat /etc/pai-deploy-fixture/scale 2>/dev/null');
          if (marker.code === 0 && marker.stdout.includes(hostname)) break;
          await pause();
        }
        if (stopped) return;
        const machine = lab.machine(hostname);
        const node = nodeManifest({ name: hostname, address: machine.ip, cpu: '8', memory: '32Gi' }, 0);
        await kube.create(node as unknown as KubeObject, {}, signal);
        // kwok plays the kubelet, but a pod bound to the node before kwok has seen the node can stay Pending for
        // good (seen twice in ten runs: a DaemonSet's pod, created the moment the node appeared). A kubelet starts
        // such a pod; here it is deleted once, 5 s after it was bound, and its controller makes a new one.
        const kicked = new Set<string>();
        while (!stopped) {
          const pods = await kube.list(
            { apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${hostname}` },
            signal,
          );
          for (const pod of pods) {
            const status = pod['status'] as {
              phase?: string;
              conditions?: Array<{ type: string; lastTransitionTime?: string }>;
            };
            const bound = status.conditions?.find((condition) => condition.type === 'PodScheduled')?.lastTransitionTime;
            const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
            if (status.phase !== 'Pending' || bound === undefined || kicked.has(key)) continue;
            if (Date.now() - Date.parse(bound) < 5_000) continue;
            kicked.add(key);
            console.log(`[day2] kubelet: ${key} still Pending 5 s after it was bound to ${hostname}: deleted once`);
            await kube.delete(
              { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace! },
              { gracePeriodSeconds: 0 },
              signal,
            );
          }
          await pause();
        }
      })();
      return { stop: () => (stopped = true) };
    }

    beforeAll(async () => {
      world = await startQuickStartWorld({
        name: 'day2-world',
        dir,
        clusterId: CLUSTER_ID,
        spare: [{ hostname: 'cpu-2', profile: 'cpu-worker' }],
      });
      ({ lab, kube } = world);
      const deployed = await cli(['quick-start', ...world.inputs, '--yes']);
      expect(deployed.code, deployed.stderr).toBe(0);
      // The layout with cpu-2 added as the admin would: the same SKU as cpu-1.
      const layoutPath = world.inputs[1]!;
      const layout = parse(readFileSync(layoutPath, 'utf8')) as { 'machine-list': Array<Record<string, string>> };
      const cpu1 = layout['machine-list'].find((machine) => machine['hostname'] === 'cpu-1')!;
      layout['machine-list'].push({ ...cpu1, hostname: 'cpu-2', hostip: lab.machine('cpu-2').ip });
      const biggerPath = join(dir, 'layout-with-cpu-2.yaml');
      writeFileSync(biggerPath, stringify(layout));
      bigger = ['-l', biggerPath, '-c', world.inputs[3]!];
      // A key of the stored configuration pai-deploy does not write: a merge keeps it.
      await kube.patch(
        configMapRef,
        { type: 'merge', body: { data: { 'k8s-role-definition.yaml': 'kept: true\n' } } },
        {},
        signal,
      );
    });
    afterAll(async () => {
      await world?.stop();
    });

    it('--dry-run shows the plan (cpu-2 added, every step) and changes nothing', async () => {
      const before = {
        config: await stored(),
        nodes: (await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal)).length,
      };
      const dry = await cli(['machine', 'add', ...bigger, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`+ cpu-2 (${lab.machine('cpu-2').ip}, worker, sku`);
      expect(dry.stdout).toContain('= 3 machine(s) unchanged');
      expect(dry.stdout).toMatch(/\[kubespray\] dev-box: run .*scale\.yml.*--limit.*cpu-2/);
      expect(dry.stdout).toMatch(/\[check\] cpu-2: connect over SSH/);
      expect(dry.stdout).not.toMatch(/\[check\] (master|gpu-1|cpu-1):/);
      expect({
        config: await stored(),
        nodes: (await kube.list({ apiVersion: 'v1', kind: 'Node' }, signal)).length,
      }).toEqual(before);
      expect((await lab.exec('cpu-2', 'test -e /etc/pai-deploy-fixture')).code).not.toBe(0);
    });

    it('a failure in scale.yml leaves the stored layout as it was', async () => {
      await sudo('cpu-2', 'touch /etc/pai-deploy-fixture-broken');
      const failed = await cli(['machine', 'add', ...bigger, '--yes']);
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toContain('cpu-2: failed in "marker : Install a package (role marker)"');
      expect((await stored())['layout.yaml']).not.toContain('cpu-2');
      expect(await leftoverContainers()).toBe(0);
    });

    it('fixed, the rerun joins cpu-2: labelled, in the stored layout and hived config, other keys intact', async () => {
      await sudo('cpu-2', 'rm /etc/pai-deploy-fixture-broken');
      const before = await stored();
      const generationsBefore = await generations();
      const kubelet = kubeletFor('cpu-2');
      const added = await cli(['machine', 'add', ...bigger, '--yes']).finally(() => kubelet.stop());
      if (added.code !== 0) await diagnose('cpu-2');
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toContain('machine add: cpu-2 joined, labelled and in the stored layout.');
      // Only the new machine was checked and scaled.
      expect((await lab.exec('cpu-2', 'cat /etc/pai-deploy-fixture/scale')).stdout).toContain('cpu-2');
      expect((await lab.exec('cpu-1', 'test -e /etc/pai-deploy-fixture/scale')).code).not.toBe(0);
      const node = (await kube.get({ apiVersion: 'v1', kind: 'Node', name: 'cpu-2' }, signal))!;
      expect(node.metadata.labels).toMatchObject({ 'pai-worker': 'true' });
      const after = await stored();
      expect(after['layout.yaml']).toContain(lab.machine('cpu-2').ip);
      expect(after['k8s-role-definition.yaml']).toBe('kept: true\n');
      expect(after['config.yaml']).toBe(before['config.yaml']);
      // Restarted exactly the services whose configuration changed (the pod template's config hash moved).
      const generationsAfter = await generations();
      const moved = Object.keys(generationsAfter).filter((key) => generationsAfter[key] !== generationsBefore[key]);
      console.log(`[day2] workloads rolled by the add: ${moved.join(', ') || 'none'}`);
      expect(generationsAfter['DaemonSet/node-exporter']).toBe(generationsBefore['DaemonSet/node-exporter']);
      const changedServices = added.stdout.match(/services changed: (.*)/)?.[1] ?? '';
      if (moved.length > 0) expect(changedServices).not.toBe('none');
      expect(await leftoverContainers()).toBe(0);
    });

    it('again: nothing to add, nothing done', async () => {
      const versions = JSON.stringify(await stored());
      const again = await cli(['machine', 'add', ...bigger, '--yes']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.stringify(await stored())).toBe(versions);
    });

    it('a layout that leaves a machine out is refused, naming machine remove', async () => {
      const layout = parse(readFileSync(bigger[1]!, 'utf8')) as { 'machine-list': Array<Record<string, string>> };
      layout['machine-list'] = layout['machine-list'].filter((machine) => machine['hostname'] !== 'gpu-1');
      const smaller = join(dir, 'layout-without-gpu-1.yaml');
      writeFileSync(smaller, stringify(layout));
      const refused = await cli(['machine', 'add', '-l', smaller, '-c', bigger[3]!, '--yes']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('the layout leaves out 1 machine(s) the cluster has: gpu-1');
      expect(refused.stderr).toContain('pai-deploy machine remove --hosts gpu-1');
    });

    it('machine remove refuses the master, and the last worker', async () => {
      const master = await cli(['machine', 'remove', '--hosts', 'master', ...bigger, '--yes']);
      expect(master.code).toBe(1);
      expect(master.stderr).toContain('refusing to remove the master: master');
      const workers = await cli(['machine', 'remove', '--hosts', 'gpu-1,cpu-1,cpu-2', ...bigger, '--yes']);
      expect(workers.code).toBe(1);
      expect(workers.stderr).toContain('refusing to remove the last workers: gpu-1, cpu-1, cpu-2');
      const unknown = await cli(['machine', 'remove', '--hosts', 'cpu-9', ...bigger, '--yes']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('not machines of the cluster: cpu-9');
    });

    it('machine remove --dry-run shows drain, remove-node and the push, and changes nothing', async () => {
      // A pod of someone's on the node: the drain will evict it (and say nothing recreates it).
      await kube.create(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'on-cpu-2', namespace: 'default' },
          spec: { nodeName: 'cpu-2', containers: [{ name: 'c', image: 'busybox' }] },
        },
        {},
        signal,
      );
      const layoutBefore = readFileSync(bigger[1]!, 'utf8');
      const configBefore = await stored();
      const dry = await cli(['machine', 'remove', '--hosts', 'cpu-2', ...bigger, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`- cpu-2 (${lab.machine('cpu-2').ip}, worker`);
      expect(dry.stdout).toMatch(
        /\[drain\] cpu-2: cordon the node and evict its \d+ pod\(s\) .*without a controller, not recreated: default\/on-cpu-2/,
      );
      expect(dry.stdout).toMatch(/\[kubespray\] dev-box: run .*remove-node\.yml/);
      expect(dry.stdout).toContain('[nodes-delete] cpu-2: delete the Node object');
      expect(readFileSync(bigger[1]!, 'utf8')).toBe(layoutBefore);
      expect(await stored()).toEqual(configBefore);
      const node = (await kube.get({ apiVersion: 'v1', kind: 'Node', name: 'cpu-2' }, signal))!;
      expect((node['spec'] as { unschedulable?: boolean }).unschedulable).toBeUndefined();
    });

    it('machine remove cpu-2: drained, reset, Node gone, out of the layout file and the stored layout', async () => {
      const removed = await cli(['machine', 'remove', '--hosts', 'cpu-2', ...bigger, '--yes']);
      expect(removed.code, removed.stderr).toBe(0);
      console.log(`[day2] remove: ${removed.stdout.match(/services changed: .*/)?.[0] ?? ''}`);
      expect(removed.stderr).toContain('cpu-2: evicted 1 pod(s) no controller recreates: default/on-cpu-2');
      // The work dir's inventory no longer reaches cpu-2.
      expect(readFileSync(join(workDir, 'rendered', 'inventory', 'hosts.yml'), 'utf8')).not.toContain('cpu-2');
      expect(removed.stdout).toContain('machine remove: cpu-2 drained, reset and out of the cluster');
      expect(await kube.get({ apiVersion: 'v1', kind: 'Node', name: 'cpu-2' }, signal)).toBeUndefined();
      expect(
        await kube.get({ apiVersion: 'v1', kind: 'Pod', name: 'on-cpu-2', namespace: 'default' }, signal),
      ).toBeUndefined();
      // kubespray's remove-node.yml ran on it (the fixture's reset role removes its markers).
      expect((await lab.exec('cpu-2', 'test -e /etc/pai-deploy-fixture')).code).not.toBe(0);
      const layoutText = readFileSync(bigger[1]!, 'utf8');
      expect(layoutText).not.toContain('cpu-2');
      expect(layoutText).toContain('cpu-1');
      const after = await stored();
      expect(after['layout.yaml']).not.toContain('cpu-2');
      expect(after['services-configuration.yaml']).not.toContain('cpu-2');
      expect(after['k8s-role-definition.yaml']).toBe('kept: true\n');
      // The layout now matches the cluster: machine add has nothing to do.
      const again = await cli(['machine', 'add', ...bigger, '--dry-run']);
      expect(again.stdout).toContain('nothing to add');
    });

    it('cluster reset: asks for the id (none without a terminal), then Kubernetes goes; quick-start rebuilds', async () => {
      const flags = world.flags();
      const pick = (flag: string) => [flag, flags[flags.indexOf(flag) + 1]!];
      const reset = (extra: string[]) =>
        runCli([
          'cluster',
          'reset',
          ...bigger,
          '--work-dir',
          workDir,
          ...pick('--kubespray-dir'),
          '--allow-unpinned-kubespray',
          ...pick('--devbox-image'),
          ...pick('--devbox-network'),
          ...extra,
        ]);
      const asked = await reset([]);
      expect(asked.code).toBe(2);
      expect(asked.stderr).toContain('--yes');
      expect((await lab.exec('master', 'test -e /etc/pai-deploy-fixture/cluster')).code).toBe(0);

      const done = await reset(['--yes']);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toContain('To rebuild: pai-deploy quick-start');
      for (const hostname of ['master', 'gpu-1', 'cpu-1']) {
        expect((await lab.exec(hostname, 'test -e /etc/pai-deploy-fixture')).code).not.toBe(0);
      }
      expect(existsSync(join(workDir, 'kube', 'config'))).toBe(false);
      const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as {
        phases: Record<string, unknown>;
      };
      expect(Object.keys(state.phases)).not.toContain('check');
      expect(Object.keys(state.phases)).not.toContain('node-labels');
      expect(existsSync(join(workDir, 'rendered', 'cluster-cfg', 'layout.yaml'))).toBe(true);

      // The same files rebuild it: the checks, kubespray and the labels run again (nothing skipped as unchanged).
      const rebuilt = await cli(['quick-start', ...bigger, '--yes']);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(rebuilt.stdout).toContain(`OpenPAI cluster "${CLUSTER_ID}" is up.`);
      expect(rebuilt.stdout).not.toMatch(
        /skipped \(finished before, inputs unchanged\): .*(check|kubespray|node-labels)/,
      );
      expect((await lab.exec('master', 'test -e /etc/pai-deploy-fixture/cluster')).code).toBe(0);
    });
  },
);
