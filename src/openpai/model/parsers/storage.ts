/**
 * The parsers of the storage and data services (OpenPAI v1.8.0): postgresql, internal-storage,
 * database-controller, docker-cache, storage-manager, the marketplace trio, dshuttle and k8s-job-exit-spec. Most
 * are the defaults with the user's section over them plus an address on the master.
 */
import { quote } from '../../../findings/finding.js';
import {
  defaultsMap,
  httpUrl,
  masterIp,
  need,
  origin,
  python,
  sectionWhere,
  type ParserFactory,
  type ServiceInput,
} from '../parser.js';
import { pyFormat, pyInt, pyJsonDumps, PythonFailure } from '../python.js';
import type { ModelMap } from '../types.js';
import { get, has, put, shallowMerge } from '../values.js';

const merged = (input: ServiceInput): ModelMap => shallowMerge(defaultsMap(input), input.section);

/** `'http://{master}:{conf[key]}'` stored under `as`. */
function withUri(input: ServiceInput, conf: ModelMap, key: string, as = 'uri'): ModelMap {
  put(conf, as, httpUrl(input, origin(input, [key]), masterIp(input), need(input, conf, key)));
  return conf;
}

/**
 * A PostgreSQL database on the master: `host` and the `connection-str` its clients use, from user, passwd, port
 * and db. (postgresql's and marketplace-db's parsers also require a master; the layout's check already did.)
 */
function database(input: ServiceInput): ModelMap {
  const conf = merged(input);
  const ip = masterIp(input);
  put(conf, 'host', ip);
  const [user, passwd, port, db] = ['user', 'passwd', 'port', 'db'].map((key) => need(input, conf, key));
  put(
    conf,
    'connection-str',
    python(input, sectionWhere(input), () => pyFormat`postgresql://${user!}:${passwd!}@${ip}:${port!}/${db!}`),
  );
  return conf;
}

export const postgresql: ParserFactory = (input) => ({ pre() {}, run: () => database(input), post() {} });
export const marketplaceDb: ParserFactory = (input) => ({ pre() {}, run: () => database(input), post() {} });

export const internalStorage: ParserFactory = (input) => {
  const conf = merged(input);
  return {
    pre() {
      const type = get(conf, 'type') ?? '';
      if (type !== 'hostPath') {
        input.report.error(
          'model-internal-storage-type',
          origin(input, ['type']),
          `internal storage type ${quote(type)} is not one OpenPAI v1.8.0 knows (hostPath)`,
          'Write internal-storage.type: hostPath (a directory on the master, root-path, of quota-gb).',
        );
        return;
      }
      const quota = pyInt(need(input, conf, 'quota-gb'));
      if (quota instanceof PythonFailure || quota < 1) {
        input.report.error(
          'model-internal-storage-quota',
          origin(input, ['quota-gb']),
          `quota-gb must be a whole number of at least 1, not ${quote(conf['quota-gb'])}`,
          'Write the size of the internal storage in GB, e.g. quota-gb: 30.',
        );
      }
    },
    run() {
      put(conf, 'master-ip', masterIp(input));
      put(conf, 'quota-gb', pyInt(conf['quota-gb']) as number);
      return conf;
    },
    post() {},
  };
};

export const databaseController: ParserFactory = (input) => ({
  pre() {},
  run: () => withUri(input, merged(input), 'write-merger-port', 'write-merger-url'),
  post() {},
});

export const dockerCache: ParserFactory = (input) => ({
  pre() {},
  // The cache is reached through its NodePort on the master.
  run: () => withUri(input, merged(input), 'service_nodeport'),
  post() {},
});

export const marketplaceRestserver: ParserFactory = (input) => ({
  pre() {},
  run() {
    const conf = withUri(input, merged(input), 'server-port');
    const storage = need(input, conf, 'azure_storage');
    put(
      conf,
      'azure_storage_json',
      python(input, origin(input, ['azure_storage']), () => pyJsonDumps(storage)),
    );
    if (!has(conf, 'db_host')) put(conf, 'db_host', masterIp(input));
    return conf;
  },
  post() {},
});

export const marketplaceWebportal: ParserFactory = (input) => ({
  pre() {},
  run() {
    const conf = merged(input);
    need(input, conf, 'api-port');
    return withUri(input, conf, 'server-port');
  },
  post() {},
});

export const dshuttle: ParserFactory = (input) => ({
  pre() {},
  run: () => withUri(input, merged(input), 'master_web_port'),
  post() {},
});

export const k8sJobExitSpec: ParserFactory = (input) => ({ pre() {}, run: () => merged(input), post() {} });

/** storage-manager's Samba security modes. */
const SECURITY_TYPES = ['AUTO', 'ADS'];

export const storageManager: ParserFactory = (input) => ({
  pre() {},
  run: () => merged(input),
  post(model) {
    const type = get(model['storage-manager'] ?? {}, 'security-type');
    if (typeof type === 'string' && SECURITY_TYPES.includes(type)) return;
    input.report.error(
      'model-storage-manager-security',
      origin(input, ['security-type']),
      `security-type must be AUTO or ADS, not ${quote(type)}`,
      'Write storage-manager.security-type: AUTO (Samba users) or ADS (an Active Directory domain).',
    );
  },
});
