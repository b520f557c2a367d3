import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything below `root` as path → type, mode and bytes (or link target), so "byte-identical" and "complete" can be
 * asserted with one toEqual.
 */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const full = join(root, path);
      const stats = lstatSync(full);
      const mode = (stats.mode & 0o7777).toString(8);
      if (stats.isDirectory()) {
        out[path] = `dir ${mode}`;
        walk(path);
      } else if (stats.isSymbolicLink()) out[path] = `link -> ${readlinkSync(full)}`;
      else out[path] = `file ${mode} ${readFileSync(full, 'utf8')}`;
    }
  };
  walk('');
  return out;
}
