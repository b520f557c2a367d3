import { Document, isMap, isScalar, parseDocument, Scalar, visit, YAMLMap, type Pair } from 'yaml';
import { PaiDeployError } from '../errors.js';
import { didYouMean } from '../findings/did-you-mean.js';
import { quote } from '../findings/finding.js';
import type { ClusterConfig, ComputingDevice, Layout } from '../model/cluster.js';
import { BYTES_PER_MIB, Exact, parseKubeQuantity } from './kube-quantity.js';

/**
 * OpenPAI's HiveD scheduler configuration (`hivedscheduler.config` of services-configuration.yaml), computed from the
 * live cluster as OpenPAI v1.5–v1.8's generator does (openpai.md §5.3), with the fixes its reproduction notes ask for:
 *
 * - one sku type, node cell type and node-pool cell type per machine-type of the pai-worker machines (first-appearance
 *   order), named `<sku>`, `<sku>-NODE`, `<sku>-NODE-POOL`; one physical cell per sku; virtual clusters `default` (first
 *   sku), `vc1`, `vc2`, … — exactly OpenPAI's names, so existing clusters, docs and job specs keep working;
 * - a node's resources for cells = allocatable - what its pods request (Kubernetes' effective pod request; Succeeded
 *   and Failed pods hold nothing) - the qos daemons that are not running there yet - a system reserve;
 * - a sku's cell is sized by the minimum over its nodes; device counts come from layout.yaml and are checked against
 *   what each node really offers; a cell with 0 CPUs or no memory is refused instead of written.
 *
 * Pure logic over plain data: the Kubernetes adapter lists nodes and pods, this module decides.
 */

// ---------------------------------------------------------------------------------------------------------------
// Inputs

/** A Kubernetes node as HiveD sizing needs it. */
export interface LiveNode {
  name: string;
  /** status.allocatable: resource name → quantity ("cpu": "7800m", "memory": "32928784Ki", "nvidia.com/gpu": "4"). */
  allocatable: Record<string, string>;
}

/** One container (or init container) of a pod: its resources as the API returns them. */
export interface LiveContainer {
  requests: Record<string, string>;
  limits: Record<string, string>;
  /** An init container with restartPolicy "Always" is a sidecar: it keeps running next to the app containers. */
  restartPolicy?: string | undefined;
}

/** A pod, as far as it holds resources on a node. */
export interface LivePod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /**
   * metadata.annotations. A pod with HiveD's pod-scheduling-spec annotation is a job HiveD placed in one of its own
   * cells: it is left out of the node's requests, or recomputing on a busy cluster would shrink the cells by the jobs.
   */
  annotations?: Record<string, string> | undefined;
  /** spec.nodeName: undefined while the pod is not bound to a node. */
  nodeName: string | undefined;
  /** status.phase: Pending, Running, Succeeded, Failed or Unknown. */
  phase: string;
  containers: LiveContainer[];
  initContainers: LiveContainer[];
  /** spec.overhead (RuntimeClass pod overhead), counted on top of the containers as the scheduler does. */
  overhead?: Record<string, string> | undefined;
}

export type HivedSettings = Pick<ClusterConfig, 'hivedScheduler' | 'qosSwitch'>;

// ---------------------------------------------------------------------------------------------------------------
// Output

/** The structured `hivedscheduler.config`, as HiveD reads it. */
export interface HivedConfig {
  physicalCluster: {
    skuTypes: Record<string, HivedSkuType>;
    cellTypes: Record<string, HivedCellType>;
    physicalCells: HivedPhysicalCell[];
  };
  virtualClusters: Record<string, { virtualCells: HivedVirtualCell[] }>;
}

/** A leaf cell: one device with its share of CPU and memory (`gpu` present), or one CPU with its memory. */
export interface HivedSkuType {
  gpu?: number;
  cpu: number;
  /** "<MiB>Mi". */
  memory: string;
}

export interface HivedCellType {
  childCellType: string;
  childCellNumber: number;
  isNodeLevel?: true;
}

export interface HivedPhysicalCell {
  cellType: string;
  cellChildren: Array<{ cellAddress: string }>;
}

export interface HivedVirtualCell {
  cellType: string;
  cellNumber: number;
}

/** CPU in cores, memory in MiB (exact values converted to the nearest double). */
export interface HivedResources {
  cpu: number;
  memoryMiB: number;
}

/** A pod counted against a node, with its effective request. */
export interface HivedPodRequest extends HivedResources {
  namespace: string;
  name: string;
  /** Devices of the sku's type it requests (device skus only). */
  devices?: number;
}

