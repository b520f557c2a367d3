import { loadClusterText } from '../../config/load-cluster.js';
import type { Finding } from '../../findings/finding.js';
import { summarize } from '../../findings/finding.js';
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
 * The files are checked by loadClusterText (src/config/load-cluster.ts), the same sequence validate runs on paths.
 */
export async function checkAnswers(
  answers: WizardAnswers,
  paths: CandidatePaths,
  signal?: AbortSignal,
): Promise<CandidateCheck> {
  const files = renderFiles(answers);
  const loaded = await loadClusterText(
    { path: paths.layoutPath, text: files.layout },
    { path: paths.configPath, text: files.config },
    signal,
  );
  if (loaded.input === undefined) return { files, ...summarize(loaded.findings), spec: undefined };
  const spec = loaded.input;
  const ruled = await runRules(spec, signal);
  const all = [...loaded.findings, ...ruled.findings];
  // The secrets must read back exactly as given: a password that YAML would change is refused, not written wrongly.
  if (answers.ssh.password !== undefined && spec.config.ssh.password !== answers.ssh.password) {
    all.push(unchanged(paths.configPath, 'password'));
  }
  if (answers.registry.password !== undefined && spec.config.registry.password !== answers.registry.password) {
    all.push(unchanged(paths.configPath, 'docker_registry_password'));
  }
  return { files, ...summarize(dedupe(all)), spec };
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
