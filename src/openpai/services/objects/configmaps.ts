/**
 * ConfigMaps as OpenPAI's scripts made them with `kubectl create configmap NAME --from-file=… --dry-run -o yaml |
 * kubectl apply -f -`: from a folder of the deploy directory (every regular file directly in it, the key its file
 * name), or from named files with chosen keys.
 */
import type { KubeObject } from '../../../ports/kube-api.js';
import type { ServiceContext } from '../recipe.js';
import { ServiceFileError } from './errors.js';

type FilesContext = Pick<ServiceContext, 'service' | 'files'>;

/** kubectl's rule for ConfigMap and Secret keys (validation.IsConfigMapKey). */
const KEY = /^[-._a-zA-Z0-9]+$/;

export function isConfigMapKey(key: string): boolean {
  return KEY.test(key) && key !== '.' && key !== '..' && key.length <= 253;
}

export function configMap(name: string, data: Readonly<Record<string, string>>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { ...data } };
}

export interface FolderOptions {
  namespace?: string;
  /** Keep only the files (by name) this accepts. */
  include?: (name: string) => boolean;
  /** The value stored for a file (default: its text). */
  transform?: (text: string, path: string) => string;
  /** An empty or missing folder gives an empty ConfigMap instead of an error (start.sh's `mkdir -p` first). */
  allowEmpty?: boolean;
}

/**
 * The files directly in `dir` (kubectl's `--from-file=DIR` does not descend), sorted by name, as `[name, path]`.
 *
 * paictl rendered `X.template` into `X` beside it, so kubectl saw both and stored the template source too (a
 * ConfigMap key `host-configuration.yaml.template` full of Jinja). A template whose rendered file is present is
 * such a paictl leftover and is left out; a `.template` file without a rendered sibling is kept, since some
 * services render their own templates at run time (pylon's nginx.conf.template).
 */
export function folderFiles(context: FilesContext, dir: string): Array<[name: string, path: string]> {
  const prefix = `${dir.replace(/\/+$/, '')}/`;
  const direct = context.files
    .list(dir)
    .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'));
  const present = new Set(direct);
  return direct
    .filter((path) => !(path.endsWith('.template') && present.has(path.slice(0, -'.template'.length))))
    .map((path): [string, string] => [path.slice(prefix.length), path])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `kubectl create configmap NAME --from-file=DIR/`. */
export function configMapFromFolder(
  context: FilesContext,
  name: string,
  dir: string,
  options: FolderOptions = {},
): KubeObject {
  const data: Record<string, string> = {};
  for (const [key, path] of folderFiles(context, dir)) {
    if (options.include && !options.include(key)) continue;
    const text = context.files.read(path);
    if (text === undefined) throw new ServiceFileError(context.service, path, 'is listed but cannot be read');
    data[checkKey(context, key, path)] = options.transform ? options.transform(text, path) : text;
  }
  if (Object.keys(data).length === 0 && !options.allowEmpty)
    throw new ServiceFileError(context.service, dir, `has no files for ConfigMap ${name}`);
  return configMap(name, data, options.namespace);
}

/** `kubectl create configmap NAME --from-file=KEY=PATH …`, in the order given. */
export function configMapFromFiles(
  context: FilesContext,
  name: string,
  entries: ReadonlyArray<{ key: string; path: string }>,
  namespace = 'default',
): KubeObject {
  const data: Record<string, string> = {};
  for (const { key, path } of entries) {
    const text = context.files.read(path);
    if (text === undefined) throw new ServiceFileError(context.service, path, 'is missing from the deploy folder');
    data[checkKey(context, key, path)] = text;
  }
  return configMap(name, data, namespace);
}

function checkKey(context: FilesContext, key: string, path: string): string {
  if (!isConfigMapKey(key))
    throw new ServiceFileError(
      context.service,
      path,
      `cannot be a ConfigMap key: ${JSON.stringify(key)} (letters, digits, '-', '_' and '.' only)`,
    );
  return key;
}

/**
 * JSON without insignificant whitespace, as grafana's minify.py wrote it (`json.dumps(obj, separators=(",", ":"))`,
 * which also escapes every non-ASCII character as `\uXXXX`). The dashboards are large and `kubectl apply` keeps a
 * second copy of the whole ConfigMap in its last-applied annotation, which must stay under the 256 KiB the API
 * server allows for all annotations together.
 */
export function minifyJson(text: string): string {
  const value: unknown = JSON.parse(text);
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
