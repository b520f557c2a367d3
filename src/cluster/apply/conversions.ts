import { asRecord, ConversionError, renamed, specOf, type Conversion } from './conversion.js';
import { CRD_CONVERSIONS } from './crd.js';
import { INGRESS_CONVERSIONS } from './ingress.js';
import { WORKLOAD_CONVERSIONS } from './workloads.js';

/**
 * Every known equivalent, in order of preference (the first whose target the server serves wins). Both
 * directions where a manifest may be older than the server (OpenPAI v1.8.0's on a current one) or newer (a current
 * manifest on kubespray 2.11's 1.15).
 */
const RBAC = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];
const STORAGE = ['CSIDriver', 'StorageClass', 'VolumeAttachment'];

export const CONVERSIONS: readonly Conversion[] = [
  // batch/v1 CronJob since 1.21; 1.15 serves only batch/v1beta1, gone since 1.25. The fields are the same, but for
  // spec.timeZone (1.24 on), which batch/v1beta1 cannot say.
  renamed(['CronJob'], 'batch/v1beta1', 'batch/v1', 'the same fields'),
  {
    kinds: ['CronJob'],
    from: 'batch/v1',
    to: 'batch/v1beta1',
    convert(object) {
      if (specOf(object, 'batch/v1beta1')['timeZone'] !== undefined) {
        throw new ConversionError(
          object,
          'batch/v1beta1',
          "spec.timeZone has no equivalent there (the schedule runs in the controller manager's time zone)",
        );
      }
      return {
        object: { ...object, apiVersion: 'batch/v1beta1' },
        notes: ['batch/v1 → batch/v1beta1 (the same fields)'],
      };
    },
  },
  // RBAC v1 since 1.8; v1beta1 gone since 1.22. Identical fields.
  renamed(RBAC, 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1', 'the same fields'),
  renamed(RBAC, 'rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io/v1beta1', 'the same fields'),
  // StorageClass/VolumeAttachment v1 since 1.6/1.13, CSIDriver v1 since 1.18 (1.15: v1beta1 only); v1beta1 gone
  // since 1.22. Identical fields (a newer CSIDriver field unknown to 1.15 is dropped by that server).
  renamed(STORAGE, 'storage.k8s.io/v1beta1', 'storage.k8s.io/v1', 'the same fields'),
  renamed(STORAGE, 'storage.k8s.io/v1', 'storage.k8s.io/v1beta1', 'the same fields'),
  // PriorityClass v1 since 1.14; v1beta1 gone since 1.22. Identical fields.
  renamed(['PriorityClass'], 'scheduling.k8s.io/v1beta1', 'scheduling.k8s.io/v1', 'the same fields'),
  renamed(['PriorityClass'], 'scheduling.k8s.io/v1', 'scheduling.k8s.io/v1beta1', 'the same fields'),
  // PodDisruptionBudget v1 since 1.21; v1beta1 (1.15's only) gone since 1.25. The fields are the same, but an
  // empty selector: v1beta1 selected no pod with it, v1 selects every pod of the namespace.
  {
    kinds: ['PodDisruptionBudget'],
    from: 'policy/v1beta1',
    to: 'policy/v1',
    convert(object) {
      const notes = ['policy/v1beta1 → policy/v1 (the same fields)'];
      if (isEmptySelector(specOf(object, 'policy/v1')['selector'])) {
        notes.push(
          'its selector is empty: policy/v1beta1 protected no pod with it, policy/v1 protects every pod of the namespace',
        );
      }
      return { object: { ...object, apiVersion: 'policy/v1' }, notes };
    },
  },
  {
    kinds: ['PodDisruptionBudget'],
    from: 'policy/v1',
    to: 'policy/v1beta1',
    convert(object) {
      const spec = specOf(object, 'policy/v1beta1');
      if (spec['unhealthyPodEvictionPolicy'] !== undefined) {
        throw new ConversionError(object, 'policy/v1beta1', 'spec.unhealthyPodEvictionPolicy has no equivalent there');
      }
      const notes = ['policy/v1 → policy/v1beta1 (the same fields)'];
      if (isEmptySelector(spec['selector'])) {
        notes.push(
          'its selector is empty: policy/v1 protected every pod of the namespace with it, policy/v1beta1 protects none',
        );
      }
      return { object: { ...object, apiVersion: 'policy/v1beta1' }, notes };
    },
  },
  ...WORKLOAD_CONVERSIONS,
  ...INGRESS_CONVERSIONS,
  ...CRD_CONVERSIONS,
];

function isEmptySelector(value: unknown): boolean {
  const selector = asRecord(value);
  if (selector === undefined) return true;
  const labels = asRecord(selector['matchLabels']);
  const expressions = selector['matchExpressions'];
  return (
    (labels === undefined || Object.keys(labels).length === 0) &&
    (!Array.isArray(expressions) || expressions.length === 0)
  );
}
