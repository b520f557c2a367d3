import type { Action } from '../phase/phase.js';
import { checkPhase, type CheckData, type CheckPhaseOptions } from '../phase/phases/check.js';
import { validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

/** `pai-deploy check`: validate, then pre-flight checks over SSH (state and known_hosts in the work dir). */
export function checkAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: CheckPhaseOptions,
): Action<CheckData> {
  return { name: 'check', data: { sources }, phases: [validatePhase(validate), checkPhase(options)] };
}
