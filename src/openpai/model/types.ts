/**
 * OpenPAI v1.8.0's cluster object model: the `cluster_cfg` every service template of the release renders with
 * (`cluster_cfg['rest-server']['uri']`, `cluster_cfg['layout']['machine-list']`, ...). Keys are OpenPAI's, dashes
 * and all. Values that the parsers pass through from layout.yaml, services-configuration.yaml or a service's
 * defaults file are whatever YAML gave (ModelValue); the values the parsers compute are typed.
 */
import type { YamlTimestamp } from '../../config/yaml-source.js';
import type { Finding } from '../../findings/finding.js';

/**
 * A loaded YAML value, as src/config's reader gives it (PyYAML's safe_load values): plain JSON, except YAML 1.1
 * timestamps (YamlTimestamp, which serialises as Python's isoformat()) and !!binary (Uint8Array).
 */
export type ModelValue = string | number | boolean | null | YamlTimestamp | Uint8Array | ModelValue[] | ModelMap;
export interface ModelMap {
  [key: string]: ModelValue;
}

/** One input file: where it was read from (findings name it) and its text. */
export interface SourceText {
  path: string;
  text: string;
}

export interface ClusterModelInput {
  /** OpenPAI's layout.yaml (v1.5+). */
  layout: SourceText;
  /** OpenPAI's services-configuration.yaml. */
  servicesConfiguration: SourceText;
  /**
   * Each service's defaults, `src/<svc>/config/<svc>.yaml` of the tree, keyed by the service's directory name
   * (`rest-server`, `cluster`). A service runs its parser exactly when it has an entry here, as paictl ran the parsers
   * the tree held; the model lists services in this map's order, after `layout`.
   */
  defaults: ReadonlyMap<string, SourceText>;
  /**
   * alert-manager's e-mail templates: the names of the directories under `src/alert-manager/deploy/alert-templates/`
   * that hold both `html.ejs` and `subject.ejs` (see isAlertTemplateDirectory). alert-manager's parser lists that
   * directory itself; this module reads no files, so the caller does. Only used when e-mail is configured.
   */
  alertTemplates?: readonly string[];
}

export interface ClusterModelResult {
  /** Present when no finding is an error: paictl stopped (exit 1) at the first failed check or crash. */
  model?: ClusterObjectModel;
  findings: Finding[];
}

export type LayoutModel = {
  'machine-sku': ModelValue;
  /** layout.yaml's own `kubernetes` (as written), or the URLs derived from the master's IP. */
  kubernetes: ModelValue;
  /** machine-list keyed by hostname; each entry is the machine exactly as layout.yaml wrote it. */
  'machine-list': { [hostname: string]: ModelMap };
};

export type DockerRegistryModel = ModelMap & {
  /** `<namespace>/` for docker.io, else `<domain>/<namespace>/`. */
  prefix: string;
  username: ModelValue;
  password: ModelValue;
  /** base64 of the docker config.json (see docker-auth.ts), `e30=` (`{}`) without credentials. */
  base64code: string;
  /** The docker config.json itself, `{}` without credentials. */
  credential: string;
};

export type ClusterModel = ModelMap & {
  common: ModelMap;
  'docker-registry': DockerRegistryModel;
};

export type GroupModel = ModelMap & {
  /** The group's extension (acls defaulted) as a JSON string, rest-server reads it so. */
  extension: string;
};

export type AuthenticationModel = ModelMap & {
  OIDC: ModelValue;
  'group-manager': ModelMap & { 'admin-group': GroupModel; 'default-group': GroupModel; grouplist?: GroupModel[] };
};

