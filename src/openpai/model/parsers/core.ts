/**
 * The parsers of cluster, authentication, rest-server, webportal and pylon (OpenPAI v1.8.0,
 * `src/<svc>/config/<svc>.py`): the cluster-wide settings and the user-facing services whose URLs the others read.
 */
import { quote } from '../../../findings/finding.js';
import { dockerCredentials, shellUnsafe } from '../docker-auth.js';
import {
  defaultsMap,
  httpUrl,
  machines,
  masterIp,
  need,
  origin,
  python,
  requireAllInModel,
  requireInModel,
  sectionWhere,
  workerDeviceTypes,
  type ModelSoFar,
  type ParserFactory,
} from '../parser.js';
import { pyInt, pyJsonDumps, PythonFailure, pyStr, pyUrlencodeDoseq, pyUrljoinQuery } from '../python.js';
import type { ModelMap, ModelValue, PylonModel, RestServerModel, WebportalModel, WebportalPlugin } from '../types.js';
import { clone, get, has, isMap, put, recursiveMerge, shallowMerge } from '../values.js';

// --- cluster ---------------------------------------------------------------------------------------------------

/** cluster.common keys OpenPAI's parser requires (every one has a default in the tree's cluster.yaml). */
const COMMON_KEYS = [
  'cluster-id',
  'cluster-type',
  'data-path',
  'job-history',
  'qos-switch',
  'az-rdma',
  'k8s-rbac',
  'deploy-in-aks',
];
const REGISTRY_KEYS = ['namespace', 'domain', 'tag', 'secret-name'];

export const cluster: ParserFactory = (input) => {
  // cluster merges recursively: `cluster.common` in services-configuration.yaml may name only what it changes.
  const conf = recursiveMerge(defaultsMap(input), input.section);
  return {
    pre() {
      const { report } = input;
      for (const part of ['common', 'docker-registry']) {
        if (!has(conf, part)) {
          report.error(
            'model-cluster-missing',
            sectionWhere(input),
            `cluster.${part} is not set, and OpenPAI's cluster parser requires it`,
            `Set cluster.${part} in services-configuration.yaml (pai-deploy render writes it).`,
          );
        } else if (!isMap(conf[part])) {
          report.error(
            'model-not-mapping',
            origin(input, [part]),
            `must be a mapping, not ${quote(conf[part])}`,
            `Write cluster.${part} as a mapping of its settings.`,
          );
        }
      }
      const common = get(conf, 'common');
      if (isMap(common)) {
        for (const key of COMMON_KEYS) {
          if (has(common, key)) continue;
          report.error(
            'model-cluster-missing',
            origin(input, ['common'], 'key'),
            `cluster.common.${key} is not set, and OpenPAI's cluster parser requires it`,
            `Set cluster.common.${key} in services-configuration.yaml; the tree's cluster.yaml normally gives it a default.`,
          );
        }
        if (has(common, 'cluster-type') && common['cluster-type'] !== 'k8s') {
          report.error(
            'model-cluster-type',
            origin(input, ['common', 'cluster-type']),
            `cluster-type is ${quote(common['cluster-type'])}; OpenPAI v1.8.0 runs on Kubernetes only ("k8s")`,
            'Write cluster.common.cluster-type: k8s (or leave it out: paictl adds it).',
          );
        }
      }
      const registry = get(conf, 'docker-registry');
      if (isMap(registry)) {
        for (const key of REGISTRY_KEYS) {
          if (has(registry, key)) continue;
          report.error(
            'model-cluster-missing',
            origin(input, ['docker-registry'], 'key'),
            `cluster.docker-registry.${key} is not set, and OpenPAI's cluster parser requires it`,
            `Set cluster.docker-registry.${key}; the tree's cluster.yaml normally gives it a default.`,
          );
        }
        if (has(registry, 'username') !== has(registry, 'password')) {
          report.error(
            'model-registry-credentials',
            origin(input, ['docker-registry', has(registry, 'username') ? 'username' : 'password'], 'key'),
            'docker-registry has a username without a password, or a password without a username',
            'Give both username and password of the registry, or neither (for a public registry).',
          );
        }
      }
    },
    run() {
      const registry = conf['docker-registry'] as ModelMap;
      const domain = python(input, origin(input, ['docker-registry', 'domain']), () =>
        pyStr(registry['domain']!, true),
      );
      const namespace = python(input, origin(input, ['docker-registry', 'namespace']), () =>
        pyStr(registry['namespace']!, true),
      );
      put(registry, 'prefix', domain !== 'docker.io' ? `${domain}/${namespace}/` : `${namespace}/`);
      if (!has(registry, 'username')) put(registry, 'username', null);
      if (!has(registry, 'password')) put(registry, 'password', null);
      const credentials = dockerCredentials(registry['domain']!, registry['username']!, registry['password']!);
      if (credentials.registry !== undefined) {
        for (const key of ['username', 'password', 'domain'])
          if (shellUnsafe(registry[key]!)) {
            input.report.warning(
              'model-registry-shell',
              origin(input, ['docker-registry', key]),
              `the registry ${key} holds characters a shell interprets; OpenPAI passed it to \`docker login\` unquoted, so its secret would have held other credentials (or none); pai-deploy uses the value as written`,
              'Nothing to do for pai-deploy; with paictl, use a password of letters, digits and _@%+=:,./- only.',
            );
          }
      }
      put(registry, 'base64code', credentials.base64code);
      put(registry, 'credential', credentials.credential);
      return conf;
    },
    post() {},
  };
};

