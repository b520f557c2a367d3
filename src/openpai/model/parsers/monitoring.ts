/**
 * The parsers of the monitoring services (OpenPAI v1.8.0): prometheus, alert-manager, grafana, node-exporter,
 * job-exporter, log-manager, and the two that take nothing from services-configuration.yaml, k8s-dashboard and
 * fluentd.
 */
import { quote } from '../../../findings/finding.js';
import {
  defaultsMap,
  httpUrl,
  masterIp,
  need,
  origin,
  python,
  requireInt,
  type ParserFactory,
  type ServiceInput,
} from '../parser.js';
import { PythonFailure, pyUrlPort } from '../python.js';
import type { K8sDashboardModel, ModelMap, ModelValue } from '../types.js';
import { clone, get, has, isMap, put, shallowMerge } from '../values.js';

/** A service whose model is its defaults with the section over them, plus `url` on the master (`port`). */
function withUrl(input: ServiceInput): ModelMap {
  const conf = shallowMerge(defaultsMap(input), input.section);
  put(conf, 'url', httpUrl(input, origin(input, ['port']), masterIp(input), need(input, conf, 'port')));
  return conf;
}

export const prometheus: ParserFactory = (input) => ({
  pre() {},
  run: () => withUrl(input),
  post(model) {
    const conf = model['prometheus'] ?? {};
    requireInt(input, conf, 'port');
    requireInt(input, conf, 'scrape_interval', 'interval');
  },
});

export const grafana: ParserFactory = (input) => ({
  pre() {},
  run: () => withUrl(input),
  post(model) {
    requireInt(input, model['grafana'] ?? {}, 'port');
  },
});

/** defaults with the section over them, no derived value. */
const merged = (input: ServiceInput) => shallowMerge(defaultsMap(input), input.section);

export const nodeExporter: ParserFactory = (input) => ({
  pre() {},
  run: () => merged(input),
  post(model) {
    requireInt(input, model['node-exporter'] ?? {}, 'port');
  },
});

export const logManager: ParserFactory = (input) => ({
  pre() {},
  run: () => merged(input),
  post(model) {
    requireInt(input, model['log-manager'] ?? {}, 'port');
  },
});

/** job-exporter's logging levels (Python's logging names it accepts). */
const JOB_EXPORTER_LEVELS: readonly ModelValue[] = ['DEBUG', 'INFO', 'WARNING'];

export const jobExporter: ParserFactory = (input) => ({
  pre() {},
  run: () => merged(input),
  post(model) {
    const conf = model['job-exporter'] ?? {};
    requireInt(input, conf, 'port');
    const level = get(conf, 'logging-level');
    if (level !== undefined && JOB_EXPORTER_LEVELS.includes(level)) return;
    input.report.error(
      'model-job-exporter-level',
      origin(input, ['logging-level']),
      `logging-level must be DEBUG, INFO or WARNING, not ${quote(level)}`,
      'Write job-exporter.logging-level as one of DEBUG, INFO, WARNING (capitals).',
    );
  },
});

// --- alert-manager ---------------------------------------------------------------------------------------------

/** The e-mail settings without which alert-manager sends no mail (all must be set, to anything but null). */
const EMAIL_KEYS = [
  'admin-receiver',
  'smtp-host',
  'smtp-port',
  'smtp-from',
  'smtp-auth-username',
  'smtp-auth-password',
];

/** Whether a template directory of alert-manager's deploy/alert-templates counts (both files present). */
export function isAlertTemplateDirectory(files: readonly string[]): boolean {
  return files.includes('html.ejs') && files.includes('subject.ejs');
}