export type RestServerModel = {
  uri: string;
  'server-port': ModelValue;
  'rate-limit-api-per-min': ModelValue;
  'rate-limit-list-job-per-min': ModelValue;
  'rate-limit-submit-job-per-hour': ModelValue;
  'jwt-secret': ModelValue;
  'jwt-expire-time': ModelValue;
  'default-pai-admin-username': ModelValue;
  'default-pai-admin-password': ModelValue;
  'github-owner': ModelValue;
  'github-repository': ModelValue;
  'github-path': ModelValue;
  'debugging-reservation-seconds': ModelValue;
  'enable-priority-class': ModelValue;
  'schedule-port-start': ModelValue;
  'schedule-port-end': ModelValue;
  'sql-max-connection': ModelValue;
  'hived-computing-device-envs': ModelValue;
  'log-server': ModelValue;
  log_azure_storage_account: ModelValue;
  log_azure_storage_account_key: ModelValue;
  log_azure_storage_container_name: ModelValue;
  /** The first computing-device type among the workers, `nvidia.com/gpu` when none has one. */
  'default-computing-device-type': ModelValue;
  /** `http://<ip>:4001` of the legacy `k8s-role: master` machines, comma-separated; empty for v1.5+ layouts. */
  'etcd-uris': string;
};

/** A plugin as webportal loads it: `uri` has the plugin's config as its query (a string then; otherwise as written). */
export type WebportalPlugin = { id: ModelValue; title: ModelValue; uri: ModelValue };

export type WebportalModel = {
  'server-port': ModelValue;
  uri: string;
  plugins: WebportalPlugin[];
  'webportal-address': ModelValue;
  'enable-job-transfer': ModelValue;
  marketplace: ModelValue;
  'save-template': ModelValue;
};

export type PylonModel = {
  port: ModelValue;
  uri: string;
  'uri-https': string;
  'webhdfs-legacy-port': ModelValue;
  /** `{port: 443}` updated with services-configuration's `pylon.ssl`; only when that is given. */
  ssl?: ModelMap;
};

export type HivedschedulerModel = ModelMap & {
  'webservice-port': ModelValue;
  /** The hived configuration text, every line break followed by four spaces (the template indents it so). */
  config: string;
  'structured-config': ModelValue;
  webservice: string;
};

export type DevicePluginModel = ModelMap & { devices: ModelValue[] };

export type AlertManagerModel = ModelMap & {
  port: ModelValue;
  'actions-available': ModelValue[];
  'alert-handler': ModelMap & { configured: true };
  'cluster-utilization': ModelMap & { configured: boolean };
  'job-status-change-notification': ModelMap & { configured: boolean };
  host: ModelValue;
  url: string;
};

export type UrlModel = ModelMap & { url: string };
export type UriModel = ModelMap & { uri: string };
export type DatabaseModel = ModelMap & { host: ModelValue; 'connection-str': string };

export type K8sDashboardModel = {
  'api-servers-url': ModelValue;
  'dashboard-host': ModelValue;
  'dashboard-port': number | null;
};

export interface ClusterObjectModel {
  layout: LayoutModel;
  cluster?: ClusterModel;
  authentication?: AuthenticationModel;
  'rest-server'?: RestServerModel;
  webportal?: WebportalModel;
  pylon?: PylonModel;
  hivedscheduler?: HivedschedulerModel;
  'device-plugin'?: DevicePluginModel;
  'docker-cache'?: UriModel;
  'internal-storage'?: ModelMap & { 'master-ip': ModelValue; 'quota-gb': number };
  postgresql?: DatabaseModel;
  'database-controller'?: ModelMap & { 'write-merger-url': string };
  prometheus?: UrlModel;
  'alert-manager'?: AlertManagerModel;
  grafana?: UrlModel;
  'node-exporter'?: ModelMap;
  'job-exporter'?: ModelMap;
  'log-manager'?: ModelMap;
  'storage-manager'?: ModelMap;
  'k8s-dashboard'?: K8sDashboardModel;
  /** fluentd's parser returns an empty object. */
  fluentd?: ModelMap;
  'k8s-job-exit-spec'?: ModelMap;
  'marketplace-db'?: DatabaseModel;
  'marketplace-restserver'?: UriModel & { azure_storage_json: string; db_host: ModelValue };
  'marketplace-webportal'?: UriModel;
  dshuttle?: UriModel;
  /** A service whose defaults were given but which v1.8.0 has no parser for: its defaults with its section over them. */
  [service: string]: ModelMap | undefined;
}
