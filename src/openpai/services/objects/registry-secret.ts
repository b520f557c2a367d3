/**
 * Image pull secrets (`kubernetes.io/dockerconfigjson`) built from the registry settings.
 *
 * OpenPAI ran `docker login` on the dev-box (src/cluster/config/cluster.py) and stored `~/.docker/config.json`
 * base64-encoded in cluster_cfg, so rendering the configuration needed a Docker engine and wrote the password into
 * the dev-box's home; without credentials it stored `{}`. pai-deploy writes the same document directly: no engine,
 * no file. The values never appear in a step's description, an error or a log line.
 */
import type { KubeObject } from '../../../ports/kube-api.js';
import type { RegistrySettings } from './cfg.js';

/** The key `docker login` files Docker Hub under, and the one kubelet's credential lookup expects for it. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

/**
 * The server a registry's credentials are filed under: Docker Hub for `docker.io`, OpenPAI's `public` (cluster.py
 * logged in without a server then) or nothing; otherwise the domain as given (a host, maybe with a port).
 */
export function registryServer(domain: string): string {
  const bare = domain.trim();
  if (bare === '' || bare === 'public' || bare === 'docker.io' || bare === 'index.docker.io') return DOCKER_HUB_SERVER;
  return bare;
}

export interface RegistryLogin {
  server: string;
  username: string;
  password: string;
}

/** The `.dockerconfigjson` document: `{"auths": {server: {username, password, auth}}}`, or `{}` without a login. */
export function dockerConfigJson(login: RegistryLogin | undefined): string {
  if (login === undefined) return '{}';
  const auth = Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [login.server]: { username: login.username, password: login.password, auth } } });
}

/** A Secret of type `kubernetes.io/dockerconfigjson` holding this document. */
export function dockerConfigSecret(name: string, namespace: string, configJson: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(configJson, 'utf8').toString('base64') },
  };
}

/**
 * The namespaces cluster-configuration put the registry secret in: `default` for OpenPAI's services and jobs,
 * `kube-system` for what runs there (k8s-dashboard's Deployment).
 */
export const REGISTRY_SECRET_NAMESPACES = ['default', 'kube-system'] as const;

/** cluster-configuration's registry secret (`cluster.docker-registry.secret-name`), one per namespace. */
export function registrySecrets(registry: RegistrySettings): KubeObject[] {
  const login =
    registry.credentials === undefined
      ? undefined
      : { server: registryServer(registry.domain), ...registry.credentials };
  const configJson = dockerConfigJson(login);
  return REGISTRY_SECRET_NAMESPACES.map((namespace) => dockerConfigSecret(registry.secretName, namespace, configJson));
}
