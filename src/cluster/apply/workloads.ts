import { asRecord, ConversionError, specOf, type Conversion, type ConversionResult } from './conversion.js';
import type { KubeObject } from '../../ports/kube-api.js';

/**
 * Deployments, DaemonSets, StatefulSets and ReplicaSets written for extensions/v1beta1, apps/v1beta1 or
 * apps/v1beta2, applied as apps/v1 (the only one served since 1.16; 1.15 serves all four). The fields are the same
 * but for:
 * - `spec.selector`: required by apps/v1; the old group versions defaulted it to the pod template's labels, so a
 *   manifest that leaves it out gets exactly that, said in a note;
 * - `spec.rollbackTo` (extensions/v1beta1 and apps/v1beta1 Deployments): a one-time "roll back now" request, not a
 *   desired state; apps/v1 has no such field, so it is dropped with a note;
 * - `spec.templateGeneration` (extensions/v1beta1 DaemonSets): deprecated bookkeeping, dropped with a note;
 * - defaults for fields the manifest leaves out, which differ per group version: the apps/v1 ones apply then, and a
 *   note says which behaviour changes (nothing is filled in to imitate the old defaults: apps/v1's are the ones
 *   every current manifest and the OpenPAI services written for apps/v1 get).
 */
const FROM: Record<string, readonly string[]> = {
  Deployment: ['extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2'],
  DaemonSet: ['extensions/v1beta1', 'apps/v1beta2'],
  StatefulSet: ['apps/v1beta1', 'apps/v1beta2'],
  ReplicaSet: ['extensions/v1beta1', 'apps/v1beta2'],
};

const TO = 'apps/v1';

export const WORKLOAD_CONVERSIONS: readonly Conversion[] = Object.entries(FROM).flatMap(([kind, versions]) =>
  versions.map((from): Conversion => ({ kinds: [kind], from, to: TO, convert: (object) => toAppsV1(object, from) })),
);

function toAppsV1(written: KubeObject, from: string): ConversionResult {
  const object: KubeObject = { ...written, apiVersion: TO };
  const spec = specOf(object, TO);
  const notes = [`${from} → ${TO}`];

  if (spec['selector'] === undefined) {
    const template = asRecord(spec['template']);
    const labels = asRecord(asRecord(template?.['metadata'])?.['labels']);
    if (labels === undefined || Object.keys(labels).length === 0) {
      throw new ConversionError(
        written,
        TO,
        'apps/v1 requires spec.selector, and the pod template has no labels to take it from',
      );
    }
    spec['selector'] = { matchLabels: { ...labels } };
    const shown = Object.entries(labels)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(',');
    notes.push(
      `spec.selector set to the pod template's labels (${shown}): apps/v1 requires it, ${from} defaulted it so`,
    );
  }

  if (written.kind === 'Deployment') {
    if (spec['rollbackTo'] !== undefined) {
      delete spec['rollbackTo'];
      notes.push('spec.rollbackTo dropped: apps/v1 has no rollback request (roll back with a rollout instead)');
    }
    notes.push(...deploymentDefaults(spec, from));
  }
  if (written.kind === 'DaemonSet') {
    if (spec['templateGeneration'] !== undefined) {
      delete spec['templateGeneration'];
      notes.push('spec.templateGeneration dropped: deprecated, apps/v1 has no such field');
    }
    if (from === 'extensions/v1beta1' && spec['updateStrategy'] === undefined) {
      notes.push(
        'no spec.updateStrategy: apps/v1 rolls pods on a change (RollingUpdate), extensions/v1beta1 waited (OnDelete)',
      );
    }
  }
  if (written.kind === 'StatefulSet' && from === 'apps/v1beta1' && spec['updateStrategy'] === undefined) {
    notes.push(
      'no spec.updateStrategy: apps/v1 rolls pods on a change (RollingUpdate), apps/v1beta1 waited (OnDelete)',
    );
  }
  return { object, notes };
}

function deploymentDefaults(spec: Record<string, unknown>, from: string): string[] {
  const notes: string[] = [];
  if (from === 'extensions/v1beta1') {
    if (spec['revisionHistoryLimit'] === undefined) {
      notes.push('no spec.revisionHistoryLimit: apps/v1 keeps 10 old ReplicaSets, extensions/v1beta1 kept all');
    }
    if (spec['progressDeadlineSeconds'] === undefined) {
      notes.push(
        'no spec.progressDeadlineSeconds: apps/v1 reports a rollout stuck after 600 s, extensions/v1beta1 never',
      );
    }
    const strategy = asRecord(spec['strategy']);
    const rolling = asRecord(strategy?.['rollingUpdate']);
    if (
      strategy?.['type'] !== 'Recreate' &&
      (rolling?.['maxSurge'] === undefined || rolling['maxUnavailable'] === undefined)
    ) {
      notes.push('rolling update without maxSurge/maxUnavailable: apps/v1 takes 25% each, extensions/v1beta1 took 1');
    }
  }
  if (from === 'apps/v1beta1' && spec['revisionHistoryLimit'] === undefined) {
    notes.push('no spec.revisionHistoryLimit: apps/v1 keeps 10 old ReplicaSets, apps/v1beta1 kept 2');
  }
  return notes;
}
