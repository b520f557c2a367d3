import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ClusterSpec, Layout } from '../../src/model/cluster.js';
import {
  computeHivedConfig,
  HivedConfigError,
  hivedConfigYaml,
  withHivedConfig,
  type HivedComputation,
  type HivedComputed,
  type HivedProblem,
  type LiveContainer,
  type LiveNode,
  type LivePod,
} from '../../src/openpai/hived-config.js';
import { Exact, parseKubeQuantity } from '../../src/openpai/kube-quantity.js';
import { renderServicesConfiguration } from '../../src/render/cluster-cfg.js';
import { tempDir, validate } from '../support/fixtures.js';
import { describeWithInfra } from '../support/infra.js';
import { pyyaml, pyyamlProbe } from '../support/pyyaml.js';

const dir = tempDir('pai-deploy-hived-');

// Three skus, in order of first appearance among the workers: v100 (default), cpu-big (vc1), mi50 (vc2).
const LAYOUT = `machine-sku:
  master-sku:
    mem: 16Gi
    cpu: {vcore: 8}
  v100:
    mem: 220Gi
    cpu: {vcore: 24}
    computing-device: {type: nvidia.com/gpu, model: V100, count: 4}
  cpu-big:
    mem: 125Gi
    cpu: {vcore: 48}
  mi50:
    mem: 64Gi
    cpu: {vcore: 16}
    computing-device: {type: amd.com/gpu, model: MI50, count: 2}
machine-list:
  - {hostname: master-01, hostip: 10.0.0.1, machine-type: master-sku, pai-master: "true"}
  - {hostname: gpu-01, hostip: 10.0.0.11, machine-type: v100, pai-worker: "true"}
  - {hostname: cpu-01, hostip: 10.0.0.21, machine-type: cpu-big, pai-worker: "true"}
  - {hostname: gpu-02, hostip: 10.0.0.12, machine-type: v100, pai-worker: "true"}
  - {hostname: amd-01, hostip: 10.0.0.31, machine-type: mi50, pai-worker: "true"}
`;
const CONFIG = `user: pai
password: secret-pass-123
docker_image_tag: v1.8.0
`;

async function spec(config = CONFIG, layout = LAYOUT, expectedErrors: string[] = []): Promise<ClusterSpec> {
  const result = await validate(dir, layout, config);
  expect(result.errors.map((finding) => finding.code)).toEqual(expectedErrors);
  return result.input!;
}

const node = (name: string, allocatable: Record<string, string>): LiveNode => ({ name, allocatable });

function pod(
  name: string,
  nodeName: string | undefined,
  containers: Array<Partial<LiveContainer>>,
  more: Partial<Omit<LivePod, 'initContainers'>> & { initContainers?: Array<Partial<LiveContainer>> } = {},
): LivePod {
  const full = (c: Partial<LiveContainer>): LiveContainer => ({ requests: {}, limits: {}, ...c });
  return {
    namespace: 'kube-system',
    name,
    labels: {},
    nodeName,
    phase: 'Running',
    containers: containers.map(full),
    initContainers: (more.initContainers ?? []).map(full),
    ...(more.overhead ? { overhead: more.overhead } : {}),
    ...(more.namespace ? { namespace: more.namespace } : {}),
    ...(more.labels ? { labels: more.labels } : {}),
    ...(more.annotations ? { annotations: more.annotations } : {}),
    ...(more.phase ? { phase: more.phase } : {}),
  };
}

const req = (requests: Record<string, string>): Partial<LiveContainer> => ({ requests });

/**
 * The live cluster, with the numbers worked out by hand (system reserve: CPU min(1%, 0.5), memory min(1%, 1024 MiB)):
 *
 * gpu-01  cpu 24, memory 220Gi = 225280 MiB; pods: calico 250m/64Mi + kube-proxy 100m/100Mi + ml/cache 16Gi
 *         reserve 0.24 CPU, 1024 MiB  ⇒ free CPU 24 - 0.35 - 0.24 = 23.41, memory 225280 - 16548 - 1024 = 207708
 * gpu-02  cpu 23800m, memory 230000000Ki = 224609.375 MiB; pods: default/big 2 CPU / 8Gi
 *         reserve 0.238 CPU, 1024 MiB ⇒ free CPU 23.8 - 2 - 0.238 = 21.562, memory 224609.375 - 8192 - 1024 = 215393.375
 *   v100: min CPU 21.562 (gpu-02), min memory 207708 (gpu-01) ⇒ per GPU cpu floor(21.562/4) = floor(5.39) = 5,
 *         memory floor(207708/4) = 51927 Mi
 * cpu-01  cpu 47500m, memory 125Gi = 128000 MiB; pods: 1500m/2Gi running, a Succeeded 40-CPU and a Failed 1Ti pod
 *         reserve 0.475 CPU, 1024 MiB ⇒ free CPU 47.5 - 1.5 - 0.475 = 45.525, memory 128000 - 2048 - 1024 = 124928
 *   cpu-big: cpu floor(45.525) = 45 cells of 1 CPU with memory floor(124928 / 45.525) = floor(2744.16) = 2744 Mi
 * amd-01  cpu 16, memory 64Gi = 65536 MiB, no pods; reserve 0.16 CPU, 655.36 MiB
 *         ⇒ free CPU 15.84, memory 64880.64 ⇒ per GPU cpu floor(7.92) = 7, memory floor(32440.32) = 32440 Mi
 */