// --- authentication --------------------------------------------------------------------------------------------

/** The keys of the user's section OpenPAI's authentication parser takes; it ignores every other one. */
const AUTH_KEYS = ['OIDC', 'OIDC-type', 'AAD', 'group-manager'];
/** re.match('^[A-Za-z0-9_]+$'): Python's `$` also matches before a final line break. */
const GROUP_NAME = /^[A-Za-z0-9_]+\n?$/;

export const authentication: ParserFactory = (input) => {
  const conf = defaultsMap(input);
  for (const key of Object.keys(input.section)) {
    if (AUTH_KEYS.includes(key)) put(conf, key, input.section[key]!);
    else {
      input.report.warning(
        'model-authentication-ignored',
        { file: 'services', path: ['authentication', key], part: 'key' },
        `OpenPAI's authentication parser ignores ${key}: it takes only ${AUTH_KEYS.join(', ')} from services-configuration.yaml`,
        'Remove the key, or move it where OpenPAI reads it (under group-manager or AAD).',
      );
    }
  }
  const gmWhere = origin(input, ['group-manager']);
  const groupWhere = (path: (string | number)[]) => origin(input, ['group-manager', ...path]);

  const groups = (): { item: ModelValue; path: (string | number)[] }[] => {
    const gm = get(conf, 'group-manager');
    if (!isMap(gm)) return [];
    const out: { item: ModelValue; path: (string | number)[] }[] = [];
    for (const key of ['admin-group', 'default-group']) if (has(gm, key)) out.push({ item: gm[key]!, path: [key] });
    const list = get(gm, 'grouplist');
    if (Array.isArray(list)) list.forEach((item, index) => out.push({ item, path: ['grouplist', index] }));
    return out;
  };

  const checkGroup = (item: ModelValue, path: (string | number)[]): void => {
    const { report } = input;
    if (!isMap(item) || !has(item, 'groupname')) {
      report.error(
        'model-group-schema',
        groupWhere(path),
        isMap(item) ? 'the group has no groupname' : `a group must be a mapping, not ${quote(item)}`,
        'Give every group a groupname (letters, digits and underscores), a description, an externalName and its extension.',
      );
      return;
    }
    const name = item['groupname'];
    if (typeof name !== 'string' || !GROUP_NAME.test(name)) {
      report.error(
        'model-group-name',
        groupWhere([...path, 'groupname']),
        `group name ${quote(name)} may hold only letters, digits and underscores`,
        'Rename the group: rest-server stores groups under this name.',
      );
    }
    if (!has(item, 'extension')) return;
    const extension = item['extension'];
    if (!isMap(extension)) {
      report.error(
        'model-group-schema',
        groupWhere([...path, 'extension']),
        `a group's extension must be a mapping, not ${quote(extension)}`,
        'Write extension as a mapping with acls (virtualClusters, admin).',
      );
      return;
    }
    if (!has(extension, 'acls')) return;
    const acls = extension['acls'];
    if (!isMap(acls)) {
      report.error(
        'model-group-schema',
        groupWhere([...path, 'extension', 'acls']),
        `acls must be a mapping, not ${quote(acls)}`,
        'Write acls with virtualClusters (a list of VC names) and admin (true or false).',
      );
      return;
    }
    if (has(acls, 'virtualClusters') && !Array.isArray(acls['virtualClusters'])) {
      report.error(
        'model-group-acls',
        groupWhere([...path, 'extension', 'acls', 'virtualClusters']),
        `virtualClusters must be a list, not ${quote(acls['virtualClusters'])}`,
        'List the virtual clusters the group may use, e.g. ["default", "vc1"]; [] for none.',
      );
    }
    if (has(acls, 'admin') && typeof acls['admin'] !== 'boolean') {
      report.error(
        'model-group-acls',
        groupWhere([...path, 'extension', 'acls', 'admin']),
        `admin must be a boolean, not ${quote(acls['admin'])}`,
        'Write admin: true or admin: false, unquoted.',
      );
    }
  };

  return {
    pre() {
      const { report } = input;
      const gm = get(conf, 'group-manager');
      if (!isMap(gm)) {
        report.error(
          gm === undefined ? 'model-missing-key' : 'model-not-mapping',
          gmWhere,
          gm === undefined ? 'authentication.group-manager is not set' : `must be a mapping, not ${quote(gm)}`,
          'Write authentication.group-manager with group-data-source, admin-group and default-group.',
        );
      } else {
        for (const key of ['admin-group', 'default-group']) {
          if (!has(gm, key)) {
            report.error(
              'model-missing-key',
              gmWhere,
              `authentication.group-manager.${key} is not set, and OpenPAI's authentication parser reads it`,
              'Give group-manager both admin-group and default-group: a group-manager in services-configuration.yaml replaces the default one whole.',
            );
          }
        }
        if (has(gm, 'grouplist') && !(Array.isArray(gm['grouplist']) && gm['grouplist'].every(isMap))) {
          report.error(
            'model-group-schema',
            groupWhere(['grouplist']),
            `grouplist must be a list of groups, not ${quote(gm['grouplist'])}`,
            'List the groups to create, each a mapping with groupname, description, externalName and extension.',
          );
        }
        for (const { item, path } of groups()) checkGroup(item, path);
      }
      if (!has(conf, 'OIDC')) {
        report.error(
          'model-missing-key',
          sectionWhere(input),
          "authentication.OIDC is not set, and OpenPAI's authentication parser reads it",
          'Set authentication.OIDC: false for basic authentication (or true with OIDC-type and AAD).',
        );
        return;
      }
      if (conf['OIDC'] === false) return;
      if (!has(conf, 'OIDC-type')) {
        report.error(
          'model-oidc',
          origin(input, ['OIDC']),
          'OIDC is on, but OIDC-type is not set',
          'Set authentication.OIDC-type: AAD and the AAD settings, or OIDC: false (a YAML boolean; "false" in quotes counts as on).',
        );
        return;
      }
      if (conf['OIDC-type'] !== 'AAD') return;
      const aad = get(conf, 'AAD');
      for (const key of ['tenantID', 'clientID', 'clientSecret']) {
        if (isMap(aad) && has(aad, key)) continue;
        report.error(
          'model-oidc',
          aad === undefined ? origin(input, ['OIDC-type']) : origin(input, ['AAD'], 'key'),
          `AAD OIDC needs AAD.${key}`,
          `Set authentication.AAD.${key} (from the app registration in Azure AD).`,
        );
      }
    },
    run() {
      const gm = conf['group-manager'] as ModelMap;
      const finish = (group: ModelMap, path: (string | number)[], virtualClusters: string[], admin: boolean) => {
        const extension: ModelMap = isMap(group['extension']) ? group['extension'] : {};
        if (!has(group, 'extension')) put(group, 'extension', extension);
        const acls: ModelMap = isMap(extension['acls']) ? extension['acls'] : {};
        if (!has(extension, 'acls')) put(extension, 'acls', acls);
        if (!has(acls, 'virtualClusters')) put(acls, 'virtualClusters', virtualClusters);
        if (!has(acls, 'admin')) put(acls, 'admin', admin);
        put(
          group,
          'extension',
          python(input, groupWhere([...path, 'extension']), () => pyJsonDumps(extension)),
        );
      };
      finish(gm['admin-group'] as ModelMap, ['admin-group'], [], true);
      finish(gm['default-group'] as ModelMap, ['default-group'], ['default'], false);
      const list = get(gm, 'grouplist');
      if (Array.isArray(list))
        list.forEach((group, index) => finish(group as ModelMap, ['grouplist', index], [], false));
      return conf;
    },
    post(model: ModelSoFar) {
      if (conf['OIDC'] === false) return;
      // OIDC redirects come back to pylon: rest-server needs its address.
      requireInModel(input, model, 'pylon', 'uri', origin(input, ['OIDC']));
    },
  };
};

