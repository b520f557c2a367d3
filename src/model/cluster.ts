import type { PathSegment } from '../findings/finding.js';
import type { FindingSources } from '../findings/sink.js';

/**
 * The typed, normalized cluster every rule, renderer, check and phase reads. Built in one place (src/config/) from
 * layout.yaml + config.yaml (or OpenPAI's CSV lists); defaults are decided there and nowhere else. The raw documents
 * are kept only as locators, to place findings at file:line:col.
 */
export interface ComputingDevice {
  type: string;
  model: string | undefined;
  count: number;
}

export interface MachineSku {
  name: string;
  /** As written, e.g. "60Gi"; empty when missing or not a string. */
  mem: string;
  /** Whether layout.yaml gave mem as a string (possibly empty: `mem: ""` is a mistake of its own). */
  memGiven: boolean;
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

export interface SshAccess {
  user: string;
  port: number;
  /** Whether config.yaml set ssh_port (the inventory then names it). */
  portSet: boolean;
  /** ssh_key_file_path as written, and resolved to an absolute path (~ and config-relative paths expanded). */
  keyFile: { asWritten: string; path: string } | undefined;
  password: string | undefined;
}

export interface RegistryConfig {
  domain: string;
  namespace: string;
  /** The OpenPAI release to deploy (docker_image_tag). */
  tag: string;
  /** Both or neither (a rule reports one without the other). */
  username: string | undefined;
  password: string | undefined;
}

export type DockerCache =
  | { enabled: false }
  | {
      enabled: true;
      /** Whether config.yaml named the backend (azure is OpenPAI's default). */
      backendSet: boolean;
      storage:
        | { backend: 'azure'; accountName: string; accountKey: string; containerName: string }
        | { backend: 'filesystem'; mountPath: string };
      remoteUrl: string | undefined;
      htpasswd: string | undefined;
    };

/** A kubespray variable config.yaml sets, with the field behind it (for provenance in findings). */
export interface KubesprayOverride {
  name: string;
  value: unknown;
  layer: 'config' | 'extra-var';
  configPath: PathSegment[];
}

export interface ClusterConfig {
  /** pai-deploy's cluster id (default "pai"): names the work dir and OpenPAI's cluster-id. */
  clusterId: string;
  /** devbox_image: the image kubespray runs in, when config.yaml names one (--devbox-image wins). */
  devboxImage: string | undefined;
  ssh: SshAccess;
  registry: RegistryConfig;
  /** qos-switch and enable_marketplace, from "true"/"false" strings or booleans. */
  qosSwitch: boolean;
  marketplace: boolean;
  hivedScheduler: boolean;
  dockerDataRoot: string;
  dockerCache: DockerCache;
  hostDaemonPorts: { start: number; end: number; startSet: boolean };
  /** Config-driven kubespray variables, then openpai_kubespray_extra_var (YAML types kept), in that order. */
  kubespray: KubesprayOverride[];
  /** openpai_kubespray_extra_var as written (a mapping; {} when absent). */
  extraVars: Record<string, unknown>;
  /** Whether config.yaml holds any secret (then every file copied from it is 0600). */
  holdsSecret: boolean;
  /** config.yaml as the user wrote it, kept with its comments in the rendered cluster-cfg. */
  text: string;
  /** The directory config-relative paths were resolved against. */
  dir: string;
}

export interface ClusterSpec extends FindingSources {
  layout: Layout;
  config: ClusterConfig;
}