function liveNodes(): LiveNode[] {
  return [
    node('master-01', { cpu: '8', memory: '16Gi', pods: '110' }),
    node('gpu-01', { cpu: '24', memory: '220Gi', 'nvidia.com/gpu': '4', pods: '110' }),
    node('gpu-02', { cpu: '23800m', memory: '230000000Ki', 'nvidia.com/gpu': '4' }),
    node('cpu-01', { cpu: '47500m', memory: '125Gi' }),
    node('amd-01', { cpu: '16', memory: '64Gi', 'amd.com/gpu': '2' }),
  ];
}

function livePods(): LivePod[] {
  return [
    pod('calico-node-a', 'gpu-01', [req({ cpu: '250m', memory: '64Mi' })]),
    pod('kube-proxy-a', 'gpu-01', [req({ cpu: '100m', memory: '100Mi' })]),
    pod('cache', 'gpu-01', [req({ memory: '16Gi' })], { namespace: 'ml' }),
    pod('big', 'gpu-02', [req({ cpu: '2', memory: '8Gi' })], { namespace: 'default' }),
    pod('batch', 'cpu-01', [req({ cpu: '1500m', memory: '2Gi' })], { namespace: 'default' }),
    pod('done', 'cpu-01', [req({ cpu: '40' })], { phase: 'Succeeded' }),
    pod('crashed', 'cpu-01', [req({ memory: '1Ti' })], { phase: 'Failed' }),
    pod('apiserver', 'master-01', [req({ cpu: '7' })]),
  ];
}

function computed(result: HivedComputation): HivedComputed {
  if (!result.enabled) throw new Error(`expected HiveD enabled, got: ${result.reason}`);
  return result;
}

function problemsOf(run: () => unknown): HivedProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof HivedConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a HivedConfigError');
}

function errorOf(run: () => unknown): HivedConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof HivedConfigError) return error;
    throw error;
  }
  throw new Error('expected a HivedConfigError');
}

