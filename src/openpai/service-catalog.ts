import { ExitCode, PaiDeployError } from '../errors.js';
import type { ClusterSpec } from '../model/cluster.js';

/** An OpenPAI v1.8 service: the services it needs started first, and when it is deployed at all. */
export interface ServiceSpec {
  name: string;
  prerequisites: readonly string[];
  /** Why the service is left out for this cluster, or undefined when it is deployed. */
  skipReason?: (input: ClusterSpec) => string | undefined;
}

const hasStorageNode = (input: ClusterSpec) => input.layout.machines.some((machine) => machine.storage);

/**
 * OpenPAI v1.8.0's services and their effective prerequisites (src/<service>/deploy/service.yaml; prerequisites
 * that name no service, such as `drivers`, are dropped as paictl drops them).
 */
export const serviceCatalog: readonly ServiceSpec[] = [
  { name: 'cluster-configuration', prerequisites: [] },
  {
    name: 'docker-cache',
    prerequisites: ['cluster-configuration'],
    skipReason: (i) => (i.config.dockerCache.enabled ? undefined : 'enable_docker_cache is not true'),
  },
  { name: 'alert-manager', prerequisites: ['cluster-configuration'] },
  { name: 'job-exporter', prerequisites: ['cluster-configuration'] },
  { name: 'device-plugin', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'frameworkcontroller', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'internal-storage', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'fluentd', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'log-manager', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'node-exporter', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'prometheus', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'pylon', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'watchdog', prerequisites: ['cluster-configuration', 'docker-cache'] },
  { name: 'k8s-dashboard', prerequisites: ['docker-cache'] },
  { name: 'marketplace-db', prerequisites: ['cluster-configuration', 'docker-cache'] },
  {
    name: 'dshuttle-master',
    prerequisites: ['cluster-configuration', 'docker-cache'],
    skipReason: () => 'dshuttle is not enabled',
  },
  { name: 'postgresql', prerequisites: ['internal-storage'] },
  {
    name: 'hivedscheduler',
    prerequisites: ['cluster-configuration', 'device-plugin', 'frameworkcontroller'],
    skipReason: (i) => (!i.config.hivedScheduler ? 'enable_hived_scheduler is false' : undefined),
  },
  { name: 'grafana', prerequisites: ['cluster-configuration', 'prometheus'] },
  { name: 'marketplace-restserver', prerequisites: ['cluster-configuration', 'marketplace-db'] },
  {
    name: 'dshuttle-worker',
    prerequisites: ['cluster-configuration', 'dshuttle-master'],
    skipReason: () => 'dshuttle is not enabled',
  },
  { name: 'database-controller', prerequisites: ['frameworkcontroller', 'postgresql'] },
  { name: 'marketplace-webportal', prerequisites: ['cluster-configuration', 'marketplace-restserver'] },
  {
    name: 'dshuttle-csi',
    prerequisites: ['cluster-configuration', 'dshuttle-master', 'dshuttle-worker'],
    skipReason: () => 'dshuttle is not enabled',
  },
  {
    name: 'rest-server',
    prerequisites: [
      'cluster-configuration',
      'frameworkcontroller',
      'hivedscheduler',
      'log-manager',
      'postgresql',
      'database-controller',
    ],
  },
  { name: 'openpai-runtime', prerequisites: ['cluster-configuration', 'frameworkcontroller', 'rest-server'] },
  {
    name: 'storage-manager',
    prerequisites: ['cluster-configuration', 'rest-server'],
    skipReason: (i) => (hasStorageNode(i) ? undefined : 'no machine has pai-storage: "true"'),
  },
  { name: 'webportal', prerequisites: ['cluster-configuration', 'rest-server'] },
];

export interface ServicePlan {
  /** Services to start, each after all of its prerequisites, grouped in layers that may start together. */
  layers: string[][];
  skipped: Array<{ name: string; reason: string }>;
}

/** A cycle among services' prerequisites: no start order exists. */
export class ServiceCycleError extends PaiDeployError {
  /** The services of one cycle, in prerequisite order, the first repeated at the end: a → b → a. */
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super(`the services' prerequisites form a cycle: ${cycle.join(' → ')}`, {
      exitCode: ExitCode.usage,
      hint: `No start order exists: remove one of these prerequisites from its src/<service>/deploy/service.yaml.`,
    });
    this.cycle = cycle;
  }
}

/** A service to order: its name and what must start before it. */
export interface OrderableService {
  readonly name: string;
  readonly prerequisites: readonly string[];
}

/**
 * A deterministic start order: Kahn's algorithm by layers, names sorted within a layer. Prerequisites that name no
 * service are ignored (paictl ignored `drivers`); a skipped prerequisite still orders what it stood between (paictl
 * started even a no-op service in sequence). A cycle throws ServiceCycleError naming it.
 */
export function orderServices(
  services: readonly OrderableService[],
  skipped: ReadonlyMap<string, string> = new Map(),
): ServicePlan {
  const byName = new Map(services.map((service) => [service.name, service]));
  const active = services.filter((service) => !skipped.has(service.name)).map((service) => service.name);
  const activeSet = new Set(active);
  const effectivePrerequisites = (name: string, seen = new Set<string>()): string[] =>
    (byName.get(name)?.prerequisites ?? []).flatMap((prerequisite) => {
      if (activeSet.has(prerequisite)) return [prerequisite];
      if (seen.has(prerequisite) || !byName.has(prerequisite)) return [];
      seen.add(prerequisite);
      return effectivePrerequisites(prerequisite, seen);
    });
  const edges = new Map(active.map((name) => [name, effectivePrerequisites(name)]));
  const remaining = new Map([...edges].map(([name, deps]) => [name, new Set(deps)]));
  const layers: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining]
      .filter(([, deps]) => deps.size === 0)
      .map(([name]) => name)
      .sort();
    if (ready.length === 0) throw new ServiceCycleError(findCycle([...remaining.keys()].sort(), edges));
    for (const name of ready) remaining.delete(name);
    for (const deps of remaining.values()) for (const name of ready) deps.delete(name);
    layers.push(ready);
  }
  return {
    layers,
    skipped: services.flatMap((service) => {
      const reason = skipped.get(service.name);
      return reason === undefined ? [] : [{ name: service.name, reason }];
    }),
  };
}

/** One cycle among `names` (each of which is on or leads to one): walk prerequisites until a name repeats. */
function findCycle(names: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const candidates = new Set(names);
  const path: string[] = [];
  let current = names[0];
  while (current !== undefined && !path.includes(current)) {
    path.push(current);
    current = (edges.get(current) ?? []).filter((next) => candidates.has(next)).sort()[0];
  }
  if (current === undefined) return [...names];
  return [...path.slice(path.indexOf(current)), current];
}

/** The start order of pai-deploy's built-in v1.8.0 catalog for this cluster (`pai-deploy plan`). */
export function planServices(input: ClusterSpec, catalog: readonly ServiceSpec[] = serviceCatalog): ServicePlan {
  const skipped = new Map<string, string>();
  for (const spec of catalog) {
    const reason = spec.skipReason?.(input);
    if (reason) skipped.set(spec.name, reason);
  }
  return orderServices(catalog, skipped);
}
