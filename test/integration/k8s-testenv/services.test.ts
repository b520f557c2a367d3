import { cpSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { realPorts } from '../../../src/infra/ports.js';
import type { KubeApi, KubeObject } from '../../../src/ports/kube-api.js';
import { repoRoot, runCli } from '../../support/cli.js';
import { tempDir } from '../../support/fixtures.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

const dir = tempDir('pai-deploy-services-');
const FIXTURE = join(repoRoot, 'test/fixtures/openpai-shaped');
const EXAMPLE = ['-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'];
const signal = new AbortController().signal;

/** The fixture tree is not OpenPAI v1.8.0's, so every service command allows it (and warns). */
const tree = (path = FIXTURE) => ['--openpai-src', path, '--allow-unknown-openpai'];

await describeEachK8sVersion("OpenPAI's services from an OpenPAI-shaped tree", (k8sVersion) => {
  let env: K8sTestEnv;
  let kube: KubeApi;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  beforeAll(async () => {
    env = await startK8sTestEnv({
      version: k8sVersion,
      nodes: [
        { name: 'pai-master-01', cpu: '24', memory: '60Gi' },
        { name: 'pai-gpu-01', cpu: '24', memory: '220Gi', gpu: 4 },
        // The admin opted this node out of node-exporter: the deploy-rule keeps its pod away.
        { name: 'pai-gpu-02', cpu: '24', memory: '220Gi', gpu: 4, labels: { 'no-nodeexporter': 'true' } },
        { name: 'pai-cpu-01', cpu: '48', memory: '120Gi' },
      ],
    });
    kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    cli = (args) => runCli([...args, '--kubeconfig', env.kubeconfigPath], { env: { PAI_DEPLOY_HOME: dir } });
    for (const command of [
      ['cluster', 'label', ...EXAMPLE],
      ['config', 'push', ...EXAMPLE],
    ]) {
      const result = await cli(command);
      expect(result.code, result.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  const get = (apiVersion: string, kind: string, name: string, namespace?: string) =>
    kube.get({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) }, signal);
  const names = async (apiVersion: string, kind: string, namespace = 'default') =>
    (await kube.list({ apiVersion, kind, namespace }, signal)).map((object) => object.metadata.name).sort();
  const cronJobVersion = k8sVersion === '1.15' ? 'batch/v1beta1' : 'batch/v1';

  it('plans the tree in layers, docker-cache skipped by its gate, unknown prerequisites ignored', async () => {
    // The plan contacts no cluster: no --kubeconfig.
    const plan = await runCli(['service', 'plan', ...EXAMPLE, ...tree(), '--format', 'json'], {
      env: { PAI_DEPLOY_HOME: dir },
    });
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      layers: [['cluster-configuration'], ['frameworkcontroller', 'node-exporter', 'watchdog'], ['fixture-jobs']],
      skipped: [{ name: 'docker-cache', reason: expect.stringContaining('docker-cache.enabled') }],
    });
    expect(plan.stderr).toContain('UNVERIFIED OPENPAI TREE');
  });

  it('a dry run says what it would create and creates nothing', async () => {
    const before = await names('apps/v1', 'DaemonSet');
    const dry = await cli(['service', 'start', ...EXAMPLE, ...tree(), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/daemonset default\/node-exporter would be created/);
    expect(dry.stdout).toMatch(/deployment default\/watchdog would be created/);
    expect(await names('apps/v1', 'DaemonSet')).toEqual(before);
    expect(await get('v1', 'Secret', 'job-ssh-secret', 'default')).toBeUndefined();
  });

  it('starts every service until ready: labels, affinity, namespaces and API versions as declared', async () => {
    const start = await cli(['service', 'start', ...EXAMPLE, ...tree(), '--timeout', '90s']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/node-exporter: started/);
    expect(start.stdout).toMatch(/docker-cache: skipped/);

    const exporter = (await get('apps/v1', 'DaemonSet', 'node-exporter', 'default')) as KubeObject & {
      spec: { template: { spec: { affinity: unknown } } };
      status: { desiredNumberScheduled: number; numberReady: number };
    };
    expect(exporter.spec.template.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'no-nodeexporter', operator: 'NotIn', values: ['true'] }] }],
        },
      },
    });
    // Every node but the opted-out one, and all of those ready (what start waited for).
    expect(exporter.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3 });

    const watchdogPods = await kube.list(
      { apiVersion: 'v1', kind: 'Pod', namespace: 'default', labelSelector: 'app=watchdog' },
      signal,
    );
    expect(watchdogPods.map((pod) => (pod['spec'] as { nodeName: string }).nodeName)).toEqual(['pai-master-01']);
    const env0 = (watchdogPods[0]!['spec'] as { containers: Array<{ env: Array<{ name: string; value: string }> }> })
      .containers[0]!.env;
    // Rendered with Jinja2's semantics: Python's str() of a list and of a bool.
    expect(env0.find((entry) => entry.name === 'ROLES')?.value).toBe("['pai-master', 'pai-worker']");
    // k8s-rbac is "true" in the rendered services-configuration.yaml.
    expect(env0.find((entry) => entry.name === 'RBAC')?.value).toBe('True');

    // RBAC written as v1beta1 is served as v1 on both servers; the CronJob at what each serves.
    expect(await get('rbac.authorization.k8s.io/v1', 'ClusterRole', 'watchdog-role')).toBeDefined();
    expect(await get(cronJobVersion, 'CronJob', 'fixture-nightly', 'default')).toBeDefined();
    const job = (await get('batch/v1', 'Job', 'fixture-once', 'default')) as KubeObject & {
      status: { succeeded?: number };
    };
    expect(job.status.succeeded).toBe(1);
    expect(await get('apps/v1', 'StatefulSet', 'frameworkcontroller-sts', 'default')).toMatchObject({
      status: { readyReplicas: 1 },
    });

    // cluster-configuration: its ConfigMaps from folders, the pull secret in both namespaces, the job key, the
    // namespace.
    const hosts = (await get('v1', 'ConfigMap', 'host-configuration', 'default')) as KubeObject & {
      data: Record<string, string>;
    };
    expect(hosts.data['host-configuration.yaml']).toContain('pai-gpu-02:');
    for (const namespace of ['default', 'kube-system'])
      expect(await get('v1', 'Secret', 'pai-secret', namespace), namespace).toBeDefined();
    expect(await get('v1', 'Secret', 'job-ssh-secret', 'default')).toBeDefined();
    expect(await get('v1', 'Namespace', 'pai-storage')).toBeDefined();
  }, 180_000);

  it('a second start changes nothing, and keeps the job SSH key', async () => {
    const key = await get('v1', 'Secret', 'job-ssh-secret', 'default');
    const again = await cli(['service', 'start', ...EXAMPLE, ...tree(), '--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    const run = JSON.parse(again.stdout) as { outcomes: Array<{ service: string; outcome: string }> };
    expect(run.outcomes.filter((outcome) => outcome.outcome === 'changed')).toEqual([]);
    expect((await get('v1', 'Secret', 'job-ssh-secret', 'default'))?.metadata.resourceVersion).toBe(
      key?.metadata.resourceVersion,
    );
  }, 120_000);

  it('status says every service is ready', async () => {
    const status = await cli(['service', 'status', ...EXAMPLE, ...tree(), '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const services = JSON.parse(status.stdout) as Array<{ service: string; state: string }>;
    expect(Object.fromEntries(services.map((service) => [service.service, service.state]))).toEqual({
      'docker-cache': 'skipped',
      'cluster-configuration': 'no-workloads',
      frameworkcontroller: 'ready',
      'node-exporter': 'ready',
      watchdog: 'ready',
      'fixture-jobs': 'ready',
    });
  }, 60_000);

  it('a manifest the server rejects is reported with the service, kind and name', async () => {
    const broken = join(dir, `broken-${k8sVersion}`);
    cpSync(FIXTURE, broken, { recursive: true });
    const template = join(broken, 'src/watchdog/deploy/watchdog.yaml.template');
    writeFileSync(template, readFileSync(template, 'utf8').replace('replicas: 1', 'replicas: -1'));
    const start = await cli(['service', 'start', ...EXAMPLE, ...tree(broken), '-n', 'watchdog']);
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(
      /service watchdog: apply watchdog.yaml: deployment (default\/)?watchdog: .*422 Invalid/,
    );
    expect(start.stderr).toMatch(/replicas/);
  }, 60_000);

  it('a pod that cannot be scheduled is reported with the scheduler’s reason', async () => {
    const stuck = join(dir, `stuck-${k8sVersion}`);
    cpSync(FIXTURE, stuck, { recursive: true });
    mkdirSync(join(stuck, 'src/fixture-stuck/deploy'), { recursive: true });
    writeFileSync(join(stuck, 'src/fixture-stuck/deploy/service.yaml'), 'template-list: [stuck.yaml]\n');
    writeFileSync(
      join(stuck, 'src/fixture-stuck/deploy/stuck.yaml.template'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: fixture-stuck}',
        'spec:',
        '  selector: {matchLabels: {app: fixture-stuck}}',
        '  template:',
        '    metadata: {labels: {app: fixture-stuck}}',
        '    spec:',
        '      nodeSelector: {pai-nowhere: "true"}',
        '      containers: [{name: c, image: busybox}]',
        '',
      ].join('\n'),
    );
    const start = await cli(['service', 'start', ...EXAMPLE, ...tree(stuck), '-n', 'fixture-stuck', '--timeout', '8s']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('service fixture-stuck');
    expect(start.stderr).toMatch(/deployment default\/fixture-stuck/);
    expect(start.stderr).toMatch(/0\/4 nodes are available|didn't match (Pod's )?node (selector|affinity)/);
    const removed = await cli(['service', 'delete', ...EXAMPLE, ...tree(stuck), '-n', 'fixture-stuck', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
  }, 90_000);

  it('stop removes the workloads in reverse order and keeps the data; delete removes the rest', async () => {
    const stop = await cli(['service', 'stop', ...EXAMPLE, ...tree(), '--format', 'json']);
    expect(stop.code, stop.stderr).toBe(0);
    const run = JSON.parse(stop.stdout) as { plan: { layers: string[][] } };
    expect(run.plan.layers).toEqual([
      ['fixture-jobs'],
      ['frameworkcontroller', 'node-exporter', 'watchdog'],
      ['cluster-configuration'],
    ]);
    expect(await get('apps/v1', 'DaemonSet', 'node-exporter', 'default')).toBeUndefined();
    expect(await get('apps/v1', 'Deployment', 'watchdog', 'default')).toBeUndefined();
    expect(await get('v1', 'ConfigMap', 'host-configuration', 'default')).toBeUndefined();
    expect(
      await kube.list(
        { apiVersion: 'v1', kind: 'Pod', namespace: 'default', labelSelector: 'app=node-exporter' },
        signal,
      ),
    ).toEqual([]);
    // Kept: the job key (running jobs hold it) and the storage namespace.
    expect(await get('v1', 'Secret', 'job-ssh-secret', 'default')).toBeDefined();

    const refused = await cli(['service', 'delete', ...EXAMPLE, ...tree()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    const deleted = await cli(['service', 'delete', ...EXAMPLE, ...tree(), '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await get('v1', 'Secret', 'job-ssh-secret', 'default')).toBeUndefined();
    const storage = await get('v1', 'Namespace', 'pai-storage');
    expect(storage === undefined || (storage['status'] as { phase?: string }).phase === 'Terminating').toBe(true);
  }, 180_000);
});