export const alertManager: ParserFactory = (input) => {
  /** alert-manager's merge: nested mappings are merged key by key, the section winning; lists are replaced. */
  const update = (target: ModelValue, changes: ModelMap, path: string[]): ModelValue => {
    if (Object.keys(changes).length === 0) return target;
    if (!isMap(target)) {
      throw input.report.stop(
        'model-alert-manager-merge',
        origin(input, path),
        `the defaults hold ${quote(target)} here, which OpenPAI cannot merge the section's mapping into`,
        "Write this key as the defaults do, or check the tree's alert-manager.yaml.",
      );
    }
    for (const [key, value] of Object.entries(changes)) {
      put(
        target,
        key,
        isMap(value) ? update(has(target, key) ? target[key]! : {}, value, [...path, key]) : clone(value),
      );
    }
    return target;
  };
  const mapAt = (conf: ModelMap, key: string): ModelMap | undefined => {
    const value = get(conf, key);
    if (value === undefined || value === null) return undefined;
    if (isMap(value)) return value;
    throw input.report.stop(
      'model-not-mapping',
      origin(input, [key]),
      `alert-manager.${key} must be a mapping, not ${quote(value)}`,
      `Write alert-manager.${key} as a mapping, as OpenPAI's alert-manager.yaml does.`,
    );
  };
  return {
    pre() {},
    run() {
      const result = update(defaultsMap(input), input.section, []) as ModelMap;
      const handler = mapAt(result, 'alert-handler');
      const emailValue = handler ? get(handler, 'email-configs') : undefined;
      if (emailValue !== undefined && emailValue !== null && !isMap(emailValue)) {
        throw input.report.stop(
          'model-not-mapping',
          origin(input, ['alert-handler', 'email-configs']),
          `alert-handler.email-configs must be a mapping, not ${quote(emailValue)}`,
          'Write email-configs with admin-receiver, smtp-host, smtp-port, smtp-from, smtp-auth-username, smtp-auth-password.',
        );
      }
      const email = isMap(emailValue) ? emailValue : undefined;
      const emailConfigured = email !== undefined && EMAIL_KEYS.every((key) => (get(email, key) ?? null) !== null);
      if (email && emailConfigured) {
        if (input.alertTemplates === undefined) {
          input.report.warning(
            'model-alert-templates-unknown',
            origin(input, ['alert-handler', 'email-configs']),
            "e-mail is configured, but the caller did not say which e-mail templates the tree's alert-manager has; the model lists none",
            'Pass alertTemplates (the directories of src/alert-manager/deploy/alert-templates/ with html.ejs and subject.ejs).',
          );
        }
        put(email, 'templates', [...(input.alertTemplates ?? [])]);
      }
      // The bearer token lets alert-manager act on jobs (stop, tag); before v1.6 it lived under alert-handler.
      let tokenConfigured = false;
      if ((get(result, 'pai-bearer-token') ?? null) !== null) tokenConfigured = true;
      else if (handler && (get(handler, 'pai-bearer-token') ?? null) !== null) {
        put(result, 'pai-bearer-token', clone(handler['pai-bearer-token']!));
        tokenConfigured = true;
      }
      if (!handler) {
        throw input.report.stop(
          'model-missing-key',
          origin(input, ['alert-handler']),
          "alert-manager.alert-handler is not set, and OpenPAI's alert-manager parser marks it configured",
          'Keep alert-handler (port, log-level) as the defaults give it.',
        );
      }
      put(handler, 'configured', true);
      const actions = need(input, result, 'actions-available');
      if (!Array.isArray(actions)) {
        throw input.report.stop(
          'model-not-list',
          origin(input, ['actions-available']),
          `actions-available must be a list, not ${quote(actions)}`,
          'List the alert actions, e.g. [webportal-notification, cordon-nodes].',
        );
      }
      if (emailConfigured && tokenConfigured) actions.push('email-admin', 'email-user', 'stop-jobs', 'tag-jobs');
      else if (emailConfigured) actions.push('email-admin');
      else if (tokenConfigured) actions.push('stop-jobs', 'tag-jobs');
      // The cluster-utilization report needs a schedule and the token (it reads jobs through rest-server).
      const utilization = mapAt(result, 'cluster-utilization');
      const notification = mapAt(result, 'job-status-change-notification');
      for (const [key, part] of [
        ['cluster-utilization', utilization],
        ['job-status-change-notification', notification],
      ] as const) {
        if (part) continue;
        throw input.report.stop(
          'model-missing-key',
          origin(input, [key]),
          `alert-manager.${key} is not set, and OpenPAI's alert-manager parser marks whether it is configured`,
          `Keep alert-manager.${key} as a mapping (the defaults give one).`,
        );
      }
      put(utilization!, 'configured', (get(utilization!, 'schedule') ?? null) !== null && tokenConfigured);
      put(notification!, 'configured', isTruthy(get(notification!, 'enable')));
      const ip = masterIp(input);
      put(result, 'host', ip);
      put(result, 'url', httpUrl(input, origin(input, ['port']), ip, need(input, result, 'port')));
      return result;
    },
    post(model) {
      requireInt(input, model['alert-manager'] ?? {}, 'port');
    },
  };
};

function isTruthy(value: ModelValue | undefined): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return Object.keys(value).length > 0;
  return true;
}

// --- k8s-dashboard, fluentd ------------------------------------------------------------------------------------

export const k8sDashboard: ParserFactory = (input) => ({
  pre() {},
  run() {
    // From layout.yaml alone: the dashboard runs on the master, on the port of the dashboard URL.
    const master = (get(input.layout, 'machine-list') as ModelMap[]).find(
      (host) => get(host, 'pai-master') === 'true',
    )!;
    const ip = master['hostip']!;
    let apiServers: ModelValue;
    let dashboardUrl: ModelValue;
    const kubernetes = get(input.layout, 'kubernetes');
    if (kubernetes !== undefined) {
      for (const key of ['api-servers-url', 'dashboard-url']) {
        if (isMap(kubernetes) && has(kubernetes, key)) continue;
        throw input.report.stop(
          'model-kubernetes-api',
          { file: 'layout', path: ['kubernetes'] },
          `layout.yaml's kubernetes has no ${key}, and OpenPAI's k8s-dashboard parser reads it`,
          'Give kubernetes both api-servers-url and dashboard-url, or remove kubernetes (OpenPAI then derives them from the master).',
        );
      }
      apiServers = clone((kubernetes as ModelMap)['api-servers-url']!);
      dashboardUrl = (kubernetes as ModelMap)['dashboard-url']!;
    } else {
      apiServers = httpUrl(input, { file: 'layout', path: ['machine-list'] }, ip, 6443, 'https');
      dashboardUrl = httpUrl(input, { file: 'layout', path: ['machine-list'] }, ip, 9090, 'https');
    }
    const where = { file: 'layout' as const, path: ['kubernetes', 'dashboard-url'] };
    const port = python(input, where, () => {
      if (typeof dashboardUrl !== 'string')
        throw new PythonFailure('TypeError', `cannot parse ${quote(dashboardUrl)} as a URL`);
      return pyUrlPort(dashboardUrl);
    });
    const model: K8sDashboardModel = {
      'api-servers-url': apiServers,
      'dashboard-host': clone(master['hostname']!),
      'dashboard-port': port,
    };
    return model;
  },
  post() {},
});

/** fluentd's parser reads nothing and gives an empty part. */
export const fluentd: ParserFactory = () => ({
  pre() {},
  run: () => ({}),
  post() {},
});
