import { dirname } from 'node:path';
import { configKeys, configKeySpec, configSchema } from '../../config/config-schema.js';
import { layoutFieldHints, layoutKnownKeys, layoutSchema, legacyLayoutKeys } from '../../config/layout-schema.js';
import { normalizeConfig, reportCommandLineValues, reportObsoleteKeys } from '../../config/normalize-config.js';
import { normalizeLayout } from '../../config/normalize-layout.js';
import { reportSchemaIssues } from '../../config/schema-findings.js';
import { isSecretConfigPath } from '../../config/secrets.js';
import { reportUnknownKeys } from '../../config/unknown-keys.js';
import { parseYamlSource } from '../../config/yaml-source.js';
import type { Finding, PathSegment } from '../../findings/finding.js';
import { summarize } from '../../findings/finding.js';
import { FindingSink } from '../../findings/sink.js';
import type { ClusterSpec } from '../../model/cluster.js';
import { runRules } from '../../rules/validate-cluster.js';
import type { WizardAnswers } from './answers.js';
import { renderFiles, type RenderedFiles } from './render-files.js';

/** Where the files will be written: findings name these paths, relative config paths resolve against config's. */
export interface CandidatePaths {
  layoutPath: string;
  configPath: string;
}

export interface CandidateCheck {
  files: RenderedFiles;
  /** Every finding of `pai-deploy validate` on the files as they would be written, sorted. */
  errors: Finding[];
  warnings: Finding[];
  /** The typed cluster the files describe (present unless a file could not be read back at all). */
  spec: ClusterSpec | undefined;
}

/**
 * Renders the answers into the exact bytes that would be written and runs validate's checks on them in memory:
 * YAML read back with the same reader (YAML 1.1), the same schemas, unknown keys, normalization and every offline
 * rule (src/rules). Nothing touches the disk except what the rules themselves read (the SSH key file).
 *
 * This follows loadCluster (src/config/load-cluster.ts) step by step for text instead of paths; a `loadClusterText`
 * there would let both share one sequence.
 */
export async function checkAnswers(
  answers: WizardAnswers,
  paths: CandidatePaths,
  signal?: AbortSignal,
): Promise<CandidateCheck> {
  const files = renderFiles(answers);
  const layoutSource = parseYamlSource(paths.layoutPath, Buffer.from(files.layout, 'utf8'));
  const configSource = parseYamlSource(paths.configPath, Buffer.from(files.config, 'utf8'));
  const findings: Finding[] = [...layoutSource.syntaxFindings, ...configSource.syntaxFindings];
  const sink = new FindingSink({ layoutSource, configSource });
  const isMapping = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isMapping(layoutSource.value) || !isMapping(configSource.value)) {
    return { files, ...summarize(findings), spec: undefined };
  }
  const layoutResult = layoutSchema.safeParse(layoutSource.value);
  if (!layoutResult.success) {
    reportSchemaIssues(sink, 'layout', layoutSource.value, layoutResult.error.issues, layoutHint, () => false);
  }
  reportUnknownKeys(
    sink,
    'layout',
    layoutSource.value,
    layoutKnownKeys,
    new Set(['machine-sku']),
    (key) => legacyLayoutKeys[key],
  );
  const configResult = configSchema.safeParse(configSource.value);
  if (!configResult.success) {
    reportSchemaIssues(
      sink,
      'config',
      configSource.value,
      configResult.error.issues,
      (path: readonly PathSegment[]) => configKeySpec(String(path[0]))?.hint ?? '',
      (path) => isSecretConfigPath(path, configSource.value),
    );
  }
  reportUnknownKeys(sink, 'config', configSource.value, { '': Object.keys(configKeys) }, new Set());
  reportObsoleteKeys(configSource.value, sink);
  reportCommandLineValues(configSource.value, sink);
  const spec: ClusterSpec = {
    layout: normalizeLayout(layoutSource.value, sink),
    config: normalizeConfig(configSource.value, dirname(paths.configPath), files.config, sink),
    layoutSource,
    configSource,
  };
  const ruled = await runRules(spec, signal);
  const all = [...findings, ...sink.findings, ...ruled.findings];
  // The secrets must read back exactly as given: a password that YAML would change is refused, not written wrongly.
  if (answers.ssh.password !== undefined && spec.config.ssh.password !== answers.ssh.password) {
    all.push(unchanged(paths.configPath, 'password'));
  }
  if (answers.registry.password !== undefined && spec.config.registry.password !== answers.registry.password) {
    all.push(unchanged(paths.configPath, 'docker_registry_password'));
  }
  return { files, ...summarize(dedupe(all)), spec };
}

/** The hint of a layout field (as loadCluster gives it): its pattern in layoutFieldHints, `[]` for list items. */
function layoutHint(path: readonly PathSegment[]): string {
  const pattern = path
    .map((segment, index) => (typeof segment === 'number' ? '[]' : path[index - 1] === 'machine-sku' ? '*' : segment))
    .join('.')
    .replace(/\.\[\]/g, '[]');
  return layoutFieldHints[pattern] ?? layoutFieldHints[''] ?? '';
}

function unchanged(file: string, key: string): Finding {
  return {
    severity: 'error',
    code: 'wizard-secret-changed',
    file,
    line: 0,
    column: 0,
    path: key,
    message: `${key}: this value would not read back unchanged from config.yaml`,
    hint: 'Use printable characters only.',
  };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.file}:${finding.line}:${finding.column}:${finding.code}:${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A field a question fills: findings at it or below it belong to the question. */
export interface Owned {
  file: 'layout' | 'config';
  /** The formatted field path (`machine-list[2].hostip`, `cluster_id`); '' for the whole file. */
  path: string;
}

/** The findings at (or below) one of the owned fields. */
export function findingsAt(findings: readonly Finding[], owned: readonly Owned[], paths: CandidatePaths): Finding[] {
  return findings.filter((finding) =>
    owned.some((field) => {
      const file = field.file === 'layout' ? paths.layoutPath : paths.configPath;
      if (finding.file !== file) return false;
      if (field.path === '') return true;
      return (
        finding.path === field.path ||
        finding.path.startsWith(`${field.path}.`) ||
        finding.path.startsWith(`${field.path}[`)
      );
    }),
  );
}

/** A finding as the line under a prompt: its message without the field path, and its hint. */
export function promptText(finding: Finding): string {
  const prefix = `${finding.path}: `;
  const message =
    finding.path !== '' && finding.message.startsWith(prefix) ? finding.message.slice(prefix.length) : finding.message;
  return finding.hint ? `${message}\n  hint: ${finding.hint}` : message;
}
