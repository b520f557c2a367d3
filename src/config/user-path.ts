import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

/** A path from config.yaml: `~` is the user's home, relative paths are read from the directory of config.yaml. */
export function resolveUserPath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
