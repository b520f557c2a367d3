import { parseAllDocuments } from 'yaml';
import { ExitCode, PaiDeployError } from '../../errors.js';
import type { KubeObject } from '../../ports/kube-api.js';
import type { DeployRule } from './service-definition.js';

/** A rendered or static manifest that is not a list of Kubernetes objects. */
export class ManifestError extends PaiDeployError {
  readonly service: string;
  readonly path: string;
  constructor(service: string, path: string, problem: string) {
    super(`service ${service}: ${path}: ${problem}`, {
      exitCode: ExitCode.failed,
      hint: 'The manifest comes from the OpenPAI tree and its templates: check the tree (--openpai-src) and the cluster configuration the template reads.',
    });
    this.service = service;
    this.path = path;
  }
}

/**
 * The objects of one manifest file, in order: every YAML document that is not empty (templates render whole
 * documents away when a feature is off: alert-manager's deployment with no receivers is an empty file), each with
 * apiVersion, kind and metadata.name. A `List` is unpacked as kubectl does.
 */
export function parseManifests(service: string, path: string, text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const where = `document ${index + 1}`;
    if (document.errors.length > 0)
      throw new ManifestError(service, path, `${where} is not valid YAML: ${firstLine(document.errors[0]?.message)}`);
    const value: unknown = document.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    for (const object of unpack(value)) objects.push(checkObject(service, path, where, object));
  });
  return objects;
}

function unpack(value: unknown): unknown[] {
  if (isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items'])) return value['items'];
  return [value];
}

function checkObject(service: string, path: string, where: string, value: unknown): KubeObject {
  if (!isRecord(value)) throw new ManifestError(service, path, `${where} is not a Kubernetes object (a mapping)`);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string')
    throw new ManifestError(service, path, `${where} has no apiVersion and kind`);
  if (!isRecord(metadata) || typeof metadata['name'] !== 'string' || metadata['name'] === '')
    throw new ManifestError(service, path, `${where} (${kind}) has no metadata.name`);
  return value as KubeObject;
}

/** Kinds whose pods paictl constrained with the service's deploy-rules. */
const RULED_KINDS = new Set(['DaemonSet', 'Deployment', 'StatefulSet', 'Pod']);

/**
 * paictl's rule for which rendered templates get the deploy-rules: the template-list entry contains `yaml` and not
 * `delete` (clean-up DaemonSets of delete.sh run everywhere).
 */
export function takesDeployRules(templatePath: string): boolean {
  return templatePath.includes('yaml') && !templatePath.includes('delete');
}

/**
 * The object with the deploy-rules as its pods' required node affinity: `In`/`NotIn` on the label with value
 * "true", all in one term. Like paictl it replaces any affinity the template wrote. paictl wrote it into
 * spec.template.spec even for a Pod (where that fails); a Pod gets it in spec.
 */
export function withDeployRules(object: KubeObject, rules: readonly DeployRule[]): KubeObject {
  if (rules.length === 0 || !RULED_KINDS.has(object.kind)) return object;
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: rules.map((rule) => ({ key: rule.label, operator: rule.operator, values: ['true'] })) },
        ],
      },
    },
  };
  const copy = structuredClone(object);
  const spec = record(copy, 'spec');
  const podSpec = object.kind === 'Pod' ? spec : record(record(spec, 'template'), 'spec');
  podSpec['affinity'] = affinity;
  return copy;
}

function record(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (isRecord(value)) return value;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? '';
}
