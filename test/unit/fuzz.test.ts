import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Finding } from '../../src/findings/finding.js';
import { renderCluster } from '../../src/render/render-cluster.js';
import { validateCluster } from '../../src/rules/validate-cluster.js';
import { baseConfig, baseLayout, tempDir, writeInputs } from '../support/fixtures.js';
import { prng } from '../support/prng.js';

/** Property: whatever bytes arrive, the loader answers with well-formed findings (or a valid, renderable model). */
const dir = tempDir();
const EXAMPLE_LAYOUT = readFileSync(new URL('../../examples/layout.yaml', import.meta.url), 'utf8');
const EXAMPLE_CONFIG = readFileSync(new URL('../../examples/config.yaml', import.meta.url), 'utf8');

const KEYS = [
  'machine-sku',
  'machine-list',
  'hostname',
  'hostip',
  'machine-type',
  'pai-master',
  'pai-worker',
  'mem',
  'cpu',
  'vcore',
  'computing-device',
  'type',
  'count',
  'user',
  'password',
  'docker_image_tag',
  'openpai_kubespray_extra_var',
  'kube_pods_subnet',
  'kubelet_max_pods',
  'kubernetes',
  'x',
];

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor(random() * 2 ** 33) - 2 ** 32;
    case 3:
      return random() * 1000;
    case 4:
      return ['true', '10.0.0.1', '60Gi', 'v1.15.11', '', 'pai-master-01', '10.0.0.0/8', '{{ x }}', 'é☃'][
        Math.floor(random() * 9)
      ];
    case 5:
      return String.fromCharCode(
        ...Array.from({ length: Math.floor(random() * 12) }, () => 32 + Math.floor(random() * 95)),
      );
    case 6:
    case 7: {
      const map: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--)
        map[KEYS[Math.floor(random() * KEYS.length)]!] = randomValue(random, depth + 1);
      return map;
    }
    default:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  }
}

function mutate(text: string, random: () => number): string {
  const lines = text.split('\n');
  for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
    const at = Math.floor(random() * lines.length);
    const line = lines[at] ?? '';
    switch (Math.floor(random() * 6)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, line);
        break;
      case 2:
        lines[at] = ' ' + line;
        break;
      case 3:
        lines[at] = line.slice(0, Math.floor(random() * line.length));
        break;
      case 4:
        lines[at] = line.replace(/[a-z]/, String.fromCharCode(33 + Math.floor(random() * 90)));
        break;
      default:
        lines[at] = line + ['[', '{', ':', '&a', '*a', '"', '\t', '- '][Math.floor(random() * 8)];
        break;
    }
  }
  return lines.join('\n');
}

function expectWellFormed(findings: readonly Finding[]): void {
  for (const finding of findings) {
    expect(['error', 'warning']).toContain(finding.severity);
    expect(finding.code).toMatch(/^[a-z0-9.-]+$/);
    expect(finding.file).not.toBe('');
    expect(Number.isInteger(finding.line) && finding.line >= 0).toBe(true);
    expect(Number.isInteger(finding.column) && finding.column >= 0).toBe(true);
    expect(finding.message).not.toBe('');
    expect(finding.hint).not.toBe('');
  }
}

async function check(layout: string | Buffer, config: string | Buffer): Promise<{ valid: boolean }> {
  const { layoutPath, configPath } = writeInputs(dir, layout, config);
  const result = await validateCluster({ kind: 'yaml', path: layoutPath }, configPath);
  expectWellFormed([...result.errors, ...result.warnings]);
  if (result.valid) {
    expect(result.errors).toEqual([]);
    const files = renderCluster(result.input!);
    for (const file of files) expect(() => parse(file.content, { version: '1.1' })).not.toThrow();
  } else {
    expect(result.errors.length).toBeGreaterThan(0);
  }
  return result;
}

describe('fuzzing the loader', { timeout: 120_000 }, () => {
  const config = stringify(baseConfig());
  it('answers random bytes with findings, never a crash', async () => {
    const random = prng(1);
    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      const result = await check(bytes, config);
      expect(result.valid).toBe(false);
      const asConfig = await check(stringify(baseLayout()), bytes);
      expect(asConfig.valid).toBe(false);
    }
  });

  it('answers random YAML structures with findings, never a crash', async () => {
    const random = prng(2);
    for (let i = 0; i < 200; i++) {
      const value = randomValue(random, 0);
      await check(stringify(value), config);
      await check(stringify(baseLayout()), stringify(value));
    }
  });

  it('answers mutated real files with findings or a renderable model', async () => {
    const random = prng(3);
    let invalid = 0;
    for (let i = 0; i < 200; i++) {
      const layoutResult = await check(mutate(EXAMPLE_LAYOUT, random), EXAMPLE_CONFIG);
      const configResult = await check(EXAMPLE_LAYOUT, mutate(EXAMPLE_CONFIG, random));
      invalid += Number(!layoutResult.valid) + Number(!configResult.valid);
    }
    // The mutations must really break files most of the time, or this test would prove nothing.
    expect(invalid).toBeGreaterThan(100);
  });
});