describe('computeHivedConfig', () => {
  it('sizes one cell type per machine-type from the smallest free resources of its nodes', async () => {
    const { layout, config } = await spec();
    expect(config.qosSwitch).toBe(false);
    const result = computed(computeHivedConfig(layout, config, liveNodes(), livePods()));
    expect(result.config).toEqual({
      physicalCluster: {
        skuTypes: {
          v100: { gpu: 1, cpu: 5, memory: '51927Mi' },
          'cpu-big': { cpu: 1, memory: '2744Mi' },
          mi50: { gpu: 1, cpu: 7, memory: '32440Mi' },
        },
        cellTypes: {
          'v100-NODE': { childCellType: 'v100', childCellNumber: 4, isNodeLevel: true },
          'v100-NODE-POOL': { childCellType: 'v100-NODE', childCellNumber: 2 },
          'cpu-big-NODE': { childCellType: 'cpu-big', childCellNumber: 45, isNodeLevel: true },
          'cpu-big-NODE-POOL': { childCellType: 'cpu-big-NODE', childCellNumber: 1 },
          'mi50-NODE': { childCellType: 'mi50', childCellNumber: 2, isNodeLevel: true },
          'mi50-NODE-POOL': { childCellType: 'mi50-NODE', childCellNumber: 1 },
        },
        physicalCells: [
          { cellType: 'v100-NODE-POOL', cellChildren: [{ cellAddress: 'gpu-01' }, { cellAddress: 'gpu-02' }] },
          { cellType: 'cpu-big-NODE-POOL', cellChildren: [{ cellAddress: 'cpu-01' }] },
          { cellType: 'mi50-NODE-POOL', cellChildren: [{ cellAddress: 'amd-01' }] },
        ],
      },
      virtualClusters: {
        default: { virtualCells: [{ cellType: 'v100-NODE-POOL.v100-NODE', cellNumber: 2 }] },
        vc1: { virtualCells: [{ cellType: 'cpu-big-NODE-POOL.cpu-big-NODE', cellNumber: 1 }] },
        vc2: { virtualCells: [{ cellType: 'mi50-NODE-POOL.mi50-NODE', cellNumber: 1 }] },
      },
    });
    // Key order is OpenPAI's (the YAML is written in this order).
    expect(Object.keys(result.config.physicalCluster.skuTypes)).toEqual(['v100', 'cpu-big', 'mi50']);
    expect(result.warnings).toEqual([]);
  });

  it('explains every number per sku and per node', async () => {
    const { layout, config } = await spec();
    const result = computed(computeHivedConfig(layout, config, liveNodes(), livePods()));
    expect(result.skus.map((sku) => [sku.sku, sku.virtualCluster, sku.cellsPerNode])).toEqual([
      ['v100', 'default', 4],
      ['cpu-big', 'vc1', 45],
      ['mi50', 'vc2', 2],
    ]);
    const [v100, cpuBig] = result.skus;
    expect(v100!.device).toEqual({ type: 'nvidia.com/gpu', count: 4 });
    expect(v100!.minimum).toEqual({ cpu: 21.562, cpuNode: 'gpu-02', memoryMiB: 207708, memoryNode: 'gpu-01' });
    expect(v100!.cell).toEqual({ gpu: 1, cpu: 5, memoryMiB: 51927 });
    expect(v100!.nodes[0]).toEqual({
      name: 'gpu-01',
      allocatable: { cpu: 24, memoryMiB: 225280, devices: 4 },
      requested: { cpu: 0.35, memoryMiB: 16548, devices: 0 },
      pods: [
        { namespace: 'kube-system', name: 'calico-node-a', cpu: 0.25, memoryMiB: 64, devices: 0 },
        { namespace: 'kube-system', name: 'kube-proxy-a', cpu: 0.1, memoryMiB: 100, devices: 0 },
        { namespace: 'ml', name: 'cache', cpu: 0, memoryMiB: 16384, devices: 0 },
      ],
      hivedPods: 0,
      daemonReserve: { cpu: 0, memoryMiB: 0, counted: [], alreadyRunning: [] },
      reserved: { cpu: 0.24, memoryMiB: 1024 },
      free: { cpu: 23.41, memoryMiB: 207708 },
    });
    expect(v100!.nodes[1]!.allocatable).toEqual({ cpu: 23.8, memoryMiB: 224609.375, devices: 4 });
    expect(v100!.nodes[1]!.reserved).toEqual({ cpu: 0.238, memoryMiB: 1024 });
    expect(v100!.nodes[1]!.free).toEqual({ cpu: 21.562, memoryMiB: 215393.375 });
    // The CPU sku: Succeeded and Failed pods hold nothing.
    expect(cpuBig!.device).toBeUndefined();
    expect(cpuBig!.nodes[0]!.requested).toEqual({ cpu: 1.5, memoryMiB: 2048 });
    expect(cpuBig!.nodes[0]!.pods.map((p) => p.name)).toEqual(['batch']);
    expect(cpuBig!.nodes[0]!.free).toEqual({ cpu: 45.525, memoryMiB: 124928 });
    expect(cpuBig!.cell).toEqual({ cpu: 1, memoryMiB: 2744 });
    // The result is plain data for --format json.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('reserves memory for the qos daemons with qos-switch, except those already running on the node', async () => {
    const { layout, config } = await spec(`${CONFIG}qos-switch: "true"\n`);
    expect(config.qosSwitch).toBe(true);
    const pods = [
      ...livePods(),
      // OpenPAI's job-exporter already runs on gpu-02: its 512Mi are in the node's requests, not reserved again.
      pod('job-exporter-x1', 'gpu-02', [req({ memory: '512Mi' })], {
        namespace: 'default',
        labels: { app: 'job-exporter' },
      }),
      // Another project's node-exporter (not OpenPAI's: other namespace) does not stand in for OpenPAI's.
      pod('node-exporter-m', 'gpu-02', [req({ memory: '30Mi' })], {
        namespace: 'monitoring',
        labels: { app: 'node-exporter' },
      }),
    ];
    const result = computed(computeHivedConfig(layout, config, liveNodes(), pods));
    const [v100, cpuBig, mi50] = result.skus;
    // gpu-01: 207708 - (128 + 512 + 256) = 206812 MiB ⇒ floor(206812 / 4) = 51703 Mi per GPU.
    expect(v100!.nodes[0]!.daemonReserve).toEqual({
      cpu: 0,
      memoryMiB: 896,
      counted: ['node-exporter', 'job-exporter', 'log-manager'],
      alreadyRunning: [],
    });
    expect(v100!.nodes[0]!.free).toEqual({ cpu: 23.41, memoryMiB: 206812 });
    // gpu-02: requests 8192 + 512 + 30 = 8734, daemons 128 + 256 = 384 ⇒ 224609.375 - 8734 - 384 - 1024 = 214467.375.
    expect(v100!.nodes[1]!.daemonReserve).toEqual({
      cpu: 0,
      memoryMiB: 384,
      counted: ['node-exporter', 'log-manager'],
      alreadyRunning: ['job-exporter'],
    });
    expect(v100!.nodes[1]!.requested.memoryMiB).toBe(8734);
    expect(v100!.nodes[1]!.free.memoryMiB).toBe(214467.375);
    expect(result.config.physicalCluster.skuTypes['v100']).toEqual({ gpu: 1, cpu: 5, memory: '51703Mi' });
    // cpu-01: 124928 - 896 = 124032 ⇒ floor(124032 / 45.525) = floor(2724.48) = 2724.
    expect(cpuBig!.cell).toEqual({ cpu: 1, memoryMiB: 2724 });
    // amd-01: 64880.64 - 896 = 63984.64 ⇒ floor(31992.32) = 31992.
    expect(mi50!.cell).toEqual({ gpu: 1, cpu: 7, memoryMiB: 31992 });
    expect(result.qosSwitch).toBe(true);
  });

  it('reserves the rest of a running daemon started without its qos requests (deployed while qos-switch was off)', async () => {
    const { layout, config } = await spec(`${CONFIG}qos-switch: "true"\n`);
    const pods = [
      ...livePods(),
      // node-exporter runs on gpu-01 requesting nothing; restarted with qos on it will request 128Mi.
      pod('node-exporter-a', 'gpu-01', [req({})], { namespace: 'default', labels: { app: 'node-exporter' } }),
      // job-exporter runs on gpu-02 with 100Mi of its 512Mi: 412Mi are still to come.
      pod('job-exporter-b', 'gpu-02', [req({ memory: '100Mi' })], {
        namespace: 'default',
        labels: { app: 'job-exporter' },
      }),
    ];
    const [v100] = computed(computeHivedConfig(layout, config, liveNodes(), pods)).skus;
    expect(v100!.nodes[0]!.daemonReserve).toEqual({
      cpu: 0,
      memoryMiB: 896,
      counted: ['node-exporter', 'job-exporter', 'log-manager'],
      alreadyRunning: ['node-exporter'],
    });
    // 128 (node-exporter) + 412 (the rest of job-exporter's 512) + 256 (log-manager).
    expect(v100!.nodes[1]!.daemonReserve).toEqual({
      cpu: 0,
      memoryMiB: 796,
      counted: ['node-exporter', 'job-exporter', 'log-manager'],
      alreadyRunning: ['job-exporter'],
    });
  });

  it("counts a pod's effective request: init-container maximum, sidecars, limits as requests, overhead", async () => {
    const { layout, config } = await spec();
    const on = 'cpu-01';
    const pods = [
      // max(0.1 + 0.2, 0.5) = 0.5 CPU; max(100 + 50, 10) = 150 MiB.
      pod('init-max', on, [req({ cpu: '100m', memory: '100Mi' }), req({ cpu: '200m', memory: '50Mi' })], {
        initContainers: [req({ cpu: '500m', memory: '10Mi' })],
      }),
      // Only limits: they are its requests (1 CPU, 1024 MiB).
      pod('limits-only', on, [{ limits: { cpu: '1', memory: '1Gi' } }]),
      // A request wins over the limit: 0.25 CPU, and memory 256Mi from its limit alone.
      pod('both', on, [{ requests: { cpu: '250m' }, limits: { cpu: '2', memory: '256Mi' } }]),
      // Sidecar 0.1 runs with the app (0.2) and with the later init container (1): max(0.3, 1.1) = 1.1 CPU.
      pod('sidecar', on, [req({ cpu: '200m' })], {
        initContainers: [{ requests: { cpu: '100m' }, restartPolicy: 'Always' }, req({ cpu: '1' })],
      }),
      // Pending but bound: it holds its request (0.05).
      pod('pending', on, [req({ cpu: '50m' })], { phase: 'Pending' }),
      // Overhead on top: 0.1 + 0.25 = 0.35 CPU.
      pod('kata', on, [req({ cpu: '100m' })], { overhead: { cpu: '250m', memory: '0' } }),
      // Not counted: finished, not yet bound, on another node.
      pod('finished', on, [req({ cpu: '8' })], { phase: 'Succeeded' }),
      pod('failed', on, [req({ cpu: '8' })], { phase: 'Failed' }),
      pod('unbound', undefined, [req({ cpu: '8' })], { phase: 'Pending' }),
      pod('elsewhere', 'gpu-01', [req({ cpu: '8' })]),
      // Requests nothing: counted, but not listed.
      pod('idle', on, [{}]),
      // A job HiveD placed in one of its cells: not a claim on the node outside the cells.
      pod('job-1', on, [req({ cpu: '16', memory: '64Gi' })], {
        namespace: 'default',
        annotations: { 'hivedscheduler.microsoft.com/pod-scheduling-spec': 'virtualCluster: vc1\n' },
      }),
    ];
    const result = computed(computeHivedConfig(layout, config, liveNodes(), pods));
    const cpu01 = result.skus[1]!.nodes[0]!;
    expect(cpu01.pods.map((p) => [p.name, p.cpu, p.memoryMiB])).toEqual([
      ['init-max', 0.5, 150],
      ['limits-only', 1, 1024],
      ['both', 0.25, 256],
      ['sidecar', 1.1, 0],
      ['pending', 0.05, 0],
      ['kata', 0.35, 0],
    ]);
    // 0.5 + 1 + 0.25 + 1.1 + 0.05 + 0.35 = 3.25 CPU; 150 + 1024 + 256 = 1430 MiB.
    expect(cpu01.requested).toEqual({ cpu: 3.25, memoryMiB: 1430 });
    expect(cpu01.hivedPods).toBe(1);
    // Free: 47.5 - 3.25 - 0.475 = 43.775 CPU; 128000 - 1430 - 1024 = 125546 MiB.
    expect(cpu01.free).toEqual({ cpu: 43.775, memoryMiB: 125546 });
    // 43 cells of floor(125546 / 43.775) = floor(2867.98) = 2867 Mi (43.775 × 2868 = 125546.7 would not fit).
    expect(result.config.physicalCluster.skuTypes['cpu-big']).toEqual({ cpu: 1, memory: '2867Mi' });
    expect(result.config.physicalCluster.cellTypes['cpu-big-NODE']!.childCellNumber).toBe(43);
  });

  it('floors exact quotients exactly (4 CPUs for 4 GPUs is 1 each, 7.8 × 0.01 is 0.078)', async () => {
    const { layout, config } = await spec();
    // 4.04 CPUs - 1% reserve (0.0404) = 3.9996 for 4 GPUs ⇒ floor(0.9999) = 0: refused.
    const nodes = liveNodes().map((n) =>
      n.name === 'gpu-01' || n.name === 'gpu-02' ? node(n.name, { ...n.allocatable, cpu: '4040m' }) : n,
    );
    expect(problemsOf(() => computeHivedConfig(layout, config, nodes, [])).map((p) => p.code)).toEqual([
      'hived.cpu-zero',
    ]);
    // 4.1 - 0.041 (reserve) - 0.059 (pods) is exactly 4 ⇒ 1 CPU per GPU (in doubles it is 3.9999999999999996 ⇒ 0).
    const fitting = liveNodes().map((n) =>
      n.name === 'gpu-01' || n.name === 'gpu-02' ? node(n.name, { ...n.allocatable, cpu: '4100m' }) : n,
    );
    const pods = ['gpu-01', 'gpu-02'].map((on) => pod(`p-${on}`, on, [req({ cpu: '59m' })]));
    const result = computed(computeHivedConfig(layout, config, fitting, pods));
    expect(result.skus[0]!.minimum.cpu).toBe(4);
    expect(result.config.physicalCluster.skuTypes['v100']!.cpu).toBe(1);
  });

  it('is skipped when enable_hived_scheduler is false', async () => {
    // (Two device types need HiveD: the layout rules say so, and the spec is still built.)
    const { layout, config } = await spec(`${CONFIG}enable_hived_scheduler: false\n`, LAYOUT, [
      'multiple-device-types',
    ]);
    expect(config.hivedScheduler).toBe(false);
    expect(computeHivedConfig(layout, config, [], [])).toEqual({
      enabled: false,
      reason: 'enable_hived_scheduler is false in config.yaml',
    });
  });

  it('warns about more devices than layout.yaml says and devices held by other pods', async () => {
    const { layout, config } = await spec();
    const nodes = liveNodes().map((n) =>
      n.name === 'gpu-02' ? node(n.name, { ...n.allocatable, 'nvidia.com/gpu': '8' }) : n,
    );
    const pods = [...livePods(), pod('notebook', 'gpu-01', [req({ 'nvidia.com/gpu': '1' })], { namespace: 'lab' })];
    const result = computed(computeHivedConfig(layout, config, nodes, pods));
    expect(result.warnings).toEqual([
      'on node "gpu-01", 1 nvidia.com/gpu are requested by pods HiveD does not manage (lab/notebook); HiveD still counts them as its own',
      'node "gpu-02" has 8 nvidia.com/gpu allocatable but layout.yaml says 4 for machine-type "v100": HiveD will use 4 of them',
    ]);
    expect(result.skus[0]!.nodes[0]!.requested.devices).toBe(1);
    expect(result.config.physicalCluster.cellTypes['v100-NODE']!.childCellNumber).toBe(4);
  });
});

