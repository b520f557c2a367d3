import { createHash } from 'node:crypto';
import type { KubeObject } from '../../ports/kube-api.js';

/**
 * A service's pods read its ConfigMaps and Secrets at start: a changed one does nothing to running pods, so a
 * `machine add` that changes the hived configuration would leave the scheduler on the old one. The hash of the
 * service's own ConfigMaps and Secrets goes into its workloads' pod templates: a changed configuration changes the
 * template and Kubernetes rolls exactly that service; an unchanged one leaves every object as it was.
 */
export const CONFIG_HASH_ANNOTATION = 'pai-deploy/config-hash';

const CONFIG_KINDS = new Set(['ConfigMap', 'Secret']);
const TEMPLATED_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/** sha256 (16 hex digits) of the ConfigMaps' and Secrets' names and data, in a stable order; undefined if none. */
export function configHash(objects: readonly KubeObject[]): string | undefined {
  const configs = objects
    .filter((object) => CONFIG_KINDS.has(object.kind))
    .map((object) => ({
      kind: object.kind,
      name: `${object.metadata.namespace ?? ''}/${object.metadata.name}`,
      data: sorted(object['data']),
      binaryData: sorted(object['binaryData']),
      stringData: sorted(object['stringData']),
    }))
    .sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1));
  if (configs.length === 0) return undefined;
  return createHash('sha256').update(JSON.stringify(configs)).digest('hex').slice(0, 16);
}

function sorted(value: unknown): Array<[string, unknown]> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  return Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The workload with the hash on its pod template (a copy); other objects as they are. */
export function withConfigHash(object: KubeObject, hash: string | undefined): KubeObject {
  if (hash === undefined || !TEMPLATED_KINDS.has(object.kind)) return object;
  const spec = (object['spec'] ?? {}) as { template?: { metadata?: { annotations?: Record<string, string> } } };
  const template = spec.template ?? {};
  const metadata = template.metadata ?? {};
  return {
    ...object,
    spec: {
      ...spec,
      template: {
        ...template,
        metadata: { ...metadata, annotations: { ...metadata.annotations, [CONFIG_HASH_ANNOTATION]: hash } },
      },
    },
  };
}
