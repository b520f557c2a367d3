import { describe, expect, it } from 'vitest';
import { CONFIG_HASH_ANNOTATION, configHash, withConfigHash } from '../../src/cluster/services/config-hash.js';
import type { KubeObject } from '../../src/ports/kube-api.js';

const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});
const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'hivedscheduler', namespace: 'default' },
  spec: { template: { metadata: { labels: { app: 'hived' }, annotations: { a: 'b' } }, spec: { containers: [] } } },
};

describe("a service's configuration hash on its pod templates", () => {
  it('depends on the data of its ConfigMaps and Secrets only, not on their order or other objects', () => {
    const one = configMap('hived-config', { 'config.yaml': 'cells: 1' });
    const two = configMap('other', { x: 'y', a: 'b' });
    const base = configHash([one, two, deployment]);
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(configHash([two, one])).toBe(base);
    expect(configHash([one, configMap('other', { a: 'b', x: 'y' })])).toBe(base);
    expect(configHash([configMap('hived-config', { 'config.yaml': 'cells: 2' }), two])).not.toBe(base);
    expect(configHash([deployment])).toBeUndefined();
  });

  it('goes into workload templates, keeping their annotations; other kinds are left as they are', () => {
    const hashed = withConfigHash(deployment, 'abc');
    expect(hashed['spec']).toMatchObject({
      template: { metadata: { labels: { app: 'hived' }, annotations: { a: 'b', [CONFIG_HASH_ANNOTATION]: 'abc' } } },
    });
    expect(
      (deployment['spec'] as { template: { metadata: { annotations: object } } }).template.metadata.annotations,
    ).toEqual({ a: 'b' });
    const map = configMap('x', {});
    expect(withConfigHash(map, 'abc')).toBe(map);
    expect(withConfigHash(deployment, undefined)).toBe(deployment);
  });
});