/** How one node's numbers came about: free = allocatable - requested - daemonReserve - reserved. */
export interface HivedNodeDetail {
  name: string;
  allocatable: HivedResources & { devices?: number };
  /** Σ of the effective requests of the pods bound to the node (Succeeded/Failed pods excluded). */
  requested: HivedResources & { devices?: number };
  /** The pods behind `requested` that request any CPU, memory or device, in API order. */
  pods: HivedPodRequest[];
  /** HiveD's own job pods on the node: they live in its cells and are not counted in `requested`. */
  hivedPods: number;
  /** qos-switch daemons not running on the node yet (their requests are not in `requested`). */
  daemonReserve: HivedResources & { counted: string[]; alreadyRunning: string[] };
  /** The system reserve: CPU min(1% of allocatable, 0.5), memory min(1% of allocatable MiB, 1024 MiB). */
  reserved: HivedResources;
  /** What is left for HiveD's cells. */
  free: HivedResources;
}

export interface HivedSkuDetail {
  sku: string;
  /** The virtual cluster made of this sku's nodes. */
  virtualCluster: string;
  /** From layout.yaml's computing-device; undefined for a CPU sku. */
  device: { type: string; count: number } | undefined;
  /** The sku's pai-worker machines, in layout order (the physical cell's children). */
  nodes: HivedNodeDetail[];
  /** The smallest free CPU and memory over the sku's nodes, and the (first) node that has it. */
  minimum: { cpu: number; cpuNode: string; memoryMiB: number; memoryNode: string };
  /** The leaf cell (skuTypes entry): per device for a device sku, per CPU for a CPU sku. */
  cell: { gpu?: number; cpu: number; memoryMiB: number };
  /** Leaf cells per node: the device count, or the node's whole free CPUs. */
  cellsPerNode: number;
}

export interface HivedDisabled {
  enabled: false;
  reason: string;
}

export interface HivedComputed {
  enabled: true;
  config: HivedConfig;
  skus: HivedSkuDetail[];
  qosSwitch: boolean;
  /** Things that are not wrong but deserve a look (more devices than layout.yaml says, devices held by pods). */
  warnings: string[];
}

export type HivedComputation = HivedDisabled | HivedComputed;

// ---------------------------------------------------------------------------------------------------------------
// Errors

export type HivedProblemCode =
  | 'hived.no-workers'
  | 'hived.unknown-sku'
  | 'hived.sku-name'
  | 'hived.device-count'
  | 'hived.node-missing'
  | 'hived.node-resources'
  | 'hived.devices-short'
  | 'hived.cpu-zero'
  | 'hived.memory-zero'
  | 'hived.bad-quantity';

export interface HivedProblem {
  code: HivedProblemCode;
  sku?: string;
  node?: string;
  message: string;
  hint: string;
}

/** The live cluster cannot carry the HiveD cells the layout asks for. Every problem found is listed. */
export class HivedConfigError extends PaiDeployError {
  readonly problems: readonly HivedProblem[];

