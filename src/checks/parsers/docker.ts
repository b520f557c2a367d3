/** `docker info --format '{{json .}}'`, the fields the checks read. */
export interface DockerInfo {
  serverVersion: string;
  defaultRuntime: string;
  runtimes: Record<string, { path: string }>;
  cgroupDriver: string;
  dockerRootDir: string;
}

export function parseDockerInfo(text: string): DockerInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim());
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const info = parsed as Record<string, unknown>;
  if (typeof info['ServerVersion'] !== 'string' || info['ServerVersion'] === '') return undefined;
  const runtimes: Record<string, { path: string }> = {};
  if (info['Runtimes'] && typeof info['Runtimes'] === 'object') {
    for (const [name, runtime] of Object.entries(info['Runtimes'] as Record<string, Record<string, unknown>>)) {
      runtimes[name] = { path: typeof runtime?.['path'] === 'string' ? runtime['path'] : '' };
    }
  }
  return {
    serverVersion: info['ServerVersion'],
    defaultRuntime: typeof info['DefaultRuntime'] === 'string' ? info['DefaultRuntime'] : '',
    runtimes,
    cgroupDriver: typeof info['CgroupDriver'] === 'string' ? info['CgroupDriver'] : '',
    dockerRootDir: typeof info['DockerRootDir'] === 'string' ? info['DockerRootDir'] : '',
  };
}

export type DaemonJson =
  { kind: 'missing' } | { kind: 'invalid'; error: string } | { kind: 'ok'; value: Record<string, unknown> };

/** /etc/docker/daemon.json; `missing` when the file does not exist (printed as the marker by the fact command). */
export function parseDaemonJson(text: string, exists: boolean): DaemonJson {
  if (!exists) return { kind: 'missing' };
  if (text.trim() === '') return { kind: 'invalid', error: 'the file is empty (dockerd refuses to start)' };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { kind: 'invalid', error: 'not a JSON object' };
    return { kind: 'ok', value: value as Record<string, unknown> };
  } catch (error) {
    return { kind: 'invalid', error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * daemon.json keys kubespray 2.11 also passes as dockerd flags (docker-options.conf, docker-dns.conf);
 * dockerd refuses to start when a directive is given both ways.
 */
export const KUBESPRAY_DOCKERD_FLAG_KEYS = [
  'data-root',
  'graph',
  'log-driver',
  'log-opts',
  'iptables',
  'insecure-registries',
  'registry-mirrors',
  'dns',
  'dns-search',
  'dns-opts',
] as const;
