import { didYouMean } from '../findings/did-you-mean.js';
import { UsageError } from '../errors.js';

/**
 * `--limit HOSTS` (Ansible's word): comma-separated host names or IPs, with `*` globs; `!pattern` excludes. Every
 * pattern must match some machine, so a typo is an error rather than a silently smaller run.
 */
export function selectByLimit<T extends { hostname: string; ip: string }>(
  machines: readonly T[],
  limit: readonly string[] | undefined,
): T[] {
  if (limit === undefined || limit.length === 0) return [...machines];
  const include = limit.filter((pattern) => !pattern.startsWith('!'));
  const exclude = limit.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  for (const pattern of [...include, ...exclude]) {
    if (!machines.some((machine) => matches(machine, pattern))) {
      const suggestion = didYouMean(
        pattern,
        machines.map((machine) => machine.hostname),
      );
      throw new UsageError(
        `--limit: no machine of the layout matches "${pattern}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        'Give host names or IPs from layout.yaml, comma-separated; * matches any characters and !name excludes.',
      );
    }
  }
  return machines.filter(
    (machine) =>
      (include.length === 0 || include.some((pattern) => matches(machine, pattern))) &&
      !exclude.some((pattern) => matches(machine, pattern)),
  );
}

function matches(machine: { hostname: string; ip: string }, pattern: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(machine.hostname) || regex.test(machine.ip);
}
