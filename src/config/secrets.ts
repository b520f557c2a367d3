import type { PathSegment } from '../findings/finding.js';
import { secretConfigKeys } from './config-schema.js';

/**
 * What may hold a secret, decided in one place: a finding never quotes such a value, and a rendered file that holds
 * one is 0600. Keys are judged at any depth (kubespray's `kube_users: {admin: {pass: ...}}`, a `*_private_key` deep in
 * openpai_kubespray_extra_var), because a value's secrecy is its key's, wherever it sits.
 */
const SECRET_KEY =
  /(^|[_-])(pass|passwd|password|pwd|secret|token|credentials?|htpasswd)($|[_-])|private_?key|certificate_key|access_key|account_key|become_pass/i;

/** Config keys whose whole value is a secret, whatever its name says (marked in config-schema.ts). */
const SECRET_CONFIG_KEYS = secretConfigKeys;

/** kubespray 2.11 variables that carry credentials under names the pattern would not catch. */
const SECRET_KUBESPRAY_VARS: ReadonlySet<string> = new Set(['kube_users', 'kube_token_auth', 'kube_basic_auth']);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || SECRET_KUBESPRAY_VARS.has(key);
}

/**
 * Whether the value at this config.yaml path may hold a secret: a secret key anywhere on the path, or
 * openpai_kubespray_extra_var itself when it is not a mapping (an `-e` style string such as
 * "ansible_become_pass=..." is all one value).
 */
export function isSecretConfigPath(path: readonly PathSegment[], root?: unknown): boolean {
  const [first] = path;
  if (typeof first === 'string' && SECRET_CONFIG_KEYS.has(first)) return true;
  if (path.some((segment) => typeof segment === 'string' && isSecretKey(segment))) return true;
  if (first === 'openpai_kubespray_extra_var' && path.length === 1 && root !== undefined) {
    const value = (root as Record<string, unknown> | null)?.['openpai_kubespray_extra_var'];
    return value === null || typeof value !== 'object';
  }
  return false;
}

/** Whether a parsed value holds a secret anywhere: a secret key at any depth whose value is not empty. */
export function holdsSecret(value: unknown, isSecret: (key: string) => boolean = isSecretKey): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
        if (isSecret(key) && child !== null && child !== undefined && child !== '') return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/**
 * Whether config.yaml's text has a line that sets a secret key, commented out or not: the rendered cluster-cfg keeps
 * the file as written, comments included, so `# password: old-one` makes the copy secret too.
 */
export function textHasSecretLine(text: string): boolean {
  for (const line of text.split(/\r\n|\r|\n/)) {
    const match = /^\s*#*\s*([A-Za-z0-9_.-]+)\s*[:=]\s*\S/.exec(line);
    if (match && (SECRET_CONFIG_KEYS.has(match[1]!) || isSecretKey(match[1]!))) return true;
  }
  return false;
}

/** What a finding shows instead of a value that may be secret: its kind and length, never its text. */
export function describeHidden(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters (hidden: it may hold a secret)`;
  if (typeof value === 'number') return 'a number (hidden: it may hold a secret)';
  if (Array.isArray(value)) return `a list of ${value.length} items (hidden: it may hold a secret)`;
  if (value !== null && typeof value === 'object') return 'a mapping (hidden: it may hold a secret)';
  return '(hidden: it may hold a secret)';
}
