import { asRecord, ConversionError, specOf, type Conversion, type ConversionResult } from './conversion.js';
import { cloneJson } from './json.js';
import type { KubeObject } from '../../ports/kube-api.js';

/**
 * CustomResourceDefinition apiextensions.k8s.io/v1beta1 (OpenPAI v1.8.0's, the only one 1.15 serves) →
 * apiextensions.k8s.io/v1 (1.16 on, the only one since 1.22). What v1beta1 said once for the whole CRD, v1 says per
 * version:
 * - `spec.version` (one version) → `spec.versions` (served, storage);
 * - `spec.validation.openAPIV3Schema` → each version's `schema.openAPIV3Schema`; v1 requires one;
 * - `spec.additionalPrinterColumns` → each version's, with `JSONPath` spelled `jsonPath`;
 * - `spec.subresources` → each version's;
 * - `spec.preserveUnknownFields` is gone (v1: always false, unknown fields are pruned, the schema must be
 *   structural). A v1beta1 CRD kept unknown fields unless it set `preserveUnknownFields: false`, so its schema gets
 *   `x-kubernetes-preserve-unknown-fields: true` at the root to keep doing that; a CRD without a schema gets the
 *   schema that accepts anything: `{type: object, x-kubernetes-preserve-unknown-fields: true}`;
 * - a conversion webhook's `webhookClientConfig`/`conversionReviewVersions` sit under `conversion.webhook`.
 */
const FROM = 'apiextensions.k8s.io/v1beta1';
const TO = 'apiextensions.k8s.io/v1';

export const CRD_CONVERSIONS: readonly Conversion[] = [
  { kinds: ['CustomResourceDefinition'], from: FROM, to: TO, convert: toV1 },
];

const ANY_OBJECT = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function toV1(written: KubeObject): ConversionResult {
  const object: KubeObject = { ...written, apiVersion: TO };
  const spec = specOf(object, TO);
  const notes = [`${FROM} → ${TO}`];

  const versions = versionsOf(written, spec);
  const schema = asRecord(asRecord(spec['validation'])?.['openAPIV3Schema']);
  const columns = spec['additionalPrinterColumns'];
  const subresources = spec['subresources'];
  const preservesUnknown = spec['preserveUnknownFields'] !== false;
  let unschematized = 0;
  let preserved = 0;
  let typed = 0;

  for (const version of versions) {
    const own = asRecord(asRecord(version['schema'])?.['openAPIV3Schema']);
    let versionSchema = own ?? (schema !== undefined ? cloneJson(schema) : undefined);
    if (versionSchema === undefined) {
      versionSchema = { ...ANY_OBJECT };
      unschematized += 1;
    } else {
      if (versionSchema['type'] === undefined) {
        versionSchema['type'] = 'object';
        typed += 1;
      }
      if (preservesUnknown && versionSchema['x-kubernetes-preserve-unknown-fields'] === undefined) {
        versionSchema['x-kubernetes-preserve-unknown-fields'] = true;
        preserved += 1;
      }
    }
    version['schema'] = { openAPIV3Schema: versionSchema };

    const versionColumns = version['additionalPrinterColumns'] ?? columns;
    if (Array.isArray(versionColumns)) version['additionalPrinterColumns'] = versionColumns.map(printerColumnV1);
    if (version['subresources'] === undefined && subresources !== undefined) {
      version['subresources'] = cloneJson(subresources);
    }
  }
  spec['versions'] = versions;
  for (const key of ['version', 'validation', 'additionalPrinterColumns', 'subresources', 'preserveUnknownFields']) {
    delete spec[key];
  }

  if (unschematized > 0) {
    notes.push(
      `no schema: v1 requires one, given {type: object, x-kubernetes-preserve-unknown-fields: true} (accepts any fields, as the ${FROM} CRD did)`,
    );
  }
  if (typed > 0) notes.push('schema root without type given type: object (v1 requires a structural schema)');
  if (preserved > 0) {
    notes.push(
      'schema root given x-kubernetes-preserve-unknown-fields: true: the v1beta1 CRD kept fields its schema does not name (preserveUnknownFields defaulted to true), v1 would prune them',
    );
  }
  if (columns !== undefined || versions.some((version) => version['additionalPrinterColumns'] !== undefined)) {
    notes.push('additionalPrinterColumns per version, JSONPath written as jsonPath');
  }
  if (subresources !== undefined) notes.push('spec.subresources given to each version');

  const conversion = asRecord(spec['conversion']);
  if (conversion !== undefined) {
    if (conversion['strategy'] === 'Webhook') {
      spec['conversion'] = {
        strategy: 'Webhook',
        webhook: {
          clientConfig: conversion['webhookClientConfig'],
          // v1beta1 defaulted the review versions to v1beta1; v1 requires them written.
          conversionReviewVersions: conversion['conversionReviewVersions'] ?? ['v1beta1'],
        },
      };
      notes.push('conversion webhook settings moved under spec.conversion.webhook');
    } else {
      spec['conversion'] = { strategy: conversion['strategy'] ?? 'None' };
    }
  }
  return { object, notes };
}

function versionsOf(written: KubeObject, spec: Record<string, unknown>): Array<Record<string, unknown>> {
  const listed = spec['versions'];
  if (Array.isArray(listed) && listed.length > 0) {
    return listed.map((item: unknown, index) => {
      const version = asRecord(item);
      if (version === undefined || typeof version['name'] !== 'string') {
        throw new ConversionError(written, TO, `spec.versions[${index}] has no name`);
      }
      return version;
    });
  }
  const single = spec['version'];
  if (typeof single !== 'string' || single === '') {
    throw new ConversionError(written, TO, 'it has neither spec.version nor spec.versions');
  }
  return [{ name: single, served: true, storage: true }];
}

function printerColumnV1(column: unknown): unknown {
  const record = asRecord(column);
  if (record === undefined || record['JSONPath'] === undefined) return column;
  const { JSONPath, ...rest } = record;
  return { ...rest, jsonPath: JSONPath };
}
