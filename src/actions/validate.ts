import type { Action } from '../phase/phase.js';
import {
  validatePhase,
  type ClusterSources,
  type ValidateData,
  type ValidateOptions,
} from '../phase/phases/validate.js';

/** `pai-deploy validate`: offline checks only; touches nothing. */
export function validateAction(sources: ClusterSources, options: ValidateOptions): Action<ValidateData> {
  return { name: 'validate', data: { sources }, phases: [validatePhase(options)] };
}