describe('computeHivedConfig refuses', () => {
  it('a node with fewer devices allocatable than layout.yaml says, naming the node and both numbers', async () => {
    const { layout, config } = await spec();
    const nodes = liveNodes().map((n) => {
      if (n.name === 'gpu-02') return node(n.name, { ...n.allocatable, 'nvidia.com/gpu': '3' });
      if (n.name === 'amd-01') return node(n.name, { cpu: '16', memory: '64Gi' }); // no device plugin at all
      return n;
    });
    const error = errorOf(() => computeHivedConfig(layout, config, nodes, livePods()));
    expect(error.problems.map((p) => [p.code, p.sku, p.node])).toEqual([
      ['hived.devices-short', 'v100', 'gpu-02'],
      ['hived.devices-short', 'mi50', 'amd-01'],
    ]);
    expect(error.problems[0]!.message).toBe(
      'node "gpu-02" (machine-type "v100") has 3 nvidia.com/gpu allocatable, but layout.yaml says computing-device.count: 4',
    );
    expect(error.problems[1]!.message).toContain('has 0 amd.com/gpu allocatable');
    expect(error.message).toMatch(/^cannot compute the HiveD scheduler configuration \(2 problems\): node "gpu-02"/);
    expect(error.hint).toContain('kubectl describe node gpu-02');
    expect(error.exitCode).toBe(1);
  });

  it('a worker that is not a Kubernetes node, suggesting a close name', async () => {
    const { layout, config } = await spec();
    const nodes = liveNodes().map((n) => (n.name === 'gpu-02' ? { ...n, name: 'gpu-2' } : n));
    const error = errorOf(() => computeHivedConfig(layout, config, nodes, livePods()));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ code: 'hived.node-missing', sku: 'v100', node: 'gpu-02' });
    expect(error.message).toBe(
      'cannot compute the HiveD scheduler configuration: worker "gpu-02" (machine-type "v100") is not a node of the Kubernetes cluster (there is a node "gpu-2")',
    );
    expect(error.hint).toContain('must equal the layout hostname');
  });

  it('a layout without workers', async () => {
    const { layout, config } = await spec();
    const noWorkers: Layout = { ...layout, machines: layout.machines.map((m) => ({ ...m, worker: false })) };
    const problems = problemsOf(() => computeHivedConfig(noWorkers, config, liveNodes(), []));
    expect(problems).toEqual([expect.objectContaining({ code: 'hived.no-workers' })]);
    expect(problems[0]!.hint).toContain('pai-worker: "true"');
  });

  it('a device cell with 0 CPUs, naming the node with the least CPU, its numbers and its largest requests', async () => {
    const { layout, config } = await spec();
    const nodes = liveNodes().map((n) => (n.name === 'gpu-02' ? node(n.name, { ...n.allocatable, cpu: '6' }) : n));
    // gpu-02: 6 - 2 (default/big) - 0.06 = 3.94 CPUs for 4 GPUs.
    const error = errorOf(() => computeHivedConfig(layout, config, nodes, livePods()));
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem).toMatchObject({ code: 'hived.cpu-zero', sku: 'v100', node: 'gpu-02' });
    expect(problem!.message).toBe(
      'machine-type "v100" would get a HiveD cell with 0 CPUs per nvidia.com/gpu device: node "gpu-02" has 3.94 CPUs left ' +
        'for its 4 devices (allocatable 6 - requested by pods 2 - qos daemons 0 - system reserve 0.06)',
    );
    expect(problem!.hint).toContain('Free CPU on gpu-02 (largest requests: default/big 2 CPU)');
    expect(problem!.hint).toContain('enable_hived_scheduler: false');
  });

  it('a CPU cell of 0 CPUs, and a cell without memory', async () => {
    const { layout, config } = await spec();
    const nodes = liveNodes().map((n) => {
      // cpu-01: 1 - 0.01 = 0.99 CPUs ⇒ 0 whole CPUs.
      if (n.name === 'cpu-01') return node(n.name, { cpu: '1', memory: '125Gi' });
      // amd-01: 1024 - 1020 (pod) - 10.24 = -6.24 MiB.
      if (n.name === 'amd-01') return node(n.name, { ...n.allocatable, memory: '1Gi' });
      return n;
    });
    const pods = [pod('hog', 'amd-01', [req({ memory: '1020Mi' })])];
    const problems = problemsOf(() => computeHivedConfig(layout, config, nodes, pods));
    expect(problems.map((p) => [p.code, p.sku, p.node])).toEqual([
      ['hived.cpu-zero', 'cpu-big', 'cpu-01'],
      ['hived.memory-zero', 'mi50', 'amd-01'],
    ]);
    expect(problems[0]!.message).toBe(
      'machine-type "cpu-big" would get HiveD node cells of 0 CPUs: node "cpu-01" has 0.99 CPUs left ' +
        '(allocatable 1 - requested by pods 0 - qos daemons 0 - system reserve 0.01)',
    );
    expect(problems[1]!.message).toBe(
      'machine-type "mi50" would get a HiveD cell with no memory per amd.com/gpu device: node "amd-01" has -6.2 MiB left ' +
        '(allocatable 1024 MiB - requested by pods 1020 MiB - qos daemons 0 MiB - system reserve 10.2 MiB)',
    );
    expect(problems[1]!.hint).toContain('kube-system/hog 1020 MiB');
  });

  it('sku names HiveD cannot address, and names that clash', async () => {
    const { layout, config } = await spec();
    const renamed = (from: string, to: string): Layout => ({
      ...layout,
      skus: new Map([...layout.skus].map(([k, v]) => (k === from ? [to, { ...v, name: to }] : [k, v]))),
      machines: layout.machines.map((m) => (m.machineType === from ? { ...m, machineType: to } : m)),
    });
    const dotted = problemsOf(() => computeHivedConfig(renamed('mi50', 'mi.50'), config, liveNodes(), []));
    expect(dotted).toEqual([expect.objectContaining({ code: 'hived.sku-name', sku: 'mi.50' })]);
    const clash = problemsOf(() => computeHivedConfig(renamed('mi50', 'v100-NODE'), config, liveNodes(), []));
    expect(clash.map((p) => p.message)).toEqual([
      'machine-types "v100" and "v100-NODE" both give a HiveD type the name "v100-NODE"',
    ]);
  });

  it('quantities the API should never return', async () => {
    const { layout, config } = await spec();
    const nodes = liveNodes().map((n) =>
      n.name === 'gpu-01' ? node(n.name, { ...n.allocatable, memory: '12 GB' }) : n,
    );
    expect(problemsOf(() => computeHivedConfig(layout, config, nodes, []))).toEqual([
      expect.objectContaining({
        code: 'hived.bad-quantity',
        message: 'the allocatable memory of node "gpu-01" is "12 GB", which is not a Kubernetes resource quantity',
      }),
    ]);
    const noCpu = liveNodes().map((n) => (n.name === 'cpu-01' ? node(n.name, { memory: '1Gi' }) : n));
    expect(problemsOf(() => computeHivedConfig(layout, config, noCpu, []))[0]!.code).toBe('hived.node-resources');
  });
});

