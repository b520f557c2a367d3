import type { ClusterInput } from '../config/cluster-input.js';
import { isSecretConfigPath } from '../config/load-cluster.js';
import { renderOpenpaiLayout, renderServicesConfiguration } from './cluster-cfg.js';
import { renderHostsYml } from './inventory.js';
import { renderOpenpaiVars } from './openpai-vars.js';

export interface RenderedFile {
  /** Relative to the output directory, with forward slashes. */
  path: string;
  content: string;
  /** 0o600 for files holding a secret, 0o644 otherwise. */
  mode: number;
  description: string;
}

/**
 * Everything kubespray and OpenPAI need, as bytes, in a fixed order. Pure: the same input gives the same bytes.
 */
export function renderCluster(input: ClusterInput): RenderedFile[] {
  const configHasSecret = Object.keys(input.config).some((key) => isSecretConfigPath([key])) ||
    Object.keys(asRecord(input.config['openpai_kubespray_extra_var'])).some((key) => isSecretConfigPath(['openpai_kubespray_extra_var', key]));
  return [
    { path: 'inventory/hosts.yml', content: renderHostsYml(input), mode: 0o644, description: 'kubespray inventory (no passwords)' },
    { path: 'inventory/openpai.yml', content: renderOpenpaiVars(input), mode: configHasSecret ? 0o600 : 0o644, description: 'kubespray extra vars (-e @openpai.yml)' },
    { path: 'cluster-cfg/layout.yaml', content: renderOpenpaiLayout(input), mode: 0o644, description: 'OpenPAI layout' },
    { path: 'cluster-cfg/config.yaml', content: input.configText, mode: configHasSecret ? 0o600 : 0o644, description: 'OpenPAI config (as written)' },
    {
      path: 'cluster-cfg/services-configuration.yaml',
      content: renderServicesConfiguration(input),
      // Always holds at least the initial admin password.
      mode: 0o600,
      description: 'OpenPAI services configuration',
    },
  ];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
