import { readAsset } from '../assets.js';
import { parseYamlSource } from '../config/yaml-source.js';
import type { PathSegment } from '../findings/finding.js';
import { configVarDefaults } from '../config/kubespray-overrides.js';
import type { ClusterConfig } from '../model/cluster.js';
import { kubesprayDefaults } from './release-2.11.js';

export type VarLayer = 'kubespray-default' | 'openpai-default' | 'config' | 'extra-var';

/** A kubespray variable as the playbook will see it, and where that value came from. */
export interface EffectiveVar {
  value: unknown;
  layer: VarLayer;
  /** The config.yaml field that set it (config and extra-var layers). */
  configPath?: PathSegment[];
}

export const OPENPAI_VARS_TEMPLATE = 'inventory-templates/openpai.yml';

/** Values of the static OpenPAI template, parsed as Ansible will parse them. */
export function openpaiStaticVars(): Record<string, unknown> {
  // Read as Ansible reads it (YAML 1.1, PyYAML's values), with the reader every input file goes through.
  const parsed: unknown = parseYamlSource(OPENPAI_VARS_TEMPLATE, Buffer.from(readAsset(OPENPAI_VARS_TEMPLATE))).value;
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

export class EffectiveVars {
  private readonly vars = new Map<string, EffectiveVar>();

  set(name: string, entry: EffectiveVar): void {
    this.vars.set(name, entry);
  }

  get(name: string): EffectiveVar | undefined {
    return this.vars.get(name);
  }

  value(name: string): unknown {
    return this.vars.get(name)?.value;
  }

  /** True when the user set it (config.yaml or openpai_kubespray_extra_var), not a default. */
  isUserSet(name: string): boolean {
    const layer = this.vars.get(name)?.layer;
    return layer === 'config' || layer === 'extra-var';
  }

  names(): string[] {
    return [...this.vars.keys()];
  }
}

/**
 * The effective kubespray variables: kubespray's defaults, overridden by OpenPAI's values, by the config.yaml keys
 * OpenPAI maps onto kubespray variables, and last by openpai_kubespray_extra_var.
 */
export function computeEffectiveVars(config: Pick<ClusterConfig, 'kubespray'>): EffectiveVars {
  const vars = new EffectiveVars();
  for (const [name, value] of Object.entries(kubesprayDefaults)) vars.set(name, { value, layer: 'kubespray-default' });
  for (const [name, value] of Object.entries(openpaiStaticVars())) vars.set(name, { value, layer: 'openpai-default' });
  for (const [name, value] of Object.entries(configVarDefaults)) vars.set(name, { value, layer: 'openpai-default' });
  for (const { name, value, layer, configPath } of config.kubespray) vars.set(name, { value, layer, configPath });
  return vars;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value kubespray computes with Jinja at run time; offline rules cannot judge it. */
export function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}