describe('parseKubeQuantity', () => {
  const value = (text: string) => {
    const q = parseKubeQuantity(text);
    return q === undefined ? undefined : `${q.numerator}/${q.denominator}`;
  };

  it.each([
    ['7800m', '39/5'],
    ['250m', '1/4'],
    ['1', '1/1'],
    ['1.5', '3/2'],
    ['.5', '1/2'],
    ['5.', '5/1'],
    ['+2', '2/1'],
    ['-1.25', '-5/4'],
    ['0', '0/1'],
    ['31Gi', `${31n * 2n ** 30n}/1`],
    ['32928784Ki', `${32928784n * 1024n}/1`],
    ['64Mi', `${64n * 2n ** 20n}/1`],
    ['1.5Gi', `${3n * 2n ** 29n}/1`],
    ['0.1Ki', '512/5'],
    ['100M', '100000000/1'],
    ['1k', '1000/1'],
    ['1G', '1000000000/1'],
    ['2e3', '2000/1'],
    ['2E3', '2000/1'],
    ['1.5e-3', '3/2000'],
    ['12e+2', '1200/1'],
    ['1E', '1000000000000000000/1'],
    ['100n', '1/10000000'],
    ['5u', '1/200000'],
  ])('%s = %s', (text, expected) => {
    expect(value(text)).toBe(expected);
  });

  it.each(['', ' 1', '1 ', '1.2.3', 'Mi', '1mi', '1KB', '1K', 'e3', '1e', '1e1.5', '--1', '1e999', '0x10', '1_000'])(
    'refuses %j',
    (text) => {
      expect(parseKubeQuantity(text)).toBeUndefined();
    },
  );

  it('computes exactly', () => {
    const a = parseKubeQuantity('100m')!;
    const b = parseKubeQuantity('200m')!;
    expect(a.plus(b).compare(parseKubeQuantity('300m')!)).toBe(0);
    expect(a.plus(b).toNumber()).toBe(0.3); // not 0.30000000000000004
    expect(Exact.of(-7, 2).floor()).toBe(-4n);
    expect(Exact.of(7, 2).floor()).toBe(3n);
    expect(Exact.of(8, 2).floor()).toBe(4n);
    expect(
      parseKubeQuantity('32928784Ki')!
        .dividedBy(Exact.of(2 ** 20))
        .toNumber(),
    ).toBe(32157.015625);
    expect(Exact.of(2, 3).format()).toBe('0.667');
  });
});

