import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describeSystemError, InputFileError } from '../../errors.js';
import type { OpenpaiTree, TreeFile } from './openpai-tree.js';
import { parseServiceDefinition, type ServiceDefinition } from './service-definition.js';

/** The cluster type pai-deploy deploys onto (paictl also knew `yarn`, gone since v1.0). */
const CLUSTER_TYPE = 'k8s';

/**
 * Reads an OpenPAI tree's services, deploy folders and defaults into memory: v1.8.0's deploy/ folders hold 247
 * files, 1.4 MB, so reading them all once is cheaper than reading on demand while services start in parallel.
 * The tree has been verified (commit or tree id) before: this only reads.
 */
export function readOpenpaiTree(dir: string): OpenpaiTree {
  const src = join(dir, 'src');
  const names = listDirectory(src, dir)
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const services: ServiceDefinition[] = [];
  const defaults = new Map<string, TreeFile>();
  const deploy = new Map<string, ReadonlyMap<string, TreeFile>>();
  for (const name of names) {
    const defaultsFile = readIfFile(join(src, name, 'config', `${name}.yaml`));
    if (defaultsFile) defaults.set(name, defaultsFile);
    const serviceYaml = readIfFile(join(src, name, 'deploy', 'service.yaml'));
    if (!serviceYaml) continue;
    const definition = parseServiceDefinition(name, serviceYaml.text, serviceYaml.path);
    if (definition.clusterTypes.length > 0 && !definition.clusterTypes.includes(CLUSTER_TYPE)) continue;
    services.push(definition);
    deploy.set(name, readFolder(join(src, name, 'deploy'), dir));
  }
  return {
    dir,
    services,
    defaults,
    deployFiles: (service) => deploy.get(service) ?? new Map(),
    serviceFile: (service, path) => readIfFile(join(src, service, path)),
  };
}

function listDirectory(path: string, top: string) {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    throw new InputFileError(
      path,
      describeSystemError(error),
      `${top} does not look like an OpenPAI source tree (no src/): name the top of a checkout (--openpai-src).`,
      error,
    );
  }
}

function readFolder(folder: string, top: string): Map<string, TreeFile> {
  const files = new Map<string, TreeFile>();
  const walk = (path: string) => {
    for (const entry of listDirectory(path, top).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const file = readIfFile(child);
        if (file) files.set(relative(folder, child).split(sep).join('/'), file);
      }
    }
  };
  walk(folder);
  return files;
}

function readIfFile(path: string): TreeFile | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw new InputFileError(path, describeSystemError(error), 'Check the OpenPAI tree is readable.', error);
  }
}
