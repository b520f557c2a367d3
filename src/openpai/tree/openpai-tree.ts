import type { ServiceDefinition } from './service-definition.js';

/** A file of the tree: where it is (absolute, for messages) and its text. */
export interface TreeFile {
  readonly path: string;
  readonly text: string;
}

/**
 * What pai-deploy reads of an OpenPAI release tree (read-tree.ts reads it from disk; tests build it in memory):
 * the services (every `src/<name>/` with a `deploy/service.yaml` for Kubernetes), their deploy/ folders, and the
 * defaults files the cluster object model merges (`src/<name>/config/<name>.yaml`, services or not: `cluster`,
 * `authentication`… have defaults and no deploy/).
 */
export interface OpenpaiTree {
  /** The tree's top, absolute. */
  readonly dir: string;
  /** Sorted by name (paictl used the file system's order; a sorted one is the same on every machine). */
  readonly services: readonly ServiceDefinition[];
  /** By folder name under src/. */
  readonly defaults: ReadonlyMap<string, TreeFile>;
  /** The service's deploy/ files by path relative to deploy/ (`/` separators), templates included. */
  deployFiles(service: string): ReadonlyMap<string, TreeFile>;
  /** Another file of the service's folder, `src/<service>/<path>`, or undefined. */
  serviceFile(service: string, path: string): TreeFile | undefined;
}

/** The service of that name, or undefined. */
export function findService(tree: OpenpaiTree, name: string): ServiceDefinition | undefined {
  return tree.services.find((service) => service.name === name);
}
