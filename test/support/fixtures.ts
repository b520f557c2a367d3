import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';
import type { Finding } from '../../src/findings/finding.js';
import { validateCluster, type Validation } from '../../src/rules/validate-cluster.js';

export type Layout = {
  'machine-sku': Record<string, Record<string, unknown>>;
  'machine-list': Array<Record<string, unknown>>;
  [key: string]: unknown;
};
export type Config = Record<string, unknown>;

/** A small valid cluster: one master, two GPU workers, one CPU worker. */
export function baseLayout(): Layout {
  return {
    'machine-sku': {
      'master-sku': { mem: '60Gi', cpu: { vcore: 24 } },
      'gpu-sku': {
        mem: '220Gi',
        cpu: { vcore: 24 },
        'computing-device': { type: 'nvidia.com/gpu', model: 'V100', count: 4 },
      },
      'cpu-sku': { mem: '120Gi', cpu: { vcore: 48 } },
    },
    'machine-list': [
      { hostname: 'pai-master-01', hostip: '10.0.0.10', 'machine-type': 'master-sku', 'pai-master': 'true' },
      { hostname: 'pai-gpu-01', hostip: '10.0.0.11', 'machine-type': 'gpu-sku', 'pai-worker': 'true' },
      { hostname: 'pai-gpu-02', hostip: '10.0.0.12', 'machine-type': 'gpu-sku', 'pai-worker': true },
      { hostname: 'pai-cpu-01', hostip: '10.0.0.21', 'machine-type': 'cpu-sku', 'pai-worker': 'true' },
    ],
  };
}

export function baseConfig(): Config {
  return { user: 'pai', password: 'secret-pass-123', docker_image_tag: 'v1.8.0' };
}

/** A temp directory removed after the test file. */
export function tempDir(prefix = 'pai-deploy-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;

export function writeInputs(
  dir: string,
  layout: Layout | string | Buffer,
  config: Config | string | Buffer,
): { layoutPath: string; configPath: string } {
  counter++;
  const layoutPath = join(dir, `layout-${counter}.yaml`);
  const configPath = join(dir, `config-${counter}.yaml`);
  writeFileSync(
    layoutPath,
    typeof layout === 'string' || Buffer.isBuffer(layout) ? layout : stringify(layout, { version: '1.1' }),
  );
  writeFileSync(
    configPath,
    typeof config === 'string' || Buffer.isBuffer(config) ? config : stringify(config, { version: '1.1' }),
  );
  return { layoutPath, configPath };
}

export async function validate(
  dir: string,
  layout: Layout | string | Buffer,
  config: Config | string | Buffer,
): Promise<Validation> {
  const { layoutPath, configPath } = writeInputs(dir, layout, config);
  return validateCluster({ kind: 'yaml', path: layoutPath }, configPath);
}

/** Validates the base cluster after applying edits to copies of its layout and config. */
export async function validateEdited(
  dir: string,
  edit: { layout?: (layout: Layout) => void; config?: (config: Config) => void },
): Promise<Validation> {
  const layout = baseLayout();
  const config = baseConfig();
  edit.layout?.(layout);
  edit.config?.(config);
  return validate(dir, layout, config);
}

export function allFindings(result: Validation): Finding[] {
  return [...result.errors, ...result.warnings];
}

export function codes(result: Validation): string[] {
  return allFindings(result).map((finding) => finding.code);
}

export function extraVars(config: Config): Record<string, unknown> {
  const extra = (config['openpai_kubespray_extra_var'] ??= {}) as Record<string, unknown>;
  return extra;
}
