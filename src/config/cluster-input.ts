import type { PathSegment, SourceLocation } from '../findings/finding.js';

/** Maps a field path of an input file to a file, line and column. */
export interface Locator {
  file: string;
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): SourceLocation;
}

export interface ComputingDevice {
  type: string;
  model: string | undefined;
  count: number;
}

export interface MachineSku {
  name: string;
  /** As written, e.g. "60Gi"; empty when missing or not a string. */
  mem: string;
  vcores: number;
  device: ComputingDevice | undefined;
}

/**
 * One machine of the layout. Fields that were missing or of the wrong type are '' (already reported by the schema
 * check); rules skip them so one mistake is reported once.
 */
export interface Machine {
  index: number;
  hostname: string;
  ip: string;
  machineType: string;
  master: boolean;
  worker: boolean;
  storage: boolean;
}

export interface Layout {
  kubernetes: { apiServersUrl: string; dashboardUrl: string } | undefined;
  skus: Map<string, MachineSku>;
  machines: Machine[];
}

/** Everything the rules and the renderers read: the normalized layout, the raw config and where each came from. */
export interface ClusterInput {
  layout: Layout;
  config: Record<string, unknown>;
  layoutSource: Locator;
  configSource: Locator;
  /** Directory config-relative paths (the SSH key) are resolved against. */
  configDir: string;
  /** config.yaml as the user wrote it (kept with its comments in the rendered cluster-cfg). */
  configText: string;
}
