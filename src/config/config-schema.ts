import { z } from 'zod';

/**
 * OpenPAI v1.5+ config.yaml (openpai.md §2.3), every key, plus pai-deploy's own few (marked).
 * Types follow what OpenPAI's consumers really need: enable_hived_scheduler / enable_docker_cache must be YAML
 * booleans (OpenPAI tests them with `is sameas true` / `is False`), qos-switch and enable_marketplace are "true"/"false"
 * strings in services-configuration (booleans are accepted and converted).
 */
const stringOrBoolean = z.union([z.string(), z.boolean()]);
const port = z.number().int().min(1).max(65535);

interface KeySpec {
  schema: z.ZodType;
  /** What belongs here: the hint of findings and the description in the JSON Schema. */
  hint: string;
  /** The value used when the key is absent (normalize-config.ts applies it; the JSON Schema shows it). */
  default?: unknown;
  secret?: boolean;
  /** Read only by OpenPAI v1.0-v1.4; accepted with a warning. */
  obsolete?: string;
}

export const configKeys = {
  user: { schema: z.string().min(1), hint: 'the SSH user on every machine, e.g. user: ubuntu (it needs sudo).' },
  password: {
    schema: z.union([z.string(), z.number()]),
    hint: 'the SSH and sudo password, quoted; leave it out when ssh_key_file_path and passwordless sudo are set up.',
    secret: true,
  },
  ssh_key_file_path: {
    schema: z.string().min(1),
    hint: 'the path of the SSH private key on the dev-box, e.g. ~/.ssh/id_rsa.',
  },
  ssh_port: { schema: port, default: 22, hint: '(pai-deploy) the SSH port of every machine, default 22.' },
  cluster_id: {
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    default: 'pai',
    hint: '(pai-deploy) the OpenPAI cluster id, lowercase letters, digits and "-"; default pai.',
  },
  devbox_image: {
    // A docker image reference: [registry/]name[:tag][@digest], no spaces (it becomes an engine API argument).
    schema: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/i),
    hint: '(pai-deploy) the dev-box image kubespray runs in, e.g. my-registry/devbox:2.7 (Ansible 2.7.x, Python <= 3.7); default: the one `pai-deploy devbox build` makes.',
  },
  docker_image_tag: {
    schema: z.string().min(1),
    hint: 'the OpenPAI release to deploy, e.g. docker_image_tag: v1.8.0.',
  },
  branch_name: { schema: z.string(), hint: 'remove it.', obsolete: 'branch_name was read by OpenPAI v1.0-v1.4 only' },
  docker_registry_domain: {
    schema: z.string().min(1),
    default: 'docker.io',
    hint: 'the registry holding OpenPAI images, default docker.io.',
  },
  docker_registry_namespace: {
    schema: z.string().min(1),
    default: 'openpai',
    hint: 'the image namespace, default openpai.',
  },
  docker_registry_username: { schema: z.string().min(1), hint: 'the registry user; set docker_registry_password too.' },
  docker_registry_password: {
    schema: z.union([z.string(), z.number()]),
    hint: 'the registry password, quoted; set docker_registry_username too.',
    secret: true,
  },
  'qos-switch': { schema: stringOrBoolean, default: 'false', hint: 'write qos-switch: "true" or "false".' },
  enable_hived_scheduler: {
    schema: z.boolean(),
    default: true,
    hint: 'write enable_hived_scheduler: true or false, unquoted.',
  },
  enable_docker_cache: {
    schema: z.boolean(),
    default: false,
    hint: 'write enable_docker_cache: true or false, unquoted.',
  },
  docker_cache_storage_backend: {
    schema: z.enum(['azure', 'filesystem']),
    default: 'azure',
    hint: 'azure or filesystem.',
  },
  docker_cache_azure_account_name: { schema: z.string(), hint: 'the Azure storage account for the docker cache.' },
  docker_cache_azure_account_key: {
    schema: z.string(),
    hint: 'the base64 Azure storage account key, quoted.',
    secret: true,
  },
  docker_cache_azure_container_name: {
    schema: z.string(),
    default: 'dockerregistry',
    hint: 'the Azure blob container, default dockerregistry.',
  },
  docker_cache_fs_mount_path: {
    schema: z.string(),
    default: '/var/lib/registry',
    hint: 'a directory on the master, default /var/lib/registry.',
  },
  docker_cache_remote_url: {
    schema: z.string(),
    hint: 'the upstream registry URL, default https://registry-1.docker.io.',
  },
  docker_cache_htpasswd: { schema: z.string(), hint: 'a base64 htpasswd line for the cache registry.', secret: true },
  docker_cache_registry_htpasswd: {
    schema: z.string(),
    hint: 'a base64 htpasswd line for the cache registry (same as docker_cache_htpasswd).',
    secret: true,
  },
  enable_marketplace: {
    schema: stringOrBoolean,
    default: 'false',
    hint: 'write enable_marketplace: "true" or "false".',
  },
  docker_check: { schema: z.boolean(), hint: 'true or false: check that docker is installed.' },
  resource_check: { schema: z.boolean(), hint: 'true or false: check memory and CPU against the layout.' },
  worker_default_docker_runtime: {
    schema: z.string(),
    hint: 'remove it; the runtime comes from machine-sku computing-device.',
    obsolete: 'worker_default_docker_runtime was read by OpenPAI v1.0-v1.4 only',
  },
  gpu_type: {
    schema: z.string(),
    hint: 'remove it; set machine-sku.<sku>.computing-device.type instead.',
    obsolete: 'gpu_type was read by OpenPAI v1.0-v1.4 only',
  },
  openpai_registry: { schema: z.string(), hint: 'the registry host the machines must resolve, default docker.io.' },
  dev_box_registry: { schema: z.string(), hint: 'the registry host the dev-box must resolve, default docker.io.' },
  docker_data_root: {
    schema: z.string().startsWith('/'),
    default: '/mnt/docker',
    hint: 'an absolute directory, default /mnt/docker.',
  },
  docker_config_file_path: { schema: z.string().startsWith('/'), hint: 'an absolute path of a dockerd config file.' },
  docker_iptables_enabled: { schema: z.boolean(), hint: 'true or false, unquoted.' },
  openpai_docker_insecure_registries: {
    schema: z.array(z.string()),
    hint: 'a list of registries, e.g. ["10.0.0.1:5000"].',
  },
  openpai_docker_registry_mirrors: { schema: z.array(z.string()), hint: 'a list of mirror URLs.' },
  gcr_image_repo: { schema: z.string(), hint: 'an image repository prefix.' },
  kube_image_repo: { schema: z.string(), hint: 'an image repository prefix, e.g. k8s.gcr.io.' },
  quay_image_repo: { schema: z.string(), hint: 'an image repository prefix.' },
  docker_image_repo: { schema: z.string(), hint: 'an image repository prefix.' },
  etcd_image_repo: { schema: z.string(), hint: 'an image repository, e.g. quay.io/coreos/etcd.' },
  pod_infra_image_repo: { schema: z.string(), hint: 'an image repository for the pause image.' },
  kubeadm_download_url: { schema: z.string(), hint: 'the URL kubespray downloads kubeadm from.' },
  hyperkube_download_url: { schema: z.string(), hint: 'the URL kubespray downloads hyperkube from.' },
  openpai_kube_network_plugin: {
    schema: z.string(),
    default: 'calico',
    hint: 'calico (default) or weave (required on Azure).',
  },
  openpai_kubespray_extra_var: {
    schema: z.record(z.string(), z.unknown()),
    hint: 'a mapping of kubespray variables, e.g. openpai_kubespray_extra_var: {kube_proxy_mode: iptables}.',
  },
  host_daemon_port_start: {
    schema: port,
    default: 40000,
    hint: "the first port of the hosts' ephemeral range, default 40000.",
  },
  host_daemon_port_end: {
    schema: port,
    default: 65535,
    hint: "the last port of the hosts' ephemeral range, default 65535.",
  },
  kubelet_custom_flags: {
    schema: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    hint: 'a mapping of kubelet flags without dashes, e.g. kubelet_custom_flags: {serialize-image-pulls: "false"}.',
  },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof configKeys;
