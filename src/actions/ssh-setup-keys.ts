import type { Action } from '../phase/phase.js';
import { installKeyPhase, type InstallKeyData, type InstallKeyOptions } from '../phase/phases/install-key.js';
import { validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

/** `pai-deploy ssh setup-keys`: validate, then install the dev-box's public key where the password works. */
export function sshSetupKeysAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: InstallKeyOptions,
): Action<InstallKeyData> {
  return { name: 'ssh setup-keys', data: { sources }, phases: [validatePhase(validate), installKeyPhase(options)] };
}
