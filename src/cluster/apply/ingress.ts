import { asRecord, ConversionError, renamed, specOf, type Conversion, type ConversionResult } from './conversion.js';
import type { KubeObject } from '../../ports/kube-api.js';

/**
 * Ingress moved twice: extensions/v1beta1 (OpenPAI v1.8.0's manifests, 1.15) → networking.k8s.io/v1beta1 (1.14 to
 * 1.21, the same fields) → networking.k8s.io/v1 (1.19 on, the only one since 1.22), where
 * - a backend is `service: {name, port: {number} | {name}}` instead of `serviceName`/`servicePort`;
 * - the catch-all backend is `spec.defaultBackend` instead of `spec.backend`;
 * - every path needs a `pathType`: v1beta1's paths matched as ImplementationSpecific (the controller's own rule,
 *   for ingress-nginx a prefix match), which is what a path without one gets.
 */
const V1 = 'networking.k8s.io/v1';

export const INGRESS_CONVERSIONS: readonly Conversion[] = [
  renamed(['Ingress'], 'extensions/v1beta1', 'networking.k8s.io/v1beta1', 'the same fields'),
  renamed(['Ingress'], 'networking.k8s.io/v1beta1', 'extensions/v1beta1', 'the same fields'),
  { kinds: ['Ingress'], from: 'extensions/v1beta1', to: V1, convert: (object) => toV1(object, 'extensions/v1beta1') },
  {
    kinds: ['Ingress'],
    from: 'networking.k8s.io/v1beta1',
    to: V1,
    convert: (object) => toV1(object, 'networking.k8s.io/v1beta1'),
  },
];

function toV1(written: KubeObject, from: string): ConversionResult {
  const object: KubeObject = { ...written, apiVersion: V1 };
  const spec = specOf(object, V1);
  const notes = [`${from} → ${V1}`];
  let backends = 0;
  let pathTypes = 0;

  if (spec['backend'] !== undefined) {
    spec['defaultBackend'] = backendV1(written, spec['backend'], 'spec.backend');
    delete spec['backend'];
    notes.push('spec.backend written as spec.defaultBackend');
  }
  const rules = Array.isArray(spec['rules']) ? spec['rules'] : [];
  rules.forEach((rule: unknown, r) => {
    const paths = asRecord(asRecord(rule)?.['http'])?.['paths'];
    if (!Array.isArray(paths)) return;
    paths.forEach((item: unknown, p) => {
      const path = asRecord(item);
      if (path === undefined) return;
      if (path['backend'] !== undefined) {
        path['backend'] = backendV1(written, path['backend'], `spec.rules[${r}].http.paths[${p}].backend`);
        backends += 1;
      }
      if (path['pathType'] === undefined) {
        path['pathType'] = 'ImplementationSpecific';
        pathTypes += 1;
      }
    });
  });
  if (backends > 0) {
    notes.push(`${backends} path backend(s): serviceName/servicePort written as service.name/service.port`);
  }
  if (pathTypes > 0) {
    notes.push(`${pathTypes} path(s) without pathType given ImplementationSpecific, how ${from} matched them`);
  }
  return { object, notes };
}

function backendV1(written: KubeObject, value: unknown, where: string): Record<string, unknown> {
  const backend = asRecord(value);
  if (backend === undefined) throw new ConversionError(written, V1, `${where} is not an object`);
  // A backend to another kind of object (networking.k8s.io/v1beta1 since 1.18) reads the same in v1.
  if (backend['resource'] !== undefined && backend['serviceName'] === undefined)
    return { resource: backend['resource'] };
  const name = backend['serviceName'];
  const port = backend['servicePort'];
  if (typeof name !== 'string' || name === '') {
    throw new ConversionError(written, V1, `${where} has no serviceName`);
  }
  if (typeof port === 'number') return { service: { name, port: { number: port } } };
  // servicePort is an int-or-string: a string of digits is a number written in quotes; anything else names a port.
  if (typeof port === 'string' && /^\d+$/.test(port)) return { service: { name, port: { number: Number(port) } } };
  if (typeof port === 'string' && port !== '') return { service: { name, port: { name: port } } };
  throw new ConversionError(written, V1, `${where} has no servicePort`);
}