/** The parsed type of a config.yaml key. */
export type ConfigValue<K extends ConfigKey> = z.output<(typeof configKeys)[K]['schema']>;
export const configKeyNames = Object.keys(configKeys) as ConfigKey[];
export const requiredConfigKeys: readonly ConfigKey[] = ['user', 'docker_image_tag'];
export const secretConfigKeys: ReadonlySet<string> = new Set(
  configKeyNames.filter((key) => (configKeys[key] as KeySpec).secret === true),
);

export function configKeySpec(key: string): KeySpec | undefined {
  return Object.hasOwn(configKeys, key) ? (configKeys[key as ConfigKey] as KeySpec) : undefined;
}

/** The default config.yaml leaves to a key, if any. */
export function configDefault<K extends ConfigKey>(key: K): ConfigValue<K> | undefined {
  return (configKeys[key] as KeySpec).default as ConfigValue<K> | undefined;
}

/** The whole file, for validation (loose: unknown keys are reported separately, with a "did you mean"). */
export const configSchema = z
  .looseObject(
    Object.fromEntries(
      configKeyNames.map((key) => {
        const spec = configKeys[key] as KeySpec;
        const described = spec.schema.meta({
          description: spec.hint,
          ...(spec.default !== undefined ? { default: spec.default } : {}),
        });
        return [key, requiredConfigKeys.includes(key) ? described : described.optional()];
      }),
    ),
  )
  .meta({
    description: 'OpenPAI config.yaml (v1.5+) as pai-deploy reads it; `pai-deploy config init` writes an example.',
  });
