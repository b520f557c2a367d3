import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Files shipped beside the code (inventory-templates/, kubespray-overlays/, requirement-checks/).
 * Both src/ (tests) and dist/ (the CLI) sit one level below the package root.
 */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export function assetPath(relative: string): string {
  return `${packageRoot}${relative}`;
}

const cache = new Map<string, string>();

export function readAsset(relative: string): string {
  let text = cache.get(relative);
  if (text === undefined) {
    text = readFileSync(assetPath(relative), 'utf8');
    cache.set(relative, text);
  }
  return text;
}