// --- rest-server -----------------------------------------------------------------------------------------------

/** The keys rest-server's parser copies into the model, in its order (each must be set). */
const REST_SERVER_KEYS = [
  'server-port',
  'rate-limit-api-per-min',
  'rate-limit-list-job-per-min',
  'rate-limit-submit-job-per-hour',
  'jwt-secret',
  'jwt-expire-time',
  'default-pai-admin-username',
  'default-pai-admin-password',
  'github-owner',
  'github-repository',
  'github-path',
  'debugging-reservation-seconds',
  'enable-priority-class',
  'schedule-port-start',
  'schedule-port-end',
  'sql-max-connection',
  'hived-computing-device-envs',
  'log-server',
  'log_azure_storage_account',
  'log_azure_storage_account_key',
  'log_azure_storage_container_name',
] as const;

/** The default scheduler's device when no worker's sku names one. */
const DEFAULT_DEVICE_TYPE = 'nvidia.com/gpu';

export const restServer: ParserFactory = (input) => {
  const conf = shallowMerge(defaultsMap(input), input.section);
  let deviceTypes: ModelValue[] = [];
  return {
    pre() {
      const { report } = input;
      for (const key of ['default-pai-admin-username', 'default-pai-admin-password']) {
        if (has(conf, key)) continue;
        report.error(
          'model-rest-server-admin',
          sectionWhere(input),
          `rest-server.${key} is required: rest-server creates the first admin with it`,
          `Set rest-server.${key} in services-configuration.yaml (pai-deploy render writes admin / admin-password; change it after the first login).`,
        );
      }
      const where = origin(input, ['debugging-reservation-seconds']);
      const seconds = pyInt(need(input, conf, 'debugging-reservation-seconds'));
      if (seconds instanceof PythonFailure || seconds <= 0) {
        report.error(
          'model-rest-server-reservation',
          where,
          `debugging-reservation-seconds must be a positive integer, not ${quote(conf['debugging-reservation-seconds'])}`,
          'Write how long a failed job may keep its machines for debugging, in seconds (e.g. 604800 for a week).',
        );
      }
    },
    run() {
      const ip = masterIp(input);
      const port = need(input, conf, 'server-port');
      const model: Partial<RestServerModel> = { uri: httpUrl(input, origin(input, ['server-port']), ip, port) };
      for (const key of REST_SERVER_KEYS) model[key] = clone(need(input, conf, key));
      // default-computing-device-type only matters to the default scheduler (hived ignores it): the resource
      // rest-server puts in a job's container limits and counts as GPUs. It is the first device type among the
      // workers' skus; OpenPAI supports one kind without hived (checked in post).
      deviceTypes = workerDeviceTypes(input);
      model['default-computing-device-type'] = deviceTypes[0] ?? DEFAULT_DEVICE_TYPE;
      // Before v1.5 etcd ran on the `k8s-role: master` machines; rest-server still migrates legacy users from there.
      model['etcd-uris'] = machines(input.layout)
        .map((host, index) => ({ host, index }))
        .filter(({ host }) => get(host, 'k8s-role') === 'master')
        .map(({ host, index }) => {
          if (!has(host, 'hostip')) {
            throw input.report.stop(
              'model-missing-key',
              { file: 'layout', path: ['machine-list', index] },
              "a k8s-role: master machine has no hostip, and OpenPAI's rest-server parser builds an etcd URI from it",
              'Give the machine its hostip, or drop the legacy k8s-role key.',
            );
          }
          return httpUrl(input, { file: 'layout', path: ['machine-list', index, 'hostip'] }, host['hostip']!, 4001);
        })
        .join(',');
      return model as RestServerModel;
    },
    post(model: ModelSoFar) {
      const { report } = input;
      requireInModel(input, model, 'cluster', 'common');
      const layout = model['layout'];
      const kubernetes = layout ? get(layout, 'kubernetes') : undefined;
      if (!isMap(kubernetes) || !has(kubernetes, 'api-servers-url')) {
        report.error(
          'model-kubernetes-api',
          { file: 'layout', path: ['kubernetes'] },
          "layout.yaml's kubernetes has no api-servers-url, and rest-server reaches Kubernetes by it",
          'Give kubernetes both api-servers-url and dashboard-url, or remove kubernetes (OpenPAI then derives them from the master).',
        );
      }
      if (!requireInModel(input, model, 'hivedscheduler', 'config')) return;
      const config = model['hivedscheduler']!['config'];
      // An empty hived configuration means the default scheduler, which handles one kind of device only.
      if (typeof config === 'string' && config.length < 2 && deviceTypes.length > 1) {
        const index = machines(input.layout).findIndex((host) => get(host, 'pai-worker') === 'true');
        report.error(
          'model-default-scheduler-devices',
          { file: 'layout', path: index < 0 ? ['machine-sku'] : ['machine-list'] },
          `the workers have ${deviceTypes.length} kinds of computing device (${deviceTypes.map((t) => quote(t)).join(', ')}), and without hived OpenPAI supports one`,
          'Enable the hived scheduler (enable_hived_scheduler in config.yaml), or give all workers skus of one device type.',
        );
      }
    },
  };
};

