import { PaiDeployError } from '../errors.js';
import { KubeApiError, type KubeApi, type KubeObject } from '../ports/kube-api.js';

/**
 * OpenPAI keeps its cluster configuration in the cluster (openpai.md §4.6): ConfigMap `pai-configuration` in
 * `default`, one key per file (layout.yaml, config.yaml, services-configuration.yaml, and older keys such as
 * k8s-role-definition.yaml), and the cluster's name in ConfigMap `pai-cluster-id` (key `cluster-id`). paictl and the
 * services read them from there.
 */
export const CONFIG_MAP = { namespace: 'default', name: 'pai-configuration' } as const;
export const CLUSTER_ID_MAP = { namespace: 'default', name: 'pai-cluster-id', key: 'cluster-id' } as const;

const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'default' });

export interface StoredConfig {
  /** Undefined when the cluster has no pai-cluster-id yet (never pushed to). */
  clusterId: string | undefined;
  /** The files, by key; empty when there is no pai-configuration. */
  files: Record<string, string>;
  /** The ConfigMap's resourceVersion, the base a push's replace is conditional on. */
  resourceVersion: string | undefined;
}

export async function readStoredConfig(kube: KubeApi, signal: AbortSignal): Promise<StoredConfig> {
  const [config, id] = await Promise.all([
    kube.get(ref(CONFIG_MAP.name), signal),
    kube.get(ref(CLUSTER_ID_MAP.name), signal),
  ]);
  return {
    clusterId: dataOf(id)[CLUSTER_ID_MAP.key],
    files: dataOf(config),
    resourceVersion: config?.metadata.resourceVersion,
  };
}

export type KeyChange = 'added' | 'changed' | 'unchanged';

export interface PushPlan {
  /** Per file given: what the push does to its key. */
  keys: Record<string, KeyChange>;
  /** Keys the cluster has that the push was not given: kept as they are (OpenPAI's push dropped them). */
  kept: string[];
  /** The cluster id stored before, and whether the push sets it. */
  storedId: string | undefined;
  writesId: boolean;
}

export function planPush(stored: StoredConfig, files: Record<string, string>, clusterId: string): PushPlan {
  const keys: Record<string, KeyChange> = {};
  for (const [key, text] of Object.entries(files)) {
    keys[key] = !(key in stored.files) ? 'added' : stored.files[key] === text ? 'unchanged' : 'changed';
  }
  return {
    keys,
    kept: Object.keys(stored.files).filter((key) => !(key in files)),
    storedId: stored.clusterId,
    writesId: stored.clusterId !== clusterId,
  };
}

export interface PushOptions {
  clusterId: string;
  /** Push to a cluster whose stored id differs (renames it). */
  force: boolean;
  dryRun: boolean;
  signal: AbortSignal;
}

export interface PushResult {
  plan: PushPlan;
  /** Whether pai-configuration was written (false when every key was unchanged, or in a dry run). */
  wroteConfig: boolean;
}

/**
 * Pushes `files` into pai-configuration: merged over what is stored (a key not given stays), conditional on the
 * resourceVersion read (a push racing another fails instead of losing one's keys), refused when the stored cluster
 * id differs unless forced. A dry run asks the server to validate the writes (dryRun=All) and persists nothing.
 */
export async function pushConfig(
  kube: KubeApi,
  files: Record<string, string>,
  options: PushOptions,
): Promise<PushResult> {
  const stored = await readStoredConfig(kube, options.signal);
  const plan = planPush(stored, files, options.clusterId);
  if (stored.clusterId !== undefined && stored.clusterId !== options.clusterId && !options.force) {
    throw new ClusterIdMismatchError(stored.clusterId, options.clusterId, kube.server);
  }
  const write = { dryRun: options.dryRun, fieldManager: 'pai-deploy' };
  const changed = Object.values(plan.keys).some((change) => change !== 'unchanged');
  let wroteConfig = false;
  if (changed || stored.resourceVersion === undefined) {
    const data = { ...stored.files, ...files };
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: CONFIG_MAP.name,
        namespace: CONFIG_MAP.namespace,
        ...(stored.resourceVersion !== undefined ? { resourceVersion: stored.resourceVersion } : {}),
      },
      data,
    };
    try {
      if (stored.resourceVersion === undefined) await kube.create(object, write, options.signal);
      else await kube.replace(object, write, options.signal);
    } catch (error) {
      if (error instanceof KubeApiError && (error.reason === 'Conflict' || error.reason === 'AlreadyExists')) {
        throw new ConcurrentPushError(kube.server, error);
      }
      throw error;
    }
    wroteConfig = !options.dryRun;
  }
  if (plan.writesId) {
    const id: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CLUSTER_ID_MAP.name, namespace: CLUSTER_ID_MAP.namespace },
      data: { [CLUSTER_ID_MAP.key]: options.clusterId },
    };
    if (stored.clusterId === undefined) {
      await kube.create(id, write, options.signal).catch(async (error: unknown) => {
        if (!(error instanceof KubeApiError && error.reason === 'AlreadyExists')) throw error;
        // Another push named the cluster meanwhile: fine when it gave the same name.
        const now = dataOf(await kube.get(ref(CLUSTER_ID_MAP.name), options.signal))[CLUSTER_ID_MAP.key];
        if (now !== options.clusterId) throw new ClusterIdMismatchError(now ?? '', options.clusterId, kube.server);
      });
    } else {
      await kube.patch(
        ref(CLUSTER_ID_MAP.name),
        { type: 'merge', body: { data: { [CLUSTER_ID_MAP.key]: options.clusterId } } },
        write,
        options.signal,
      );
    }
  }
  return { plan, wroteConfig };
}

export class ClusterIdMismatchError extends PaiDeployError {
  constructor(stored: string, given: string, server: string) {
    super(`the cluster at ${server} is "${stored}", but this configuration is for "${given}"`, {
      hint: `Check the kubeconfig points at the right cluster. To rename "${stored}" to "${given}", run again with --force.`,
    });
  }
}

export class ConcurrentPushError extends PaiDeployError {
  constructor(server: string, cause: unknown) {
    super(`the cluster configuration at ${server} changed while this push was writing it (another push ran)`, {
      hint: 'Nothing of this push was written. Run it again: it merges over what the other push stored.',
      cause,
    });
  }
}

function dataOf(object: KubeObject | undefined): Record<string, string> {
  const data = object?.['data'];
  return typeof data === 'object' && data !== null ? { ...(data as Record<string, string>) } : {};
}

/** A stored key that cannot be a file name in the pull's directory (OpenPAI's keys are plain file names). */
export class UnsafeConfigKeyError extends PaiDeployError {
  constructor(key: string) {
    super(`pai-configuration holds a key "${key}" that is not a plain file name`, {
      hint: 'Nothing was written. Look at the ConfigMap (kubectl -n default get configmap pai-configuration -o yaml).',
    });
  }
}

/**
 * The stored files as files to write: every key, 0600 (config.yaml and services-configuration.yaml hold passwords,
 * and which other keys do is not knowable). A key that could escape the directory is refused before anything is
 * written.
 */
export function pulledFiles(
  stored: StoredConfig,
): Array<{ path: string; content: string; mode: number; description: string }> {
  return Object.keys(stored.files)
    .sort()
    .map((key) => {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(key) || key.includes('..')) throw new UnsafeConfigKeyError(key);
      return { path: key, content: stored.files[key]!, mode: 0o600, description: `pai-configuration ${key}` };
    });
}
