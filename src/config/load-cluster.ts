import { dirname, resolve } from 'node:path';
import type { Finding, Locator, PathSegment } from '../findings/finding.js';
import { FindingSink } from '../findings/sink.js';
import type { ClusterSpec } from '../model/cluster.js';
import { configKeys, configKeySpec, configSchema } from './config-schema.js';
import { describeHidden, isSecretConfigPath } from './secrets.js';
import { csvToLayout, type CsvSkuOptions, defaultCsvSkus } from './csv-layout.js';
import { layoutFieldHints, layoutKnownKeys, layoutSchema, legacyLayoutKeys } from './layout-schema.js';
import { normalizeConfig, reportCommandLineValues, reportObsoleteKeys } from './normalize-config.js';
import { normalizeLayout } from './normalize-layout.js';
import { pause } from '../cooperate.js';
import { readInputFile } from './read-input.js';
import { reportSchemaIssues } from './schema-findings.js';
import { reportUnknownKeys } from './unknown-keys.js';
import { parseYamlSource, parseYamlSourceAsync } from './yaml-source.js';

export type LayoutInput =
  { kind: 'yaml'; path: string } | { kind: 'csv'; masterPath: string; workerPath: string; skus?: CsvSkuOptions };

export interface LoadResult {
  /** Present when both files could be parsed into mappings; rules still have to run on it. */
  input: ClusterSpec | undefined;
  findings: Finding[];
}

interface ParsedFile {
  value: unknown;
  text: string;
  locator: Locator;
  findings: Finding[];
}

/**
 * Reads layout (YAML or OpenPAI v1.0 CSV pair) and config, and checks their shape: syntax, types, unknown keys.
 * Unreadable files throw InputFileError; everything wrong inside a file becomes a finding.
 */
export async function loadCluster(
  layoutInput: LayoutInput,
  configPath: string,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const [layoutFile, configFile] = await Promise.all([
    readLayout(layoutInput, signal),
    readYaml(configPath, 'config', signal),
  ]);
  await pause(signal);
  return checkClusterFiles(layoutFile, configFile, configPath, signal);
}

/**
 * The same checks as loadCluster on texts held in memory (the wizard's candidate files): `layoutPath` and
 * `configPath` name them in findings, and config-relative paths (the SSH key) resolve against configPath's folder.
 */
export async function loadClusterText(
  layout: { path: string; text: string },
  config: { path: string; text: string },
  signal?: AbortSignal,
): Promise<LoadResult> {
  const parsed = (file: { path: string; text: string }): ParsedFile => {
    const source = parseYamlSource(file.path, Buffer.from(file.text, 'utf8'));
    return { value: source.value, text: file.text, locator: source, findings: source.syntaxFindings };
  };
  return checkClusterFiles(parsed(layout), parsed(config), config.path, signal);
}

/** Shape, types, unknown and obsolete keys of the two parsed files, then the typed model. */
async function checkClusterFiles(
  layoutFile: ParsedFile,
  configFile: ParsedFile,
  configPath: string,
  signal: AbortSignal | undefined,
): Promise<LoadResult> {
  const findings = [...layoutFile.findings, ...configFile.findings];
  const sink = new FindingSink({ layoutSource: layoutFile.locator, configSource: configFile.locator });
  const layoutOk = checkIsMapping(layoutFile, 'layout', sink);
  const configOk = checkIsMapping(configFile, 'config', sink);
  if (!layoutOk || !configOk) return { input: undefined, findings: [...findings, ...sink.findings] };

  const layoutResult = layoutSchema.safeParse(layoutFile.value);
  await pause(signal);
  if (!layoutResult.success) {
    reportSchemaIssues(sink, 'layout', layoutFile.value, layoutResult.error.issues, layoutHint, () => false);
  }
  reportUnknownKeys(
    sink,
    'layout',
    layoutFile.value,
    layoutKnownKeys,
    new Set(['machine-sku']),
    (key) => legacyLayoutKeys[key],
  );
  const configResult = configSchema.safeParse(configFile.value);
  if (!configResult.success) {
    reportSchemaIssues(sink, 'config', configFile.value, configResult.error.issues, configHint, (path) =>
      isSecretConfigPath(path, configFile.value),
    );
  }
  reportUnknownKeys(sink, 'config', configFile.value, { '': Object.keys(configKeys) }, new Set());
  const rawConfig = configFile.value as Record<string, unknown>;
  reportObsoleteKeys(rawConfig, sink);
  reportCommandLineValues(rawConfig, sink);

  const input: ClusterSpec = {
    layout: normalizeLayout(layoutFile.value, sink),
    config: normalizeConfig(rawConfig, dirname(resolve(configPath)), configFile.text, sink),
    layoutSource: layoutFile.locator,
    configSource: configFile.locator,
  };
  return { input, findings: [...findings, ...sink.findings] };
}

async function readYaml(path: string, what: 'layout' | 'config', signal: AbortSignal | undefined): Promise<ParsedFile> {
  const hint = `Check the path given to --${what}; \`pai-deploy config init\` writes an example pair.`;
  const bytes = await readInputFile(path, `the ${what} file`, hint, signal);
  const source = await parseYamlSourceAsync(path, bytes, signal);
  return { value: source.value, text: bytes.toString('utf8'), locator: source, findings: source.syntaxFindings };
}

async function readLayout(input: LayoutInput, signal: AbortSignal | undefined): Promise<ParsedFile> {
  if (input.kind === 'yaml') return readYaml(input.path, 'layout', signal);
  const hint = 'Check the paths given to --master-csv and --worker-csv.';
  const [master, worker] = await Promise.all([
    readInputFile(input.masterPath, 'the master list', hint, signal),
    readInputFile(input.workerPath, 'the worker list', hint, signal),
  ]);
  const csv = csvToLayout(
    { file: input.masterPath, text: master.toString('utf8') },
    { file: input.workerPath, text: worker.toString('utf8') },
    input.skus ?? defaultCsvSkus,
  );
  return { value: csv.raw, text: '', locator: csv.locator, findings: csv.findings };
}

function checkIsMapping(file: ParsedFile, which: 'layout' | 'config', sink: FindingSink): boolean {
  if (file.findings.some((finding) => finding.severity === 'error') && file.value === undefined) return false;
  const value = file.value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return true;
  // A whole document that is one scalar is often a config written shell-style (`user=pai password=...`): its text is
  // never shown, only what kind of value it is.
  const found = Array.isArray(value) ? 'a list' : value === null ? 'nothing' : describeHidden(value);
  sink.error(
    'not-a-mapping',
    { file: which, path: [] },
    `${which}.yaml must be a mapping of keys to values, but it holds ${found}`,
    which === 'layout'
      ? 'Start the file with machine-sku: and machine-list: keys (see `pai-deploy config init`).'
      : 'Start the file with keys such as user: and docker_image_tag: (see `pai-deploy config init`).',
  );
  return false;
}

function layoutHint(path: readonly PathSegment[]): string {
  const pattern = path
    .map((segment, index) => (typeof segment === 'number' ? '[]' : path[index - 1] === 'machine-sku' ? '*' : segment))
    .join('.')
    .replace(/\.\[\]/g, '[]');
  return layoutFieldHints[pattern] ?? layoutFieldHints[''] ?? '';
}

function configHint(path: readonly PathSegment[]): string {
  return configKeySpec(String(path[0]))?.hint ?? 'See `pai-deploy config init` for every key with an example.';
}
