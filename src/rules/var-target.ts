import type { EffectiveVars } from '../kubespray/effective-vars.js';
import type { FindingTarget } from '../findings/sink.js';

/**
 * Where a finding about kubespray variables should point: the config.yaml field of the first of `names` the user
 * set; the top of config.yaml when they all hold defaults.
 */
export function varTarget(vars: EffectiveVars, ...names: string[]): FindingTarget {
  for (const name of names) {
    const entry = vars.get(name);
    if (entry?.configPath) return { file: 'config', path: entry.configPath };
  }
  return { file: 'config', path: [] };
}

/** "kube_version (set in openpai_kubespray_extra_var)" or "(OpenPAI default)". */
export function provenance(vars: EffectiveVars, name: string): string {
  const entry = vars.get(name);
  switch (entry?.layer) {
    case 'extra-var':
      return 'set in openpai_kubespray_extra_var';
    case 'config':
      return `from config key ${String(entry.configPath?.[0])}`;
    case 'openpai-default':
      return "OpenPAI's default";
    case 'kubespray-default':
      return "kubespray's default";
    default:
      return 'unset';
  }
}
