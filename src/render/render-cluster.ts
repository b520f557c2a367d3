import type { FileToWrite } from '../ports/ports.js';
import type { ClusterSpec } from '../model/cluster.js';
import { renderOpenpaiLayout, renderServicesConfiguration } from './cluster-cfg.js';
import { renderHostsYml } from './inventory.js';
import { renderOpenpaiVars } from './openpai-vars.js';

/** Relative to the output directory, with forward slashes; 0o600 for files holding a secret, 0o644 otherwise. */
export type RenderedFile = FileToWrite;

/**
 * Everything kubespray and OpenPAI need, as bytes, in a fixed order. Pure: the same input gives the same bytes.
 */
export function renderCluster(input: ClusterSpec): RenderedFile[] {
  const configHasSecret = input.config.holdsSecret;
  return [
    {
      path: 'inventory/hosts.yml',
      content: renderHostsYml(input),
      mode: 0o644,
      description: 'kubespray inventory (no passwords)',
    },
    {
      path: 'inventory/openpai.yml',
      content: renderOpenpaiVars(input),
      mode: configHasSecret ? 0o600 : 0o644,
      description: 'kubespray extra vars (-e @openpai.yml)',
    },
    {
      path: 'cluster-cfg/layout.yaml',
      content: renderOpenpaiLayout(input),
      mode: 0o644,
      description: 'OpenPAI layout',
    },
    {
      path: 'cluster-cfg/config.yaml',
      content: input.config.text,
      mode: configHasSecret ? 0o600 : 0o644,
      description: 'OpenPAI config (as written)',
    },
    {
      path: 'cluster-cfg/services-configuration.yaml',
      content: renderServicesConfiguration(input),
      // Always holds at least the initial admin password.
      mode: 0o600,
      description: 'OpenPAI services configuration',
    },
  ];
}