describe('hivedscheduler.config in services-configuration.yaml', () => {
  async function computedFor(): Promise<{ spec: ClusterSpec; result: HivedComputed }> {
    const input = await spec();
    return { spec: input, result: computed(computeHivedConfig(input.layout, input.config, liveNodes(), livePods())) };
  }

  it('is HiveD YAML in the shape of OpenPAI v1.8', async () => {
    const { result } = await computedFor();
    const text = hivedConfigYaml(result);
    expect(parse(text)).toEqual(result.config);
    expect(text.split('\n').slice(0, 12)).toEqual([
      'physicalCluster:',
      '  skuTypes:',
      '    v100:',
      '      gpu: 1',
      '      cpu: 5',
      '      memory: 51927Mi',
      '    cpu-big:',
      '      cpu: 1',
      '      memory: 2744Mi',
      '    mi50:',
      '      gpu: 1',
      '      cpu: 7',
    ]);
    expect(text).toContain(
      [
        '  physicalCells:',
        '  - cellType: v100-NODE-POOL',
        '    cellChildren:',
        '    - cellAddress: gpu-01',
        '    - cellAddress: gpu-02',
      ].join('\n'),
    );
    expect(text).toContain(
      [
        'virtualClusters:',
        '  default:',
        '    virtualCells:',
        '    - cellType: v100-NODE-POOL.v100-NODE',
        '      cellNumber: 2',
      ].join('\n'),
    );
  });

  it('is set as a string after webportal, keeping every other key, comment and byte', async () => {
    const { spec: input, result } = await computedFor();
    const original = renderServicesConfiguration(input);
    const updated = withHivedConfig(original, result);
    const document = parse(updated, { version: '1.1' }) as Record<string, unknown>;
    const section = document['hivedscheduler'] as { config: unknown };
    expect(typeof section.config).toBe('string');
    expect(section.config).toBe(hivedConfigYaml(result));
    expect(parse(section.config as string)).toEqual(result.config);
    expect(Object.keys(document)).toEqual(['cluster', 'rest-server', 'webportal', 'hivedscheduler', 'authentication']);
    const lines = updated.split('\n');
    const start = lines.indexOf('hivedscheduler:');
    expect(lines[start + 1]).toMatch(/^ {2}# Computed by pai-deploy/);
    expect(lines[start + 2]).toBe('  config: |');
    const end = lines.indexOf('authentication:');
    // Without the new section, the text is exactly what was rendered.
    expect([...lines.slice(0, start), ...lines.slice(end)].join('\n')).toBe(original);
    // Applying it again changes nothing; removing it (HiveD disabled) gives back the original.
    expect(withHivedConfig(updated, result)).toBe(updated);
    expect(withHivedConfig(updated, { enabled: false, reason: 'off' })).toBe(original);
  });

  it("replaces an existing config and keeps the section's other keys", async () => {
    const { result } = await computedFor();
    const text = [
      'webportal:',
      '  server-port: 9286',
      'hivedscheduler:',
      '  webservice-port: 30096 # the NodePort',
      "  config: ''",
      'authentication: {OIDC: false}',
      '',
    ].join('\n');
    const updated = withHivedConfig(text, result);
    const document = parse(updated) as Record<string, Record<string, unknown>>;
    expect(document['hivedscheduler']!['webservice-port']).toBe(30096);
    expect(parse(document['hivedscheduler']!['config'] as string)).toEqual(result.config);
    expect(updated).toContain('webservice-port: 30096 # the NodePort');
    expect(Object.keys(document)).toEqual(['webportal', 'hivedscheduler', 'authentication']);
    // Disabled: only `config` goes; the other key stays.
    const disabled = parse(withHivedConfig(updated, { enabled: false, reason: 'off' })) as Record<string, unknown>;
    expect(disabled['hivedscheduler']).toEqual({ 'webservice-port': 30096 });
    // Without webportal the section is appended.
    expect(Object.keys(parse(withHivedConfig('cluster: {}\n', result)) as object)).toEqual([
      'cluster',
      'hivedscheduler',
    ]);
  });

  it('quotes names YAML 1.1 would read as something else', async () => {
    const layout = `machine-sku:
  m: {mem: 8Gi, cpu: {vcore: 4}}
  "yes": {mem: 8Gi, cpu: {vcore: 4}}
machine-list:
  - {hostname: m, hostip: 10.0.0.1, machine-type: m, pai-master: "true"}
  - {hostname: "0123", hostip: 10.0.0.2, machine-type: "yes", pai-worker: "true"}
`;
    const input = await validate(dir, layout, CONFIG);
    const { layout: parsed, config } = input.input!;
    const result = computed(computeHivedConfig(parsed, config, [node('0123', { cpu: '4', memory: '8Gi' })], []));
    const text = hivedConfigYaml(result);
    expect(text).toContain('    "yes":\n');
    expect(text).toContain('- cellAddress: "0123"');
    expect(text).toContain('childCellType: "yes"');
    expect(text).toContain('    yes-NODE:\n'); // no YAML 1.1 word: plain
    expect(parse(text, { version: '1.1' })).toEqual(result.config);
  });

  it('refuses a document that is not a mapping', async () => {
    const { result } = await computedFor();
    expect(() => withHivedConfig('- a\n- b\n', result)).toThrow(/not a mapping/);
    expect(() => withHivedConfig('a: [\n', result)).toThrow(/not valid YAML/);
  });
});

await describeWithInfra('hivedscheduler.config read back with PyYAML', pyyamlProbe, () => {
  it('gives paictl the same structure', async () => {
    const input = await spec();
    const result = computed(computeHivedConfig(input.layout, input.config, liveNodes(), livePods()));
    const services = withHivedConfig(renderServicesConfiguration(input), result);
    const [outer] = pyyaml([services]);
    expect(outer).toHaveProperty('ok');
    const config = (outer as { ok: Record<string, Record<string, unknown>> }).ok['hivedscheduler']!['config'] as string;
    expect(config).toBe(hivedConfigYaml(result));
    expect(pyyaml([config])).toEqual([{ ok: result.config }]);
  });
});