// --- webportal -------------------------------------------------------------------------------------------------

export const webportal: ParserFactory = (input) => {
  const defaults = defaultsMap(input);
  const conf = shallowMerge(defaults, input.section);
  // Plugins add up: the defaults' plugins, then the section's (a section's list does not replace the defaults').
  const plugins: ModelValue[] = [];
  for (const [source, where] of [
    [defaults, { file: { defaults: input.name }, path: ['plugins'] }],
    [input.section, { file: 'services', path: [input.name, 'plugins'] }],
  ] as const) {
    if (!has(source, 'plugins')) continue;
    const list = source['plugins'];
    if (!Array.isArray(list)) {
      throw input.report.stop(
        'model-not-list',
        where,
        `plugins must be a list of plugins, not ${quote(list)}`,
        'List each plugin as a mapping with id, title, uri and optionally config.',
      );
    }
    plugins.push(...clone(list));
  }
  put(conf, 'plugins', plugins);
  return {
    // OpenPAI's webportal and pylon also require exactly one master here; the layout's check already did.
    pre() {},
    run() {
      const where = (index: number, key?: string): { file: 'services'; path: (string | number)[] } => {
        const inSection = Array.isArray(input.section['plugins']) ? input.section['plugins'].length : 0;
        const fromDefaults = plugins.length - inSection;
        return {
          file: 'services',
          path:
            index < fromDefaults ? [input.name] : [input.name, 'plugins', index - fromDefaults, ...(key ? [key] : [])],
        };
      };
      const applied: WebportalPlugin[] = plugins.map((plugin, index) => {
        if (!isMap(plugin)) {
          throw input.report.stop(
            'model-webportal-plugin',
            where(index),
            `a plugin must be a mapping with id, title and uri, not ${quote(plugin)}`,
            'Write each plugin as a mapping: id, title, uri (the plugin script) and optionally config.',
          );
        }
        for (const key of ['uri', 'title']) {
          if (!has(plugin, key)) {
            throw input.report.stop(
              'model-webportal-plugin',
              where(index),
              `the plugin has no ${key}, and OpenPAI's webportal parser reads it`,
              'Give each plugin a title and the uri of its script.',
            );
          }
        }
        let uri: ModelValue = clone(plugin['uri']!);
        if (has(plugin, 'config')) {
          // The plugin's settings travel as the query of its script's URL; Python 2's urlencode writes spaces as
          // "+", which OpenPAI turns into %20.
          const base = uri;
          uri = python(input, where(index, 'config'), () => {
            if (typeof base !== 'string')
              throw new PythonFailure('TypeError', `cannot join a query onto ${quote(base)}`);
            return pyUrljoinQuery(base, pyUrlencodeDoseq(plugin['config']!).replace(/\+/g, '%20'));
          });
        }
        return { id: clone(get(plugin, 'id') ?? null), title: clone(plugin['title']!), uri };
      });
      const ip = masterIp(input);
      const port = need(input, conf, 'server-port');
      const model: WebportalModel = {
        'server-port': clone(port),
        uri: httpUrl(input, origin(input, ['server-port']), ip, port),
        plugins: applied,
        'webportal-address': ip,
        'enable-job-transfer': clone(need(input, conf, 'enable-job-transfer')),
        marketplace: clone(need(input, conf, 'marketplace')),
        'save-template': clone(need(input, conf, 'save-template')),
      };
      return model;
    },
    post(model: ModelSoFar) {
      requireInModel(input, model, 'cluster', 'common');
      requireAllInModel(input, model, [
        ['rest-server', 'uri'],
        ['prometheus', 'url'],
        ['grafana', 'url'],
        ['node-exporter', 'port'],
        ['prometheus', 'scrape_interval'],
      ]);
    },
  };
};

