/**
 * OpenPAI v1.8.0's cluster object model, built the way paictl built it (clusterObjectModel/cluster_object_model.py):
 * load layout.yaml and services-configuration.yaml, convert the latter (forward-compat.ts), pick the parsers, then
 * every parser's validation_pre, every run, every validation_post. paictl stopped at the first failed check or
 * Python exception, in the hash order of a dict of parsers; this runs each phase over all parsers and reports every
 * problem, and gives no model when any is an error.
 */
import { parseYamlSource } from '../../config/yaml-source.js';
import { didYouMean } from '../../findings/did-you-mean.js';
import { quote, type Finding } from '../../findings/finding.js';
import { ParserStop, Report, type InputFiles, type LoadedFile } from './context.js';
import { convertServicesConfiguration } from './forward-compat.js';
import { checkLayout, layoutModel } from './layout.js';
import type { ParserFactory, ServiceInput, ServiceParser } from './parser.js';
import { authentication, cluster, pylon, restServer, webportal } from './parsers/core.js';
import {
  alertManager,
  fluentd,
  grafana,
  jobExporter,
  k8sDashboard,
  logManager,
  nodeExporter,
  prometheus,
} from './parsers/monitoring.js';
import { devicePlugin, hivedscheduler } from './parsers/scheduling.js';
import {
  databaseController,
  dockerCache,
  dshuttle,
  internalStorage,
  k8sJobExitSpec,
  marketplaceDb,
  marketplaceRestserver,
  marketplaceWebportal,
  postgresql,
  storageManager,
} from './parsers/storage.js';
import type { ClusterModelInput, ClusterModelResult, ClusterObjectModel, ModelMap, SourceText } from './types.js';
import { clone, get, has, isMap, shallowMerge } from './values.js';

/** The 25 parsers of OpenPAI v1.8.0's `src/<svc>/config/<svc_underscored>.py`, by service directory name. */
export const OPENPAI_PARSERS: ReadonlyMap<string, ParserFactory> = new Map<string, ParserFactory>([
  ['alert-manager', alertManager],
  ['authentication', authentication],
  ['cluster', cluster],
  ['database-controller', databaseController],
  ['device-plugin', devicePlugin],
  ['docker-cache', dockerCache],
  ['dshuttle', dshuttle],
  ['fluentd', fluentd],
  ['grafana', grafana],
  ['hivedscheduler', hivedscheduler],
  ['internal-storage', internalStorage],
  ['job-exporter', jobExporter],
  ['k8s-dashboard', k8sDashboard],
  ['k8s-job-exit-spec', k8sJobExitSpec],
  ['log-manager', logManager],
  ['marketplace-db', marketplaceDb],
  ['marketplace-restserver', marketplaceRestserver],
  ['marketplace-webportal', marketplaceWebportal],
  ['node-exporter', nodeExporter],
  ['postgresql', postgresql],
  ['prometheus', prometheus],
  ['pylon', pylon],
  ['rest-server', restServer],
  ['storage-manager', storageManager],
  ['webportal', webportal],
]);

/** The service types paictl v1.8.0 runs (`service_type` of a defaults file or section; "yarn" ones are skipped). */
const RUN_TYPES: readonly unknown[] = ['common', 'k8s'];

/** A service pai-deploy has no port of: its defaults with the user's section over them, as most parsers do. */
const generic: ParserFactory = (input) => ({
  pre() {},
  run: () => shallowMerge(isMap(input.defaults) ? input.defaults : {}, input.section),
  post() {},
});

