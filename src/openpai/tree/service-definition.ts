import { parse } from 'yaml';
import { PaiDeployError, ExitCode } from '../../errors.js';

/** One deploy rule of service.yaml: the service's pods run only on nodes with (`in`) or without (`notin`) a label. */
export interface DeployRule {
  readonly operator: 'In' | 'NotIn';
  /** A node label that must (or must not) be `"true"`: `pai-master`, `no-nodeexporter`, … */
  readonly label: string;
}

/** `src/<service>/deploy/service.yaml` of an OpenPAI tree, as paictl read it (reference: openpai.md §4.3). */
export interface ServiceDefinition {
  /** The folder name under `src/`. */
  readonly name: string;
  /** `cluster-type`; empty when absent (then paictl deployed it on every cluster type). */
  readonly clusterTypes: readonly string[];
  /** `prerequisite`, as written: names that are no service of the tree (`drivers`) are ignored by the plan. */
  readonly prerequisites: readonly string[];
  /** `template-list`: paths under deploy/ without `.template`, rendered before the service starts. */
  readonly templates: readonly string[];
  readonly deployRules: readonly DeployRule[];
}

export class ServiceDefinitionError extends PaiDeployError {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`, {
      exitCode: ExitCode.usage,
      hint: 'Fix the service.yaml (or use an unmodified OpenPAI release tree, --openpai-src).',
    });
  }
}

/** Parses one service.yaml; `path` is for messages. */
export function parseServiceDefinition(name: string, text: string, path: string): ServiceDefinition {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ServiceDefinitionError(path, `not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (document === null || document === undefined) document = {};
  if (typeof document !== 'object' || Array.isArray(document))
    throw new ServiceDefinitionError(path, 'must be a mapping (cluster-type, prerequisite, template-list, …)');
  const fields = document as Record<string, unknown>;
  return {
    name,
    clusterTypes: stringList(fields, 'cluster-type', path),
    prerequisites: stringList(fields, 'prerequisite', path),
    templates: stringList(fields, 'template-list', path),
    deployRules: deployRules(fields['deploy-rules'], path),
  };
}

function stringList(fields: Record<string, unknown>, key: string, path: string): string[] {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new ServiceDefinitionError(path, `${key} must be a list of names`);
  return value as string[];
}

function deployRules(value: unknown, path: string): DeployRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ServiceDefinitionError(path, 'deploy-rules must be a list');
  return value.map((rule, index) => {
    const entries = rule !== null && typeof rule === 'object' ? Object.entries(rule as object) : [];
    const [entry] = entries;
    if (
      entries.length !== 1 ||
      entry === undefined ||
      typeof entry[1] !== 'string' ||
      !['in', 'notin'].includes(entry[0].toLowerCase())
    )
      throw new ServiceDefinitionError(path, `deploy-rules[${index}] must be {in: <label>} or {notin: <label>}`);
    // paictl compared the operator case-insensitively.
    return { operator: entry[0].toLowerCase() === 'in' ? 'In' : 'NotIn', label: entry[1] };
  });
}
