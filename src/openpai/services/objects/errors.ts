import { ExitCode, PaiDeployError } from '../../../errors.js';

/**
 * The cluster object model (`cluster_cfg`) lacks a value a service's start, stop or delete needs, or holds one of
 * the wrong type. Names the key path, never the value: several of these keys hold passwords.
 */
export class ClusterCfgError extends PaiDeployError {
  /** The dotted key path in cluster_cfg, e.g. `cluster.docker-registry.secret-name`. */
  readonly key: string;
  constructor(service: string, key: string, problem: string, hint?: string) {
    super(`service ${service}: cluster_cfg ${key} ${problem}`, {
      exitCode: ExitCode.failed,
      hint:
        hint ??
        'cluster_cfg is built from layout.yaml and services-configuration.yaml: set the key there (pai-deploy render writes both), push the configuration again and rerun.',
    });
    this.key = key;
  }
}

/** A file a recipe reads from the service's rendered deploy folder is missing or is not what it must be. */
export class ServiceFileError extends PaiDeployError {
  readonly service: string;
  readonly path: string;
  constructor(service: string, path: string, problem: string, hint?: string) {
    super(`service ${service}: deploy/${path}: ${problem}`, {
      exitCode: ExitCode.failed,
      hint:
        hint ??
        "The file comes from the OpenPAI tree (src/<service>/deploy/) and its templates: check the tree and the rendering of the service's template-list.",
    });
    this.service = service;
    this.path = path;
  }
}
