/**
 * The shape of a ported parser and the helpers they share. OpenPAI v1.8.0 gives every parser the raw layout.yaml,
 * the user's section of services-configuration.yaml and the service's defaults file; paictl calls validation_pre()
 * on all of them, then run(), then validation_post() with the whole model. A port keeps that shape: pre() and
 * post() report findings, run() builds the service's part of the model and stops where OpenPAI's would have raised.
 */
import { quote, type PathSegment } from '../../findings/finding.js';
import { keyOrigin, type Report, type Where } from './context.js';
import { isPyInt, pyFormat, PythonFailure } from './python.js';
import type { ModelMap, ModelValue } from './types.js';
import { get, has, isMap } from './values.js';

export interface ServiceInput {
  /** The service's directory name, also its key in services-configuration.yaml and in the model. */
  readonly name: string;
  /** The user's section (a copy; parsers may change it), `{}` when services-configuration.yaml has none. */
  readonly section: ModelMap;
  readonly hasSection: boolean;
  /** The defaults file's value (a copy), null for a file with nothing in it. */
  readonly defaults: ModelValue;
  /** layout.yaml as written (OpenPAI hands the raw file to every parser, not the layout part of the model). */
  readonly layout: ModelMap;
  readonly alertTemplates: readonly string[] | undefined;
  readonly report: Report;
}

export type ModelSoFar = Readonly<Record<string, ModelMap | undefined>>;

export interface ServiceParser {
  pre(): void;
  run(): ModelMap;
  post(model: ModelSoFar): void;
}

export type ParserFactory = (input: ServiceInput) => ServiceParser;

/** The defaults file's mapping; a service whose parser merges it needs one (OpenPAI raised a TypeError). */
export function defaultsMap(input: ServiceInput): ModelMap {
  if (isMap(input.defaults)) return input.defaults;
  throw input.report.stop(
    'model-defaults-not-mapping',
    { file: { defaults: input.name }, path: [] },
    `the defaults of ${input.name} are ${input.defaults === null ? 'empty' : `not a mapping (${quote(input.defaults)})`}, and its parser merges them`,
    `The tree's src/${input.name}/config/${input.name}.yaml must be a mapping of ${input.name}'s settings.`,
  );
}

/** Where a top-level key of this service's merged configuration was set. */
export function origin(input: ServiceInput, path: readonly PathSegment[], part?: 'key' | 'value'): Where {
  return keyOrigin(input.name, input.section, path, part);
}

/** Where this service's section is (or the file's top, without one). */
export function sectionWhere(input: ServiceInput): Where {
  return { file: 'services', path: input.hasSection ? [input.name] : [], part: 'key' };
}

/** `conf[key]` where OpenPAI indexes it: absent, the parser stops as OpenPAI's did with a KeyError. */
export function need(
  input: ServiceInput,
  conf: ModelMap,
  key: string,
  path: readonly PathSegment[] = [key],
): ModelValue {
  if (has(conf, key)) return conf[key]!;
  const where = origin(input, path.slice(0, -1));
  throw input.report.stop(
    'model-missing-key',
    where.path.length > 0 ? { ...where, part: 'key' } : sectionWhere(input),
    `${input.name}.${path.join('.')} is not set, and OpenPAI's ${input.name} parser reads it (neither services-configuration.yaml nor the defaults set it)`,
    `Set ${input.name}.${path.join('.')} in services-configuration.yaml; OpenPAI's own defaults file sets it, so check the tree's src/${input.name}/config/${input.name}.yaml too.`,
  );
}

/** Runs a Python-semantics step; a PythonFailure becomes a finding at `where` and stops the parser. */
export function python<T>(input: ServiceInput, where: Where, step: () => T, hint?: string): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof PythonFailure)) throw error;
    throw input.report.stop(
      error.type === 'UnicodeEncodeError' ? 'model-non-ascii' : 'model-python-error',
      where,
      `OpenPAI's ${input.name} parser fails on this value under Python 2 (${error.type}: ${error.detail})`,
      hint ??
        (error.type === 'UnicodeEncodeError'
          ? 'Use ASCII only here: paictl formats it into a byte string under Python 2.'
          : 'Write the value as OpenPAI documents it (see the defaults file for its type).'),
    );
  }
}

/** The machines of layout.yaml (the layout parser has checked each is a mapping). */
export function machines(layout: ModelMap): ModelMap[] {
  const list = get(layout, 'machine-list');
  return Array.isArray(list) ? list.filter(isMap) : [];
}

/**
 * OpenPAI's master test, `host.get('pai-master') == 'true'`: only the string "true" counts (a YAML boolean true
 * does not; pai-deploy's render writes the string).
 */
export function isMaster(host: ModelMap): boolean {
  return get(host, 'pai-master') === 'true';
}