const HAS_CONTENT = /^\s*[^\s#]/m;

function load(source: SourceText, findings: Finding[], emptyIsNull: boolean): LoadedFile {
  // A defaults file of comments only (fluentd's) is None to PyYAML: no content, no finding.
  if (emptyIsNull && !HAS_CONTENT.test(source.text.replace(/^\uFEFF/, ''))) {
    return {
      path: source.path,
      text: source.text,
      value: null,
      locate: () => ({ file: source.path, line: 1, column: 1 }),
    };
  }
  const parsed = parseYamlSource(source.path, Buffer.from(source.text, 'utf8'));
  for (const finding of parsed.syntaxFindings) {
    // PyYAML keeps the last of duplicate keys, and so did paictl: a warning here, not a stop.
    findings.push(finding.code === 'yaml-duplicate-key' ? { ...finding, severity: 'warning' } : finding);
  }
  return { path: source.path, text: source.text, value: parsed.value as LoadedFile['value'], locate: parsed.locate };
}

const hasErrors = (findings: readonly Finding[]) => findings.some((finding) => finding.severity === 'error');

export function buildClusterModel(input: ClusterModelInput): ClusterModelResult {
  const loadFindings: Finding[] = [];
  const files: InputFiles = {
    layout: load(input.layout, loadFindings, false),
    services: load(input.servicesConfiguration, loadFindings, false),
    defaults: new Map([...input.defaults].map(([name, source]) => [name, load(source, loadFindings, true)])),
  };
  const report = new Report(files);
  report.findings.push(...loadFindings);
  const done = (model?: ClusterObjectModel): ClusterModelResult =>
    model && !hasErrors(report.findings) ? { model, findings: report.findings } : { findings: report.findings };
  if (files.layout.value === undefined || files.services.value === undefined) return done();
  if ([...files.defaults.values()].some((file) => file.value === undefined)) return done();

  const servicesRoot = files.services.value;
  if (!isMap(servicesRoot)) {
    report.error(
      'model-services-not-mapping',
      { file: 'services', path: [] },
      `services-configuration.yaml must be a mapping of sections (cluster, rest-server, ...), not ${quote(servicesRoot)}`,
      'Write services-configuration.yaml as pai-deploy render writes it.',
    );
    return done();
  }
  const services = convertServicesConfiguration(clone(servicesRoot), report);
  const layout = checkLayout(files.layout.value, report);
  if (!services || !layout) return done();

  const parsers: [string, ServiceParser][] = [];
  for (const [name, file] of files.defaults) {
    const defaults = file.value ?? null;
    let type: unknown = isMap(defaults) && has(defaults, 'service_type') ? defaults['service_type'] : 'common';
    const section = get(services, name);
    if (section !== undefined && !isMap(section)) {
      report.error(
        'model-section-not-mapping',
        { file: 'services', path: [name] },
        section === null
          ? `the ${name} section is empty; paictl stops on it (TypeError)`
          : `the ${name} section must be a mapping of ${name}'s settings, not ${quote(section)}`,
        `Remove the empty ${name}: line, or put ${name}'s settings under it.`,
      );
      continue;
    }
    if (section !== undefined && has(section, 'service_type')) type = section['service_type'];
    if (!RUN_TYPES.includes(type)) {
      report.warning(
        'model-service-skipped',
        section !== undefined && has(section, 'service_type')
          ? { file: 'services', path: [name, 'service_type'] }
          : { file: { defaults: name }, path: ['service_type'] },
        `${name} has service_type ${quote(type)}, so OpenPAI v1.8.0 (a k8s cluster) does not run its parser and the model has no ${name}`,
        'Use service_type common or k8s, or leave it out, for the service to be part of the model.',
      );
      continue;
    }
    let factory = OPENPAI_PARSERS.get(name);
    if (!factory) {
      factory = generic;
      report.warning(
        'model-unknown-service',
        { file: { defaults: name }, path: [] },
        `pai-deploy has no port of OpenPAI's parser for ${name}; its model is its defaults with the section of services-configuration.yaml over them`,
        'Check the tree: OpenPAI v1.8.0 has no such service; a parser of a later release may derive values this does not.',
      );
    }
    const serviceInput: ServiceInput = {
      name,
      section: clone(section ?? {}),
      hasSection: section !== undefined,
      defaults: clone(defaults),
      // Shared by every parser: parsers only read layout.yaml (it is this call's own parse, not the caller's).
      layout: layout.root,
      alertTemplates: input.alertTemplates,
      report,
    };
    const parser = guarded(() => factory(serviceInput));
    if (parser) parsers.push([name, parser]);
  }
  for (const key of Object.keys(servicesRoot)) {
    if (files.defaults.has(key) || !has(services, key)) continue;
    const near = didYouMean(key, files.defaults.keys());
    report.warning(
      'model-section-ignored',
      { file: 'services', path: [key], part: 'key' },
      `no service of the tree is called ${key}, so OpenPAI ignores this section${near ? ` (did you mean ${near}?)` : ''}`,
      near
        ? `Rename the section to ${near}.`
        : 'Remove the section, or give the service its defaults so its parser runs.',
    );
  }
  if (hasErrors(report.findings)) return done();

  for (const [, parser] of parsers) guarded(() => parser.pre());
  if (hasErrors(report.findings)) return done();

  const model: ClusterObjectModel = { layout: layoutModel(layout) };
  for (const [name, parser] of parsers) {
    const part = guarded(() => parser.run());
    if (part) model[name] = part;
  }
  if (hasErrors(report.findings)) return done();

  const frozen: Readonly<Record<string, ModelMap | undefined>> = model;
  for (const [, parser] of parsers) guarded(() => parser.post(frozen));
  return done(model);
}

/** Runs a parser step; a ParserStop (the finding is reported already) gives undefined. */
function guarded<T>(step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (error instanceof ParserStop) return undefined;
    throw error;
  }
}
