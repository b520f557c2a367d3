import { PaiDeployError } from '../../errors.js';
import type { KubeObject } from '../../ports/kube-api.js';

/**
 * One known way to write an object of an older (or newer) group version at another one, with the same meaning.
 * `convert` gets a copy it may change and returns it with notes for the user: what was renamed, filled in or dropped,
 * and which defaults differ at the target.
 */
export interface Conversion {
  kinds: readonly string[];
  from: string;
  to: string;
  convert(object: KubeObject): ConversionResult;
}

export interface ConversionResult {
  object: KubeObject;
  notes: string[];
}

/** `Ingress default/web`, `ClusterRole pai-admin`: how errors and notes name an object. */
export function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  const { name, namespace } = object.metadata ?? { name: '' };
  return `${object.kind} ${namespace !== undefined ? `${namespace}/` : ''}${name}`;
}

/** A manifest that has a known equivalent at the served version, but one that cannot say what it says. */
export class ConversionError extends PaiDeployError {
  constructor(object: KubeObject, to: string, reason: string) {
    super(`${describeObject(object)} is written as ${object.apiVersion} and cannot be applied as ${to}: ${reason}`, {
      hint: `Rewrite the manifest for ${to}, the version this server serves.`,
    });
  }
}

/** A conversion that changes nothing but the apiVersion: the group versions share every field. */
export function renamed(kinds: readonly string[], from: string, to: string, why: string): Conversion {
  return {
    kinds,
    from,
    to,
    convert: (object) => ({ object: { ...object, apiVersion: to }, notes: [`${from} → ${to} (${why})`] }),
  };
}

/** The object's spec as an object, or a conversion error naming what is missing. */
export function specOf(object: KubeObject, to: string): Record<string, unknown> {
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ConversionError(object, to, 'it has no spec');
  }
  return spec as Record<string, unknown>;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
