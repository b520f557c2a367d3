import type { KubeObject } from '../../ports/kube-api.js';
import { LAST_APPLIED_ANNOTATION } from './last-applied.js';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from './json.js';

/** One field an apply changed, or (dry run) would change. */
export interface FieldChange {
  /** e.g. `data.b`, `spec.template.spec.containers[0].env`, `metadata.labels["app.kubernetes.io/name"]`. */
  path: string;
  change: 'added' | 'changed' | 'removed';
  /** The value before (changed, removed). */
  before?: JsonValue;
  /** The value after (added, changed). */
  after?: JsonValue;
}

/**
 * What differs between the object before and after an apply (for a dry run: the live object and the server's
 * dry-run answer), ignoring what every write changes by itself:
 * - metadata.resourceVersion, generation, managedFields, and uid/creationTimestamp/selfLink (which only a create
 *   sets): bookkeeping of the server's, not something the manifest asked for;
 * - the last-applied annotation: the apply's own record, whose change the other fields already say;
 * - status: written by controllers, never by an apply; between the read and the write it may move on its own.
 *
 * A field absent on one side is one change with its whole value (a new `data` map is one `added`, not one per key);
 * a list whose length changed is one `changed`; lists of the same length are compared element by element.
 */
export function describeChanges(before: KubeObject | undefined, after: KubeObject): FieldChange[] {
  const changes: FieldChange[] = [];
  compare(withoutNoise(before), withoutNoise(after), '', changes);
  return changes;
}

const NOISY_METADATA = ['resourceVersion', 'generation', 'managedFields', 'uid', 'creationTimestamp', 'selfLink'];

function withoutNoise(object: KubeObject | undefined): JsonObject {
  const clean: JsonObject = {};
  for (const [key, value] of Object.entries((object ?? {}) as unknown as JsonObject)) {
    if (key === 'status') continue;
    if (key !== 'metadata' || !isJsonObject(value)) {
      clean[key] = value;
      continue;
    }
    const metadata: JsonObject = { ...value };
    for (const noisy of NOISY_METADATA) delete metadata[noisy];
    const annotations = metadata['annotations'];
    if (isJsonObject(annotations) && Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) {
      const { [LAST_APPLIED_ANNOTATION]: _record, ...rest } = annotations;
      if (Object.keys(rest).length === 0) delete metadata['annotations'];
      else metadata['annotations'] = rest;
    }
    clean[key] = metadata;
  }
  return clean;
}

function compare(before: JsonValue, after: JsonValue, path: string, changes: FieldChange[]): void {
  if (jsonEqual(before, after)) return;
  if (isJsonObject(before) && isJsonObject(after)) {
    for (const [key, value] of Object.entries(after)) {
      const at = join(path, key);
      if (!Object.hasOwn(before, key)) changes.push({ path: at, change: 'added', after: value });
      else compare(before[key] as JsonValue, value, at, changes);
    }
    for (const [key, value] of Object.entries(before)) {
      if (!Object.hasOwn(after, key)) changes.push({ path: join(path, key), change: 'removed', before: value });
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, index) => compare(item, after[index] as JsonValue, `${path}[${index}]`, changes));
    return;
  }
  changes.push({ path, change: 'changed', before, after });
}

function join(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** One line per change, for a dry run's report: `+ data.b: "x"`, `~ spec.replicas: 1 → 2`, `- data.a`. */
export function formatChange(change: FieldChange): string {
  const show = (value: JsonValue | undefined): string => {
    const text = JSON.stringify(value) ?? 'undefined';
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  switch (change.change) {
    case 'added':
      return `+ ${change.path}: ${show(change.after)}`;
    case 'removed':
      return `- ${change.path}`;
    case 'changed':
      return `~ ${change.path}: ${show(change.before)} → ${show(change.after)}`;
  }
}
