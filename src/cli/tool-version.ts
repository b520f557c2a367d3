import { readFileSync } from 'node:fs';
import { assetPath } from '../assets.js';

/** pai-deploy's own version, from the package.json shipped beside the code. */
export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(assetPath('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
