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

/**
 * A deterministic start order: Kahn's algorithm by layers, names sorted within a layer. Prerequisites that are
 * skipped for this cluster are ignored (as paictl does). A cycle is a bug in the catalog and throws.
 */
export function planServices(input: ClusterSpec, catalog: readonly ServiceSpec[] = serviceCatalog): ServicePlan {
  const skipped: Array<{ name: string; reason: string }> = [];
  const active = new Map<string, ServiceSpec>();
  for (const spec of catalog) {
    const reason = spec.skipReason?.(input);
    if (reason) skipped.push({ name: spec.name, reason });
    else active.set(spec.name, spec);
  }
  const byName = new Map(catalog.map((spec) => [spec.name, spec]));
  // A skipped prerequisite still orders what it stood between (as paictl starts even a no-op service in sequence).
  const effectivePrerequisites = (name: string, seen = new Set<string>()): string[] =>
    (byName.get(name)?.prerequisites ?? []).flatMap((prerequisite) => {
      if (active.has(prerequisite)) return [prerequisite];
      if (seen.has(prerequisite)) return [];
      seen.add(prerequisite);
      return effectivePrerequisites(prerequisite, seen);
    });
  const remaining = new Map([...active.keys()].map((name) => [name, new Set(effectivePrerequisites(name))]));
  const layers: string[][] = [];
  while (remaining.size > 0) {
    const ready = [...remaining]
      .filter(([, deps]) => deps.size === 0)
      .map(([name]) => name)
      .sort();
    if (ready.length === 0)
      throw new Error(`service dependency cycle among: ${[...remaining.keys()].sort().join(', ')}`);
    for (const name of ready) remaining.delete(name);
    for (const deps of remaining.values()) for (const name of ready) deps.delete(name);
    layers.push(ready);
  }
  return { layers, skipped };
}
