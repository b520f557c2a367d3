import { quote } from '../findings/finding.js';
import type { FindingSink } from '../findings/sink.js';
import type { ClusterConfig, DockerCache } from '../model/cluster.js';
import { configDefault, configKeys, configKeySpec, type ConfigKey, type ConfigValue } from './config-schema.js';
import { kubesprayOverrides } from './kubespray-overrides.js';
import { holdsSecret, isSecretConfigPath, textHasSecretLine } from './secrets.js';
import { resolveUserPath } from './user-path.js';

/**
 * Builds the typed ClusterConfig from a parsed config.yaml, leniently: a value of the wrong shape (already reported
 * by the schema check) counts as absent, so its default applies and every other rule still runs. Every default
 * pai-deploy and OpenPAI apply is decided here, once.
 */
export function normalizeConfig(
  raw: Record<string, unknown>,
  dir: string,
  text: string,
  sink: FindingSink,
): ClusterConfig {
  /** The key's value when it is present and well-formed, else its default from the schema (if it has one). */
  const get = <K extends ConfigKey>(key: K): ConfigValue<K> | undefined => {
    const value = raw[key];
    const parsed = value === undefined ? undefined : configKeys[key].schema.safeParse(value);
    return parsed?.success ? (parsed.data as ConfigValue<K>) : configDefault(key);
  };
  const given = (key: ConfigKey): boolean =>
    raw[key] !== undefined && configKeys[key].schema.safeParse(raw[key]).success;
  const text_ = (value: string | number | undefined): string | undefined =>
    value === undefined ? undefined : String(value);
  const keyFile = get('ssh_key_file_path');
  const password = get('password');
  const extraVars = get('openpai_kubespray_extra_var') ?? {};
  return {
    clusterId: get('cluster_id') ?? 'pai',
    ssh: {
      user: get('user') ?? '',
      port: get('ssh_port') ?? 22,
      portSet: given('ssh_port'),
      keyFile: keyFile === undefined ? undefined : { asWritten: keyFile, path: resolveUserPath(keyFile, dir) },
      password: password === '' ? undefined : text_(password),
    },
    registry: {
      domain: get('docker_registry_domain') ?? 'docker.io',
      namespace: get('docker_registry_namespace') ?? 'openpai',
      tag: get('docker_image_tag') ?? '',
      username: get('docker_registry_username'),
      password: text_(get('docker_registry_password')),
    },
    qosSwitch: flag(raw, 'qos-switch', get('qos-switch'), sink),
    marketplace: flag(raw, 'enable_marketplace', get('enable_marketplace'), sink),
    hivedScheduler: get('enable_hived_scheduler') ?? true,
    dockerDataRoot: get('docker_data_root') ?? '/mnt/docker',
    dockerCache: dockerCache(get, given('docker_cache_storage_backend')),
    hostDaemonPorts: {
      start: get('host_daemon_port_start') ?? 40000,
      end: get('host_daemon_port_end') ?? 65535,
      startSet: given('host_daemon_port_start'),
    },
    kubespray: kubesprayOverrides(raw, extraVars),
    extraVars,
    holdsSecret:
      Object.keys(raw).some((key) => isSecretConfigPath([key]) && raw[key] !== undefined && raw[key] !== null) ||
      holdsSecret(raw) ||
      textHasSecretLine(text),
    text,
    dir,
  };
}

/** qos-switch and enable_marketplace: OpenPAI reads "true"/"false" strings; real booleans are accepted too. */
function flag(
  raw: Record<string, unknown>,
  key: ConfigKey,
  value: string | boolean | undefined,
  sink: FindingSink,
): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  sink.error(
    'invalid-flag',
    { file: 'config', path: [key] },
    `${quote(raw[key])} is neither "true" nor "false"`,
    `Write ${key}: "true" or "false".`,
  );
  return false;
}

type Getter = <K extends ConfigKey>(key: K) => ConfigValue<K> | undefined;

function dockerCache(get: Getter, backendSet: boolean): DockerCache {
  if (get('enable_docker_cache') !== true) return { enabled: false };
  const backend = get('docker_cache_storage_backend');
  return {
    enabled: true,
    backendSet,
    storage:
      (backend ?? 'azure') === 'azure'
        ? {
            backend: 'azure',
            accountName: get('docker_cache_azure_account_name') ?? '',
            accountKey: get('docker_cache_azure_account_key') ?? '',
            containerName: get('docker_cache_azure_container_name') ?? 'dockerregistry',
          }
        : { backend: 'filesystem', mountPath: get('docker_cache_fs_mount_path') ?? '/var/lib/registry' },
    remoteUrl: get('docker_cache_remote_url'),
    // OpenPAI documents docker_cache_htpasswd but its template reads docker_cache_registry_htpasswd; honour both.
    htpasswd: get('docker_cache_registry_htpasswd') ?? get('docker_cache_htpasswd'),
  };
}

/** Keys read only by OpenPAI v1.0-v1.4: accepted with a warning. */
export function reportObsoleteKeys(raw: Record<string, unknown>, sink: FindingSink): void {
  for (const key of Object.keys(raw)) {
    const spec = configKeySpec(key);
    if (spec?.obsolete) {
      sink.warning(
        'obsolete-key',
        { file: 'config', path: [key], part: 'key' },
        `${spec.obsolete} and is ignored`,
        spec.hint,
      );
    }
  }
}
