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
    devboxImage: get('devbox_image'),
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

/**
 * Values that end up on a daemon's command line: kubespray writes docker_options and the kubelet flags unquoted into
 * systemd units, so a space starts another flag (a docker_config_file_path of `/x -H tcp://0.0.0.0:2375` opened the
 * Docker API to the network) and a quote changes what the flag says.
 */
export function reportCommandLineValues(raw: Record<string, unknown>, sink: FindingSink): void {
  const configFile = raw['docker_config_file_path'];
  if (typeof configFile === 'string' && /[\s'"\\;&|$`]/.test(configFile)) {
    sink.error(
      'unsafe-command-line-value',
      { file: 'config', path: ['docker_config_file_path'] },
      `${quote(configFile)} holds spaces, quotes or shell characters: it is passed to dockerd as --config-file unquoted`,
      'Use a path of letters, digits, "/", ".", "-" and "_" only, e.g. /etc/docker/daemon.json.',
    );
  }
  const flags = raw['kubelet_custom_flags'];
  if (flags === null || typeof flags !== 'object' || Array.isArray(flags)) return;
  for (const [name, value] of Object.entries(flags as Record<string, unknown>)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
      sink.error(
        'unsafe-command-line-value',
        { file: 'config', path: ['kubelet_custom_flags', name], part: 'key' },
        `${quote(name)} is not a kubelet flag name (lowercase letters, digits and "-", without the leading dashes)`,
        'Write the flag as kubelet spells it without "--", e.g. serialize-image-pulls.',
      );
    }
    if (typeof value === 'string' && /[\s'"\\;&|$`]/.test(value)) {
      sink.error(
        'unsafe-command-line-value',
        { file: 'config', path: ['kubelet_custom_flags', name] },
        `the value ${quote(value)} holds spaces, quotes or shell characters: kubelet's command line is written unquoted`,
        'Give a value without spaces or quotes; lists are comma-separated, e.g. "a=1,b=2".',
      );
    }
  }
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
