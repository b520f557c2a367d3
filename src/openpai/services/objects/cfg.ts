/**
 * The values of `cluster_cfg` (OpenPAI's cluster object model, as the templates see it) that the service recipes
 * read, each through one small typed accessor. They are kept together so that they can be switched to the typed
 * object model (src/openpai/model/) in one place; nothing else in the recipes indexes cfg directly.
 *
 * Two kinds of reads, as the Jinja templates of OpenPAI v1.8.0 made them:
 * - values a step needs (the registry secret's name, a password): missing or of the wrong type fails with a
 *   ClusterCfgError naming the key (never the value);
 * - gates (`{% if cluster_cfg[...] == 'true' %}` in start.sh): a missing key is off, as Jinja's test of an undefined
 *   value is false. OpenPAI compared most flags with the string `'true'`; a YAML boolean `true` counts as well,
 *   since pai-deploy accepts both spellings elsewhere (role flags).
 */
import type { ServiceContext } from '../recipe.js';
import { ClusterCfgError } from './errors.js';

type CfgContext = Pick<ServiceContext, 'service' | 'cfg'>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path`, or undefined when any level is missing (or not a mapping). */
export function cfgValue(cfg: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = cfg;
  for (const key of path) {
    if (!isRecord(value)) return undefined;
    value = value[key];
  }
  return value;
}

function keyOf(path: readonly string[]): string {
  return path.join('.');
}

/** A string the step cannot do without (numbers are taken as their text, as Jinja printed them). */
export function requireString(context: CfgContext, path: readonly string[]): string {
  const value = cfgValue(context.cfg, path);
  if (value === undefined || value === null) throw new ClusterCfgError(context.service, keyOf(path), 'is missing');
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '')
    throw new ClusterCfgError(
      context.service,
      keyOf(path),
      typeof value === 'string' ? 'is empty' : `must be a string, not ${describeType(value)}`,
    );
  return value;
}

/** A string that may be left out (undefined then); of another type it is an error. */
export function optionalString(context: CfgContext, path: readonly string[]): string | undefined {
  const value = cfgValue(context.cfg, path);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string')
    throw new ClusterCfgError(context.service, keyOf(path), `must be a string, not ${describeType(value)}`);
  return value;
}

/** A `'true'` flag as start.sh tested it (`== 'true'`); `true` counts too, anything else (or nothing) is off. */
export function flag(cfg: Readonly<Record<string, unknown>>, path: readonly string[]): boolean {
  const value = cfgValue(cfg, path);
  return value === true || value === 'true';
}

/** Jinja's truthiness (`{% if x %}`): undefined, null, false, 0, '' and empty lists and mappings are false. */
export function truthy(cfg: Readonly<Record<string, unknown>>, path: readonly string[]): boolean {
  const value = cfgValue(cfg, path);
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return `a ${typeof value}`;
}

// ---- the layout ------------------------------------------------------------------------------------------------

/** One machine of `layout.machine-list` as the recipes need it. */
export interface CfgMachine {
  hostname: string;
  machineType: string | undefined;
  paiMaster: boolean;
  paiWorker: boolean;
  paiStorage: boolean;
}

/**
 * The layout's machines. In OpenPAI's object model `layout.machine-list` is a mapping from hostname to machine
 * (mainParser/layout.py turns layout.yaml's list into it); a list, as layout.yaml writes it, is read too.
 */
export function machines(context: CfgContext): CfgMachine[] {
  const path = ['layout', 'machine-list'];
  const list = cfgValue(context.cfg, path);
  if (list === undefined) throw new ClusterCfgError(context.service, keyOf(path), 'is missing');
  const entries: Array<[string | undefined, unknown]> = Array.isArray(list)
    ? list.map((machine) => [undefined, machine])
    : isRecord(list)
      ? Object.entries(list)
      : [];
  if (!Array.isArray(list) && !isRecord(list))
    throw new ClusterCfgError(context.service, keyOf(path), `must be a mapping or a list, not ${describeType(list)}`);
  return entries.map(([key, machine], index) => {
    const where = [...path, key ?? String(index)];
    if (!isRecord(machine)) throw new ClusterCfgError(context.service, keyOf(where), 'must be a mapping');
    const hostname = machine['hostname'] ?? key;
    if (typeof hostname !== 'string' || hostname === '')
      throw new ClusterCfgError(context.service, keyOf([...where, 'hostname']), 'is missing');
    const machineType = machine['machine-type'];
    const isTrue = (name: string) => machine[name] === 'true' || machine[name] === true;
    return {
      hostname,
      machineType: typeof machineType === 'string' ? machineType : undefined,
      paiMaster: isTrue('pai-master'),
      paiWorker: isTrue('pai-worker'),
      paiStorage: isTrue('pai-storage'),
    };
  });
}

/** `layout.machine-sku[sku].computing-device.type` for every sku that has one. */
export function skuDeviceTypes(context: CfgContext): Map<string, string> {
  const path = ['layout', 'machine-sku'];
  const skus = cfgValue(context.cfg, path);
  if (skus === undefined) throw new ClusterCfgError(context.service, keyOf(path), 'is missing');
  if (!isRecord(skus)) throw new ClusterCfgError(context.service, keyOf(path), 'must be a mapping');
  const types = new Map<string, string>();
  for (const [name, sku] of Object.entries(skus)) {
    const type = cfgValue(isRecord(sku) ? sku : {}, ['computing-device', 'type']);
    if (type === undefined) continue;
    if (typeof type !== 'string' || type === '')
      throw new ClusterCfgError(
        context.service,
        keyOf([...path, name, 'computing-device', 'type']),
        'must be a string',
      );
    types.set(name, type);
  }
  return types;
}

/** Whether a machine has `pai-storage: "true"` (storage-manager's start.sh gate). */
export function hasStorageMachine(context: CfgContext): boolean {
  return machines(context).some((machine) => machine.paiStorage);
}

/**
 * The computing-device types the device-plugin service deploys plugins for, in a stable order: OpenPAI's
 * `device-plugin.devices` (services-configuration.yaml; its default is `["nvidia.com/gpu"]`, so the NVIDIA plugin
 * was deployed even on a cluster without GPUs), plus the type of every worker's sku (device_plugin.py adds those).
 */
export function devicePluginDevices(context: CfgContext): string[] {
  const path = ['device-plugin', 'devices'];
  const configured = cfgValue(context.cfg, path);
  let devices: string[];
  if (configured === undefined || configured === null) devices = ['nvidia.com/gpu'];
  else if (Array.isArray(configured) && configured.every((device) => typeof device === 'string'))
    devices = [...(configured as string[])];
  else throw new ClusterCfgError(context.service, keyOf(path), 'must be a list of device types');
  const bySku = skuDeviceTypes(context);
  for (const machine of machines(context)) {
    if (!machine.paiWorker || machine.machineType === undefined) continue;
    const type = bySku.get(machine.machineType);
    if (type !== undefined && !devices.includes(type)) devices.push(type);
  }
  return devices;
}

// ---- cluster.common and cluster.docker-registry ------------------------------------------------------------------

/** `cluster.common.cluster-type`: `k8s` for every v1.8 cluster (the object model refuses anything else). */
export function clusterType(context: CfgContext): string {
  return optionalString(context, ['cluster', 'common', 'cluster-type']) ?? 'k8s';
}

/** `cluster.common.job-history == 'true'`: fluentd's gate. */
export const jobHistoryEnabled = (context: CfgContext): boolean =>
  flag(context.cfg, ['cluster', 'common', 'job-history']);

/** `cluster.common.dshuttle == 'true'`: the gate of dshuttle-master, -worker and -csi (no default: off). */
export const dshuttleEnabled = (context: CfgContext): boolean => flag(context.cfg, ['cluster', 'common', 'dshuttle']);

/** rest-server applies its rbac.yaml only when `k8s-rbac == 'true'`. */
export const k8sRbacTrue = (context: CfgContext): boolean => flag(context.cfg, ['cluster', 'common', 'k8s-rbac']);

/**
 * k8s-dashboard deploys only when `k8s-rbac != 'false'`: the opposite test of rest-server's, so a missing key means
 * on here.
 */
export function k8sRbacNotFalse(context: CfgContext): boolean {
  const value = cfgValue(context.cfg, ['cluster', 'common', 'k8s-rbac']);
  return value !== 'false' && value !== false;
}

/** `{% if cluster_cfg['docker-cache']['enabled'] %}`: docker-cache's gate (off unless enable_docker_cache). */
export const dockerCacheEnabled = (context: CfgContext): boolean => {
  const value = cfgValue(context.cfg, ['docker-cache', 'enabled']);
  // A string "false" was truthy for Jinja; no quick-start ever wrote one (it writes the key only when true).
  return value === 'false' ? false : truthy(context.cfg, ['docker-cache', 'enabled']);
};

/**
 * `cluster_cfg['hivedscheduler']['config']|length > 1`: hivedscheduler's gate (and rest-server's choice of
 * scheduler). The config is YAML text ('' when not configured); a parsed mapping counts by its keys, as Jinja's
 * length does.
 */
export function hivedConfigured(context: CfgContext): boolean {
  const value = cfgValue(context.cfg, ['hivedscheduler', 'config']);
  if (typeof value === 'string') return value.length > 1;
  if (Array.isArray(value)) return value.length > 1;
  if (isRecord(value)) return Object.keys(value).length > 1;
  return false;
}

/** `authentication.OIDC`: rest-server's auth-configuration ConfigMap, and whether rest-server creates the admin. */
export const oidcEnabled = (context: CfgContext): boolean => truthy(context.cfg, ['authentication', 'OIDC']);

/** The registry OpenPAI's images and the job images are pulled from, and the secret Kubernetes pulls with. */
export interface RegistrySettings {
  /** `docker.io`, another registry's host, or OpenPAI's word `public` (Docker Hub). */
  domain: string;
  secretName: string;
  /** Both or neither (the object model refuses one without the other). */
  credentials: { username: string; password: string } | undefined;
}

export function registrySettings(context: CfgContext): RegistrySettings {
  const base = ['cluster', 'docker-registry'];
  const domain = requireString(context, [...base, 'domain']);
  const secretName = requireString(context, [...base, 'secret-name']);
  const username = optionalString(context, [...base, 'username']);
  const password = optionalString(context, [...base, 'password']);
  if ((username === undefined) !== (password === undefined))
    throw new ClusterCfgError(
      context.service,
      keyOf([...base, username === undefined ? 'username' : 'password']),
      `is missing while ${username === undefined ? 'password' : 'username'} is set`,
      'Give docker_registry_username and docker_registry_password together in config.yaml, or neither.',
    );
  return {
    domain,
    secretName,
    credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
  };
}

// ---- services ----------------------------------------------------------------------------------------------------

/** pylon's (and k8s-dashboard's) certificate files on the machine paictl ran on: `pylon.ssl.crt_path`/`key_path`. */
export interface PylonSsl {
  crtPath: string;
  keyPath: string;
}

/**
 * `pylon.ssl` when given. pylon's start.sh tested `'ssl' in cluster_cfg['pylon']`, k8s-dashboard's also that it is
 * not empty; an empty `ssl` mapping has no paths to copy, so it counts as none for both.
 */
export function pylonSsl(context: CfgContext): PylonSsl | undefined {
  if (!truthy(context.cfg, ['pylon', 'ssl'])) return undefined;
  return {
    crtPath: requireString(context, ['pylon', 'ssl', 'crt_path']),
    keyPath: requireString(context, ['pylon', 'ssl', 'key_path']),
  };
}

/** What alert-manager's start.sh decided from its configuration. */
export interface AlertManagerSettings {
  /**
   * The email templates whose `alert-templates/<name>/{html,subject}.ejs` go into ConfigMap alert-templates, or
   * undefined when that ConfigMap is not created (alert-handler not configured, or no `email-admin` action).
   * alert_manager.py lists the folders of deploy/alert-templates into `email-configs.templates`; when cfg does not
   * carry the list, the recipe lists the folders itself.
   */
  emailTemplates: string[] | 'from-folder' | undefined;
  /** `cluster-utilization.configured`: the cluster-utilization CronJob. */
  clusterUtilization: boolean;
}

export function alertManagerSettings(context: CfgContext): AlertManagerSettings {
  const base = ['alert-manager'];
  const actions = cfgValue(context.cfg, [...base, 'actions-available']);
  const emailAdmin = Array.isArray(actions) && actions.includes('email-admin');
  let emailTemplates: AlertManagerSettings['emailTemplates'];
  if (truthy(context.cfg, [...base, 'alert-handler', 'configured']) && emailAdmin) {
    const path = [...base, 'alert-handler', 'email-configs', 'templates'];
    const listed = cfgValue(context.cfg, path);
    if (listed === undefined) emailTemplates = 'from-folder';
    else if (Array.isArray(listed) && listed.every((name) => typeof name === 'string'))
      emailTemplates = [...(listed as string[])];
    else throw new ClusterCfgError(context.service, keyOf(path), 'must be a list of template names');
  }
  return {
    emailTemplates,
    clusterUtilization: truthy(context.cfg, [...base, 'cluster-utilization', 'configured']),
  };
}

/** dshuttle's private registry login (`dshuttle.registry_username`/`registry_password`), required when enabled. */
export function dshuttleRegistry(context: CfgContext): { username: string; password: string } {
  return {
    username: requireString(context, ['dshuttle', 'registry_username']),
    password: requireString(context, ['dshuttle', 'registry_password']),
  };
}