  constructor(problems: readonly HivedProblem[]) {
    const first = problems[0];
    if (!first) throw new RangeError('HivedConfigError needs a problem');
    const message =
      problems.length === 1
        ? `cannot compute the HiveD scheduler configuration: ${first.message}`
        : `cannot compute the HiveD scheduler configuration (${problems.length} problems): ` +
          problems.map((problem) => problem.message).join('; ');
    super(message, { hint: [...new Set(problems.map((problem) => problem.hint))].join(' ') });
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The daemon and system reserves

/**
 * What OpenPAI's qos-switch makes its per-node daemons request (`resources.requests` in their templates' qos blocks;
 * the docs' qos table, openpai.md §7: no CPU). OpenPAI's generator reads only the first qos block of each template and
 * so counts log-manager at 128Mi although its two containers request 128Mi each (§8.1 #15); the docs' 256Mi is used.
 * They run in namespace `default` with label `app=<name>` (§4.9).
 */
export const QOS_DAEMONS: ReadonlyArray<{ name: string; cpu: string; memory: string }> = [
  { name: 'node-exporter', cpu: '0', memory: '128Mi' },
  { name: 'job-exporter', cpu: '0', memory: '512Mi' },
  { name: 'log-manager', cpu: '0', memory: '256Mi' },
];
const DAEMON_NAMESPACE = 'default';

/** The annotation HiveD reads its scheduling request from: only the pods it schedules carry it. */
export const HIVED_POD_ANNOTATION = 'hivedscheduler.microsoft.com/pod-scheduling-spec';

// Exactly 1 %: OpenPAI's generator took Decimal(0.01) from a float (0.01000000000000000020…), so where 0.99 × memory
// per device is a whole number it comes out 1 MiB lower than here (seen side by side on 40000Mi nodes).
const ONE_PERCENT = Exact.of(1, 100);
const RESERVED_CPU_CAP = Exact.of(1, 2);
const RESERVED_MEMORY_CAP_MIB = Exact.of(1024);

// ---------------------------------------------------------------------------------------------------------------
// The computation

interface Amounts {
  cpu: Exact;
  memoryMiB: Exact;
}

interface MeasuredNode {
  detail: HivedNodeDetail;
  free: Amounts;
  /** Shown in messages. */
  numbers: { allocatable: Amounts; requested: Amounts; daemon: Amounts; reserved: Amounts };
  pods: Array<{ pod: LivePod; request: Amounts }>;
}

/**
 * HiveD's configuration for `layout`'s pai-worker machines on the live cluster (`nodes` and all `pods`), or a
 * disabled result when config.yaml turns HiveD off. Throws HivedConfigError listing every problem found.
 */
export function computeHivedConfig(
  layout: Layout,
  config: HivedSettings,
  nodes: readonly LiveNode[],
  pods: readonly LivePod[],
): HivedComputation {
  if (!config.hivedScheduler) return { enabled: false, reason: 'enable_hived_scheduler is false in config.yaml' };

  const problems: HivedProblem[] = [];
  const warnings: string[] = [];
  const groups = workerGroups(layout, problems);
  if (groups.length === 0 && problems.length === 0) {
    problems.push({
      code: 'hived.no-workers',
      message: 'the layout has no pai-worker machine',
      hint: 'HiveD schedules jobs onto workers: mark the machines that run jobs with pai-worker: "true" in layout.yaml.',
    });
  }
  checkNames(groups, problems);

  const nodesByName = new Map<string, LiveNode>();
  for (const node of nodes) if (!nodesByName.has(node.name)) nodesByName.set(node.name, node);
  const podsByNode = new Map<string, LivePod[]>();
  const hivedPods = new Map<string, number>();
  for (const pod of pods) {
    if (pod.nodeName === undefined || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    if (pod.annotations?.[HIVED_POD_ANNOTATION] !== undefined) {
      hivedPods.set(pod.nodeName, (hivedPods.get(pod.nodeName) ?? 0) + 1);
      continue;
    }
    let list = podsByNode.get(pod.nodeName);
    if (!list) podsByNode.set(pod.nodeName, (list = []));
    list.push(pod);
  }

  const skus: HivedSkuDetail[] = [];
  groups.forEach((group, index) => {
    const before = problems.length;
    const measured: MeasuredNode[] = [];
    for (const hostname of group.hostnames) {
      const node = nodesByName.get(hostname);
      if (!node) {
        problems.push(missingNode(hostname, group.sku, nodesByName, layout));
        continue;
      }
      const onNode = podsByNode.get(hostname) ?? [];
      const measure = measureNode(
        node,
        onNode,
        hivedPods.get(hostname) ?? 0,
        group.device,
        config.qosSwitch,
        group.sku,
      );
      measured.push(measure);
      if (group.device) checkDevices(measure, group.sku, group.device, problems, warnings);
    }
    if (problems.length > before || measured.length === 0) return;
    const detail = sizeCell(group.sku, index, group.device, measured, problems);
    if (detail) skus.push(detail);
  });
  if (problems.length > 0) throw new HivedConfigError(problems);

  return { enabled: true, config: buildConfig(skus), skus, qosSwitch: config.qosSwitch, warnings };
}

interface WorkerGroup {
  sku: string;
  device: ComputingDevice | undefined;
  hostnames: string[];
}

/** The pai-worker machines by machine-type, in order of first appearance. */
function workerGroups(layout: Layout, problems: HivedProblem[]): WorkerGroup[] {
  const groups = new Map<string, WorkerGroup>();
  const seen = new Set<string>();
  for (const machine of layout.machines) {
    if (!machine.worker || seen.has(machine.hostname)) continue;
    let group = groups.get(machine.machineType);
    if (!group) {
      const sku = layout.skus.get(machine.machineType);
      if (!sku) {
        problems.push({
          code: 'hived.unknown-sku',
          sku: machine.machineType,
          node: machine.hostname,
          message: `worker ${quote(machine.hostname)} has machine-type ${quote(machine.machineType)}, which machine-sku does not define`,
          hint: 'Define the machine-type under machine-sku in layout.yaml (pai-deploy validate lists every layout mistake).',
        });
        continue;
      }
      group = { sku: sku.name, device: sku.device, hostnames: [] };
      groups.set(machine.machineType, group);
    }
    // A hostname given twice (the layout rules report it) is one node.
    seen.add(machine.hostname);
    group.hostnames.push(machine.hostname);
  }
  return [...groups.values()];
}

/** HiveD addresses a virtual cell as `<pool>.<node>`, and all sku and cell type names share one namespace. */
function checkNames(groups: readonly WorkerGroup[], problems: HivedProblem[]): void {
  const owner = new Map<string, string>();
  for (const { sku, device } of groups) {
    if (sku.includes('.') || sku === '') {
      problems.push({
        code: 'hived.sku-name',
        sku,
        message: `machine-type ${quote(sku)} cannot name a HiveD cell type${sku === '' ? '' : ': HiveD reads "." as the separator of a cell address'}`,
        hint: 'Rename the machine-sku in layout.yaml (letters, digits and "-"), and the machine-type of its machines.',
      });
    }
    if (device && (!Number.isSafeInteger(device.count) || device.count < 1)) {
      problems.push({
        code: 'hived.device-count',
        sku,
        message: `machine-sku ${quote(sku)} has computing-device.count ${quote(device.count)}; a HiveD node cell needs at least one device`,
        hint: 'Set computing-device.count in layout.yaml to the number of devices in each machine of the sku, or remove computing-device for CPU-only machines.',
      });
    }
    for (const name of [sku, `${sku}-NODE`, `${sku}-NODE-POOL`]) {
      const other = owner.get(name);
      if (other !== undefined && other !== sku) {
        problems.push({
          code: 'hived.sku-name',
          sku,
          message: `machine-types ${quote(other)} and ${quote(sku)} both give a HiveD type the name ${quote(name)}`,
          hint: 'Rename one of the machine-skus in layout.yaml so that no sku is called like another sku plus "-NODE".',
        });
      }
      owner.set(name, sku);
    }
  }
}

function missingNode(
  hostname: string,
  sku: string,
  nodes: ReadonlyMap<string, LiveNode>,
  layout: Layout,
): HivedProblem {
  // Only a node no layout machine claims can be this worker under another name.
  const claimed = new Set(layout.machines.map((machine) => machine.hostname));
  const close = didYouMean(
    hostname,
    [...nodes.keys()].filter((name) => !claimed.has(name)),
  );
  return {
    code: 'hived.node-missing',
    sku,
    node: hostname,
    message: `worker ${quote(hostname)} (machine-type ${quote(sku)}) is not a node of the Kubernetes cluster${close === undefined ? '' : ` (there is a node ${quote(close)})`}`,
    hint:
      'HiveD addresses workers by their Kubernetes node name, which must equal the layout hostname: ' +
      'check `kubectl get nodes`, then join the machine to the cluster or correct its hostname in layout.yaml.',
  };
}

function quantity(text: string, what: string, problem: Omit<HivedProblem, 'code' | 'message' | 'hint'>): Exact {
  const value = parseKubeQuantity(text);
  if (value === undefined || value.numerator < 0n) {
    throw new HivedConfigError([
      {
        code: 'hived.bad-quantity',
        ...problem,
        message: `${what} is ${quote(text)}, which is not a Kubernetes resource quantity`,
        hint: 'The Kubernetes API returned something pai-deploy cannot read; please report it with `kubectl get nodes,pods -A -o yaml`.',
      },
    ]);
  }
  return value;
}

/**
 * Kubernetes' effective request of a pod for one resource, as the scheduler counts it: the app containers and the
 * sidecars (restartable init containers) run together; each other init container runs alone next to the sidecars
 * started before it; the pod needs the larger of the two, plus its overhead. A container that sets a limit but no
 * request for a resource requests its limit (the API server defaults it so; counted here in case it did not).
 */
function podRequest(pod: LivePod, resource: string): Exact {
  const where = { node: pod.nodeName ?? '' };
  const of = (container: LiveContainer, index: number, kind: string): Exact => {
    const text = container.requests[resource] ?? container.limits[resource];
    return text === undefined
      ? Exact.ZERO
      : quantity(text, `the ${resource} request of ${kind} ${index} of pod ${pod.namespace}/${pod.name}`, where);
  };
  let running = pod.containers.reduce((sum, container, i) => sum.plus(of(container, i, 'container')), Exact.ZERO);
  let sidecars = Exact.ZERO;
  let initPeak = Exact.ZERO;
  pod.initContainers.forEach((container, i) => {
    const request = of(container, i, 'init container');
    if (container.restartPolicy === 'Always') {
      sidecars = sidecars.plus(request);
      initPeak = Exact.max(initPeak, sidecars);
    } else {
      initPeak = Exact.max(initPeak, request.plus(sidecars));
    }
  });
  running = running.plus(sidecars);
  const overhead = pod.overhead?.[resource];
  const extra =
    overhead === undefined
      ? Exact.ZERO
      : quantity(overhead, `the ${resource} overhead of pod ${pod.namespace}/${pod.name}`, where);
  return Exact.max(running, initPeak).plus(extra);
}

function measureNode(
  node: LiveNode,
  pods: readonly LivePod[],
  hivedPods: number,
  device: ComputingDevice | undefined,
  qosSwitch: boolean,
  sku: string,
): MeasuredNode {
  const where = { sku, node: node.name };
  const allocatableOf = (resource: string, required: boolean): Exact | undefined => {
    const text = node.allocatable[resource];
    if (text === undefined) {
      if (!required) return undefined;
      throw new HivedConfigError([
        {
          code: 'hived.node-resources',
          ...where,
          message: `node ${quote(node.name)} reports no allocatable ${resource}`,
          hint: `Check the node with \`kubectl describe node ${node.name}\` (Allocatable) and that its kubelet is running.`,
        },
      ]);
    }
    return quantity(text, `the allocatable ${resource} of node ${quote(node.name)}`, where);
  };
  const allocatable: Amounts = {
    cpu: allocatableOf('cpu', true)!,
    memoryMiB: allocatableOf('memory', true)!.dividedBy(BYTES_PER_MIB),
  };
  const allocatableDevices = device ? (allocatableOf(device.type, false) ?? Exact.ZERO) : undefined;

  const counted = pods.map((pod) => ({
    pod,
    request: { cpu: podRequest(pod, 'cpu'), memoryMiB: podRequest(pod, 'memory').dividedBy(BYTES_PER_MIB) },
    devices: device ? podRequest(pod, device.type) : Exact.ZERO,
  }));
  const requested: Amounts = {
    cpu: sum(counted.map((entry) => entry.request.cpu)),
    memoryMiB: sum(counted.map((entry) => entry.request.memoryMiB)),
  };
  const requestedDevices = sum(counted.map((entry) => entry.devices));

  // A daemon that already runs on the node has its requests in `requested`: reserving for it again would count it
  // twice. One that does not run yet (HiveD's config is computed before OpenPAI's services start) will take its
  // requests from the node later, so they are kept free now. A running one requesting less than its qos request
  // (started while qos-switch was off, so requesting nothing) will request the full amount once restarted with qos
  // on: the difference is reserved (found by running OpenPAI's own generator side by side: without it the cells came
  // out 128Mi larger than the node holds).
  const counts: string[] = [];
  const running: string[] = [];
  let daemon: Amounts = { cpu: Exact.ZERO, memoryMiB: Exact.ZERO };
  if (qosSwitch) {
    for (const entry of QOS_DAEMONS) {
      const qos = {
        cpu: parseKubeQuantity(entry.cpu)!,
        memoryMiB: parseKubeQuantity(entry.memory)!.dividedBy(BYTES_PER_MIB),
      };
      const instances = counted.filter(
        ({ pod }) => pod.namespace === DAEMON_NAMESPACE && pod.labels['app'] === entry.name,
      );
      let missing = qos;
      if (instances.length > 0) {
        running.push(entry.name);
        const has = {
          cpu: sum(instances.map((instance) => instance.request.cpu)),
          memoryMiB: sum(instances.map((instance) => instance.request.memoryMiB)),
        };
        missing = {
          cpu: Exact.max(qos.cpu.minus(has.cpu), Exact.ZERO),
          memoryMiB: Exact.max(qos.memoryMiB.minus(has.memoryMiB), Exact.ZERO),
        };
        if (missing.cpu.isZero() && missing.memoryMiB.isZero()) continue;
      }
      counts.push(entry.name);
      daemon = { cpu: daemon.cpu.plus(missing.cpu), memoryMiB: daemon.memoryMiB.plus(missing.memoryMiB) };
    }
  }
  const reserved: Amounts = {
    cpu: Exact.min(allocatable.cpu.times(ONE_PERCENT), RESERVED_CPU_CAP),
    memoryMiB: Exact.min(allocatable.memoryMiB.times(ONE_PERCENT), RESERVED_MEMORY_CAP_MIB),
  };
  const free: Amounts = {
    cpu: allocatable.cpu.minus(requested.cpu).minus(daemon.cpu).minus(reserved.cpu),
    memoryMiB: allocatable.memoryMiB.minus(requested.memoryMiB).minus(daemon.memoryMiB).minus(reserved.memoryMiB),
  };

  const withDevices = <T extends object>(value: T, devices: Exact | undefined): T & { devices?: number } =>
    device && devices !== undefined ? { ...value, devices: devices.toNumber() } : value;
  const detail: HivedNodeDetail = {
    name: node.name,
    allocatable: withDevices(shown(allocatable), allocatableDevices),
    requested: withDevices(shown(requested), requestedDevices),
    pods: counted
      .filter(({ request, devices }) => !request.cpu.isZero() || !request.memoryMiB.isZero() || !devices.isZero())
      .map(({ pod, request, devices }) =>
        withDevices({ namespace: pod.namespace, name: pod.name, ...shown(request) }, devices),
      ),
    hivedPods,
    daemonReserve: { ...shown(daemon), counted: counts, alreadyRunning: running },
    reserved: shown(reserved),
    free: shown(free),
  };
  return {
    detail,
    free,
    numbers: { allocatable, requested, daemon, reserved },
    pods: counted.map(({ pod, request }) => ({ pod, request })),
  };
}

/** layout.yaml's device count, cross-checked with what the node's device plugin offers. */
function checkDevices(
  measured: MeasuredNode,
  sku: string,
  device: ComputingDevice,
  problems: HivedProblem[],
  warnings: string[],
): void {
  const { detail } = measured;
  const allocatable = detail.allocatable.devices ?? 0;
  const name = detail.name;
  if (allocatable < device.count) {
    problems.push({
      code: 'hived.devices-short',
      sku,
      node: name,
      message:
        `node ${quote(name)} (machine-type ${quote(sku)}) has ${allocatable} ${device.type} allocatable, ` +
        `but layout.yaml says computing-device.count: ${device.count}`,
      hint:
        `Check that the device plugin runs on the node and sees every device (\`kubectl describe node ${name}\`, ` +
        'Allocatable; the driver with nvidia-smi or its vendor tool), or correct computing-device.count / the ' +
        "machine's machine-type in layout.yaml.",
    });
  } else if (allocatable > device.count) {
    warnings.push(
      `node ${quote(name)} has ${allocatable} ${device.type} allocatable but layout.yaml says ${device.count} for machine-type ${quote(sku)}: HiveD will use ${device.count} of them`,
    );
  }
  const holders = detail.pods.filter((pod) => (pod.devices ?? 0) > 0);
  if (holders.length > 0) {
    warnings.push(
      `on node ${quote(name)}, ${detail.requested.devices ?? 0} ${device.type} are requested by pods HiveD does not manage ` +
        `(${holders.map((pod) => `${pod.namespace}/${pod.name}`).join(', ')}); HiveD still counts them as its own`,
    );
  }
}

function sizeCell(
  sku: string,
  index: number,
  device: ComputingDevice | undefined,
  nodes: readonly MeasuredNode[],
  problems: HivedProblem[],
): HivedSkuDetail | undefined {
  let cpuNode = nodes[0]!;
  let memoryNode = nodes[0]!;
  for (const node of nodes) {
    if (node.free.cpu.lessThan(cpuNode.free.cpu)) cpuNode = node;
    if (node.free.memoryMiB.lessThan(memoryNode.free.memoryMiB)) memoryNode = node;
  }
  const minCpu = cpuNode.free.cpu;
  const minMemory = memoryNode.free.memoryMiB;
  const before = problems.length;

  // OpenPAI: a device sku's leaf cell is one device with int(min_cpu / count) CPUs and int(min_mem / count) MiB; a CPU
  // sku's leaf cell is one CPU with int(min_mem / min_cpu) MiB, int(min_cpu) of them per node.
  const per = device ? Exact.of(device.count) : minCpu;
  const unit = device ? `per ${device.type} device` : 'per CPU';
  const cpu = device ? (minCpu.isPositive() ? minCpu.dividedBy(per).floor() : 0n) : minCpu.floor();
  if (cpu < 1n) {
    problems.push({
      code: 'hived.cpu-zero',
      sku,
      node: cpuNode.detail.name,
      message: device
        ? `machine-type ${quote(sku)} would get a HiveD cell with 0 CPUs ${unit}: node ${quote(cpuNode.detail.name)} has ${minCpu.format()} CPUs left for its ${device.count} devices (${breakdown(cpuNode, 'cpu')})`
        : `machine-type ${quote(sku)} would get HiveD node cells of 0 CPUs: node ${quote(cpuNode.detail.name)} has ${minCpu.format()} CPUs left (${breakdown(cpuNode, 'cpu')})`,
      hint:
        (device
          ? 'Every device of a HiveD cell needs at least one whole CPU. '
          : 'A CPU-only HiveD cell is one whole CPU. ') +
        `Free CPU on ${cpuNode.detail.name}${largest(cpuNode, 'cpu')}, give a machine with too few CPUs a machine-type of its own in layout.yaml, ` +
        'or set enable_hived_scheduler: false in config.yaml.',
    });
  }
  // (A CPU sku without a positive CPU count was refused above; its memory is not judged on top of that.)
  let memory = 0n;
  if (minMemory.isPositive()) memory = per.isPositive() ? minMemory.dividedBy(per).floor() : 1n;
  if (memory < 1n) {
    problems.push({
      code: 'hived.memory-zero',
      sku,
      node: memoryNode.detail.name,
      message: `machine-type ${quote(sku)} would get a HiveD cell with no memory ${unit}: node ${quote(memoryNode.detail.name)} has ${minMemory.format(1)} MiB left (${breakdown(memoryNode, 'memoryMiB')})`,
      hint: `Free memory on ${memoryNode.detail.name}${largest(memoryNode, 'memoryMiB')}, give it a machine-type of its own in layout.yaml, or set enable_hived_scheduler: false in config.yaml.`,
    });
  }
  if (problems.length > before) return undefined;

  const cellsPerNode = device ? device.count : Number(cpu);
  return {
    sku,
    virtualCluster: index === 0 ? 'default' : `vc${index}`,
    device: device ? { type: device.type, count: device.count } : undefined,
    nodes: nodes.map((node) => node.detail),
    minimum: {
      cpu: minCpu.toNumber(),
      cpuNode: cpuNode.detail.name,
      memoryMiB: minMemory.toNumber(),
      memoryNode: memoryNode.detail.name,
    },
    cell: device ? { gpu: 1, cpu: Number(cpu), memoryMiB: Number(memory) } : { cpu: 1, memoryMiB: Number(memory) },
    cellsPerNode,
  };
}

function breakdown(node: MeasuredNode, what: keyof Amounts): string {
  const { allocatable, requested, daemon, reserved } = node.numbers;
  const digits = what === 'cpu' ? 3 : 1;
  const unit = what === 'cpu' ? '' : ' MiB';
  const show = (value: Exact) => `${value.format(digits)}${unit}`;
  return (
    `allocatable ${show(allocatable[what])} - requested by pods ${show(requested[what])} - ` +
    `qos daemons ${show(daemon[what])} - system reserve ${show(reserved[what])}`
  );
}

/** ", whose largest requests are a/b (250m), …" — where freeing would help. */
function largest(node: MeasuredNode, what: keyof Amounts): string {
  const top = node.pods
    .filter(({ request }) => request[what].isPositive())
    .sort((a, b) => b.request[what].compare(a.request[what]))
    .slice(0, 3);
  if (top.length === 0) return '';
  const show = (value: Exact) => (what === 'cpu' ? `${value.format()} CPU` : `${value.format(1)} MiB`);
  return ` (largest requests: ${top.map(({ pod, request }) => `${pod.namespace}/${pod.name} ${show(request[what])}`).join(', ')})`;
}

function buildConfig(skus: readonly HivedSkuDetail[]): HivedConfig {
  const skuTypes = Object.fromEntries(
    skus.map((sku): [string, HivedSkuType] => [
      sku.sku,
      sku.cell.gpu !== undefined
        ? { gpu: sku.cell.gpu, cpu: sku.cell.cpu, memory: `${sku.cell.memoryMiB}Mi` }
        : { cpu: sku.cell.cpu, memory: `${sku.cell.memoryMiB}Mi` },
    ]),
  );
  const cellTypes = Object.fromEntries(
    skus.flatMap((sku): Array<[string, HivedCellType]> => [
      [`${sku.sku}-NODE`, { childCellType: sku.sku, childCellNumber: sku.cellsPerNode, isNodeLevel: true }],
      [`${sku.sku}-NODE-POOL`, { childCellType: `${sku.sku}-NODE`, childCellNumber: sku.nodes.length }],
    ]),
  );
  return {
    physicalCluster: {
      skuTypes,
      cellTypes,
      physicalCells: skus.map((sku) => ({
        cellType: `${sku.sku}-NODE-POOL`,
        cellChildren: sku.nodes.map((node) => ({ cellAddress: node.name })),
      })),
    },
    virtualClusters: Object.fromEntries(
      skus.map((sku) => [
        sku.virtualCluster,
        { virtualCells: [{ cellType: `${sku.sku}-NODE-POOL.${sku.sku}-NODE`, cellNumber: sku.nodes.length }] },
      ]),
    ),
  };
}

function sum(values: readonly Exact[]): Exact {
  return values.reduce((total, value) => total.plus(value), Exact.ZERO);
}

function shown(amounts: Amounts): HivedResources {
  return { cpu: amounts.cpu.toNumber(), memoryMiB: amounts.memoryMiB.toNumber() };
}

// ---------------------------------------------------------------------------------------------------------------
// YAML

// A string is written plain only when YAML 1.1 (PyYAML in paictl, HiveD's Go reader) and 1.2 read it back as that
// string: a word starting with a letter that is no YAML 1.1 boolean or null, or a "<MiB>Mi" memory. Anything else
// (a hostname of digits, a sku called "yes") is double-quoted.
const PLAIN_WORD = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const PLAIN_MEMORY = /^[1-9][0-9]*Mi$/;
const YAML11_WORD =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|nan|NaN|NAN|inf|Inf|INF)$/;

/**
 * The text of `hivedscheduler.config`: HiveD's configuration as a YAML document (services-configuration.yaml holds it
 * as a string, which paictl parses into `structured-config`).
 */
export function hivedConfigYaml(result: HivedComputed): string {
  const doc = new Document(result.config, { version: '1.1' });
  visit(doc, {
    Scalar(_key, scalar) {
      if (typeof scalar.value !== 'string') return;
      const plain =
        (PLAIN_WORD.test(scalar.value) && !YAML11_WORD.test(scalar.value)) || PLAIN_MEMORY.test(scalar.value);
      scalar.type = plain ? 'PLAIN' : 'QUOTE_DOUBLE';
    },
  });
  return escapeRawInQuotes(doc.toString({ lineWidth: 0, indentSeq: false }));
}

/** The characters the yaml library leaves raw inside double quotes but PyYAML refuses there (DEL, C1, U+2028…). */
function escapeRawInQuotes(text: string): string {
  return text.replace(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g, (char) => {
    const code = char.charCodeAt(0);
    if (char === '\u0085') return '\\N';
    if (char === '\u2028') return '\\L';
    if (char === '\u2029') return '\\P';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const HIVED_COMMENT =
  ' Computed by pai-deploy from the live nodes: allocatable - pod requests - qos daemons - system reserve.';

/**
 * `servicesConfiguration` (services-configuration.yaml text) with `hivedscheduler.config` set to the computed
 * configuration (a block-literal string), or removed when HiveD is disabled (OpenPAI then writes no hivedscheduler
 * section). Every other key, its order and its comments are kept; a new section goes after `webportal`, where
 * OpenPAI's template has it.
 */
export function withHivedConfig(servicesConfiguration: string, result: HivedComputation): string {
  const doc: Document = parseDocument(servicesConfiguration, { version: '1.1' });
  if (doc.errors.length > 0) {
    throw new PaiDeployError(`services-configuration.yaml is not valid YAML: ${doc.errors[0]!.message}`, {
      hint: 'Render it again with pai-deploy render, or fix the file by hand.',
    });
  }
  if (doc.contents === null) doc.contents = new YAMLMap();
  if (!isMap(doc.contents)) {
    throw new PaiDeployError('services-configuration.yaml is not a mapping of service names to their settings', {
      hint: 'Render it again with pai-deploy render.',
    });
  }
  const root = doc.contents;
  const section = root.get('hivedscheduler', true);

  if (!result.enabled) {
    if (isMap(section)) {
      section.delete('config');
      dropOurComment(section);
      if (section.items.length === 0) root.delete('hivedscheduler');
    }
    return finish(doc);
  }

  const value = new Scalar(hivedConfigYaml(result));
  value.type = 'BLOCK_LITERAL';
  if (isMap(section)) {
    const existing = section.items.find((pair) => isScalar(pair.key) && pair.key.value === 'config');
    if (existing) existing.value = value;
    else section.add(doc.createPair('config', value));
    dropOurComment(section);
    commentOn(section.items.find((pair) => isScalar(pair.key) && pair.key.value === 'config'));
  } else {
    const map = new YAMLMap();
    const pair = doc.createPair('config', value);
    map.add(pair);
    commentOn(pair);
    const at = root.items.findIndex((item) => isScalar(item.key) && item.key.value === 'hivedscheduler');
    if (at >= 0) {
      root.items[at]!.value = map;
    } else {
      const after = root.items.findIndex((item) => isScalar(item.key) && item.key.value === 'webportal');
      root.items.splice(after >= 0 ? after + 1 : root.items.length, 0, doc.createPair('hivedscheduler', map));
    }
  }
  return finish(doc);
}

/** Read back, the comment on a section's first key belongs to the section: take it off before writing it again. */
function dropOurComment(section: YAMLMap): void {
  const kept = (section.commentBefore ?? '').split('\n').filter((line) => line !== HIVED_COMMENT);
  section.commentBefore = kept.length > 0 && kept.join('') !== '' ? kept.join('\n') : null;
}

function commentOn(pair: Pair | undefined): void {
  if (pair && isScalar(pair.key)) pair.key.commentBefore = HIVED_COMMENT;
}

function finish(doc: Document): string {
  return escapeRawInQuotes(doc.toString({ lineWidth: 0, indentSeq: true }));
}
