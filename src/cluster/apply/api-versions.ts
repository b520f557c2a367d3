import { PaiDeployError } from '../../errors.js';
import type { KubeObject, ServedResource } from '../../ports/kube-api.js';
import { ConversionError, describeObject, type ConversionResult } from './conversion.js';
import { CONVERSIONS } from './conversions.js';
import { cloneJson } from './json.js';

/**
 * Which group version an object is applied at, by what this server serves (discovery), not by a table of
 * Kubernetes releases: kubespray 2.11's 1.15 serves CronJob only as batch/v1beta1 and a current server only as
 * batch/v1; OpenPAI v1.8.0's manifests use rbac/v1beta1, storage.k8s.io/v1beta1 and apiextensions.k8s.io/v1beta1,
 * which current servers removed. An object is applied as written when the server serves it so; otherwise at the
 * first known equivalent the server serves (conversions.ts), with notes saying what changed.
 */
export interface ServedMapping {
  /** The object at a served group version: the one written when it is served, otherwise a converted copy. */
  object: KubeObject;
  /** How the server serves it there (plural, namespaced). */
  resource: ServedResource;
  /** The apiVersion as written. */
  writtenApiVersion: string;
  /** For the user: what the mapping changed (empty when applied as written). */
  notes: string[];
}

export function apiVersionOf(resource: Pick<ServedResource, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

export function mapToServedVersion(object: KubeObject, served: readonly ServedResource[]): ServedMapping {
  const find = (apiVersion: string): ServedResource | undefined =>
    served.find((resource) => resource.kind === object.kind && apiVersionOf(resource) === apiVersion);

  const asWritten = find(object.apiVersion);
  if (asWritten !== undefined) {
    return { object, resource: asWritten, writtenApiVersion: object.apiVersion, notes: [] };
  }
  let refused: ConversionError | undefined;
  for (const conversion of CONVERSIONS) {
    if (conversion.from !== object.apiVersion || !conversion.kinds.includes(object.kind)) continue;
    const resource = find(conversion.to);
    if (resource === undefined) continue;
    try {
      const { object: converted, notes } = conversion.convert(cloneJson(object));
      return { object: converted, resource, writtenApiVersion: object.apiVersion, notes };
    } catch (error) {
      if (!(error instanceof ConversionError)) throw error;
      refused ??= error;
    }
  }
  if (refused !== undefined) throw refused;
  throw new ApiVersionNotServedError(object, served);
}

/**
 * The object written at another group version, when a known conversion leads there (for a last-applied
 * annotation kubectl wrote at an older version than the manifest is applied at now); undefined otherwise.
 */
export function convertToApiVersion(object: KubeObject, apiVersion: string): ConversionResult | undefined {
  if (object.apiVersion === apiVersion) return { object, notes: [] };
  const conversion = CONVERSIONS.find(
    (candidate) =>
      candidate.from === object.apiVersion && candidate.to === apiVersion && candidate.kinds.includes(object.kind),
  );
  if (conversion === undefined) return undefined;
  try {
    return conversion.convert(cloneJson(object));
  } catch (error) {
    if (error instanceof ConversionError) return undefined;
    throw error;
  }
}

/** No served group version for an object, and no known equivalent at one that is. */
export class ApiVersionNotServedError extends PaiDeployError {
  /** `Ingress default/web`. */
  readonly object: string;
  readonly writtenApiVersion: string;
  /** Every group version the server serves that kind at (by kind name), e.g. `['networking.k8s.io/v1']`. */
  readonly servedApiVersions: readonly string[];

  constructor(object: KubeObject, served: readonly ServedResource[]) {
    const versions = [
      ...new Set(served.filter((resource) => resource.kind === object.kind).map((r) => apiVersionOf(r))),
    ].sort();
    const serves =
      versions.length === 0
        ? `it serves no ${object.kind} at all`
        : `it serves ${object.kind} as ${versions.join(', ')}`;
    super(
      `${describeObject(object)} is written as ${object.apiVersion}, which the Kubernetes API server does not serve, and pai-deploy knows no equivalent it serves: ${serves}`,
      {
        hint:
          versions.length === 0
            ? `A custom resource needs its CustomResourceDefinition applied (and established) first; otherwise ${object.kind} is not a kind of this Kubernetes version.`
            : `Rewrite the manifest as ${versions.join(' or ')}.`,
      },
    );
    this.object = describeObject(object);
    this.writtenApiVersion = object.apiVersion;
    this.servedApiVersions = versions;
  }
}

/**
 * The group version the server serves a reference's kind at (as written, else a known equivalent), for deleting
 * and waiting by name; undefined when it serves the kind at none (then no such object can exist there).
 */
export function servedApiVersionOf(
  ref: { apiVersion: string; kind: string },
  served: readonly ServedResource[],
): string | undefined {
  const serves = (apiVersion: string) =>
    served.some((resource) => resource.kind === ref.kind && apiVersionOf(resource) === apiVersion);
  if (serves(ref.apiVersion)) return ref.apiVersion;
  return CONVERSIONS.find(
    (conversion) => conversion.from === ref.apiVersion && conversion.kinds.includes(ref.kind) && serves(conversion.to),
  )?.to;
}