// --- pylon -----------------------------------------------------------------------------------------------------

/** pylon's https port when `pylon.ssl` does not name one. */
const HTTPS_PORT = 443;

export const pylon: ParserFactory = (input) => {
  const conf = shallowMerge(defaultsMap(input), input.section);
  return {
    pre() {},
    run() {
      const ip = masterIp(input);
      const port = need(input, conf, 'port');
      const ssl: ModelMap = { port: HTTPS_PORT };
      if (has(conf, 'ssl')) {
        const given = conf['ssl'];
        if (!isMap(given)) {
          throw input.report.stop(
            'model-not-mapping',
            origin(input, ['ssl']),
            `pylon.ssl must be a mapping (crt_name, crt_path, key_name, key_path, port), not ${quote(given)}`,
            'Write pylon.ssl with the certificate and key files pylon serves https with.',
          );
        }
        for (const [key, value] of Object.entries(given)) put(ssl, key, clone(value));
      }
      // With a domain, the URLs users and OIDC redirects see name it instead of the master's IP.
      const host = has(conf, 'domain') ? conf['domain']! : ip;
      const hostWhere = has(conf, 'domain') ? origin(input, ['domain']) : origin(input, ['port']);
      const model: PylonModel = {
        port: clone(port),
        uri: httpUrl(input, hostWhere, host, port),
        'uri-https': httpUrl(input, hostWhere, host, ssl['port']!, 'https'),
        'webhdfs-legacy-port': clone(need(input, conf, 'webhdfs-legacy-port')),
      };
      if (has(conf, 'ssl')) model.ssl = ssl;
      return model;
    },
    post(model: ModelSoFar) {
      requireInModel(input, model, 'cluster', 'common');
      requireAllInModel(input, model, [
        ['rest-server', 'uri'],
        ['prometheus', 'url'],
        ['alert-manager', 'url'],
        ['grafana', 'url'],
        ['webportal', 'uri'],
      ]);
    },
  };
};