export function isWorker(host: ModelMap): boolean {
  return get(host, 'pai-worker') === 'true';
}

/** The first master's hostip (the layout parser has checked there is exactly one, with a hostip). */
export function masterIp(input: ServiceInput): ModelValue {
  const master = machines(input.layout).find(isMaster);
  return master ? (get(master, 'hostip') ?? null) : null;
}

/** `'http://{0}:{1}'.format(host, port)` with Python 2's str() of both; stops on what Python 2 refused. */
export function httpUrl(
  input: ServiceInput,
  where: Where,
  host: ModelValue,
  port: ModelValue,
  scheme = 'http',
): string {
  return python(input, where, () => `${scheme}:${pyFormat`//${host}:${port}`}`);
}

/** The device types of the workers' skus, first seen first (rest-server's and device-plugin's search). */
export function workerDeviceTypes(input: ServiceInput): ModelValue[] {
  const skus = get(input.layout, 'machine-sku');
  const skuType = new Map<string, ModelValue>();
  if (isMap(skus)) {
    for (const [name, sku] of Object.entries(skus)) {
      if (!isMap(sku) || !has(sku, 'computing-device')) continue;
      const device = sku['computing-device'];
      if (!isMap(device) || !has(device, 'type')) {
        throw input.report.stop(
          'model-device-without-type',
          { file: 'layout', path: ['machine-sku', name, 'computing-device'] },
          `has no type, and OpenPAI's ${input.name} parser reads it`,
          'Give computing-device a type (the device plugin\'s resource name, e.g. "nvidia.com/gpu"), or remove computing-device for a CPU-only sku.',
        );
      }
      skuType.set(name, device['type']!);
    }
  }
  const types: ModelValue[] = [];
  machines(input.layout).forEach((host, index) => {
    if (!isWorker(host)) return;
    if (!has(host, 'machine-type')) {
      throw input.report.stop(
        'model-worker-without-type',
        { file: 'layout', path: ['machine-list', index], part: 'value' },
        `is a worker without machine-type, and OpenPAI's ${input.name} parser reads it`,
        'Give every machine a machine-type naming one of machine-sku.',
      );
    }
    // machine-sku's keys are stored as json.dumps writes them (a sku named 5 is "5"), so the lookup is by that text.
    const machineType = host['machine-type']!;
    const type = skuType.get(typeof machineType === 'string' ? machineType : JSON.stringify(machineType));
    if (type !== undefined && !types.some((t) => sameValue(t, type))) types.push(type);
  });
  return types;
}

/** Python's == between loaded values, for the few comparisons the parsers make (device types, list membership). */
export function sameValue(a: ModelValue, b: ModelValue): boolean {
  if (a === b) return true;
  // Python: True == 1 and False == 0.
  const numeric = (v: ModelValue) => typeof v === 'number' || typeof v === 'boolean';
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => sameValue(item, b[i]!));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => has(b, key) && sameValue(a[key]!, b[key]!));
  }
  return false;
}

/** validation_post's "<service>.<key> is required": the model lacks a value another service's templates read. */
export function requireInModel(
  input: ServiceInput,
  model: ModelSoFar,
  service: string,
  key: string,
  file: Where = sectionWhere(input),
): boolean {
  const part = model[service];
  if (part !== undefined && has(part, key)) return true;
  input.report.error(
    'model-required-service-missing',
    file,
    `OpenPAI's ${input.name} parser requires ${service}.${key} in the model, and ${part === undefined ? `${service} did not run` : `${service} has no ${key}`}`,
    part === undefined
      ? `Give ${service} its defaults (src/${service}/config/${service}.yaml of the tree) so its parser runs; ${input.name}'s templates read it.`
      : `Set ${service}.${key}.`,
  );
  return false;
}

/** requireInModel for each pair in order, stopping at the first missing one (as OpenPAI's post-checks returned). */
export function requireAllInModel(
  input: ServiceInput,
  model: ModelSoFar,
  pairs: ReadonlyArray<readonly [service: string, key: string]>,
): void {
  for (const [service, key] of pairs) if (!requireInModel(input, model, service, key)) return;
}

/** validation_post's `type(conf[svc][key]) != int`. */
export function requireInt(input: ServiceInput, conf: ModelMap, key: string, name = key): void {
  const value = get(conf, key);
  const where = origin(input, [key]);
  if (isPyInt(value, input.report.wasFloat(where))) return;
  input.report.error(
    'model-not-int',
    where,
    `OpenPAI's ${input.name} parser expects ${name} to be an int, not ${value === undefined ? 'nothing' : quote(value)}${typeof value === 'number' ? ' (a float)' : ''}`,
    `Write ${input.name}.${key} as a whole number without quotes or a decimal point.`,
  );
}
