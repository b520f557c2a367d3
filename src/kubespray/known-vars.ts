import { readAsset } from '../assets.js';

export const KNOWN_VARS_FILE = 'kubespray-overlays/release-2.11/known-vars.txt';

let known: Set<string> | undefined;

/** Every variable name kubespray release-2.11 defines or reads. */
export function kubesprayKnownVars(): ReadonlySet<string> {
  known ??= new Set(
    readAsset(KNOWN_VARS_FILE)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return known;
}
