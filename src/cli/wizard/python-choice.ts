import { ansible27CanUse, type PythonInterpreter } from '../../checks/parsers/python.js';

/**
 * Which interpreter kubespray's Ansible 2.7 should run its modules with, from what the probe found per machine.
 * Ansible 2.7 takes /usr/bin/python unless ansible_python_interpreter says otherwise, and it is one variable for the
 * whole inventory here (openpai_kubespray_extra_var), so the choice is a path every probed machine has.
 */
export type PythonChoice =
  /** /usr/bin/python is usable everywhere: nothing to set. */
  | { kind: 'default' }
  /** A path every probed machine has with a usable version: set as ansible_python_interpreter. */
  | { kind: 'set'; path: string; versions: string[]; apt: boolean }
  /** No common usable path; `missing` are the machines without any usable interpreter. */
  | { kind: 'none'; missing: string[] };

const DEFAULT_PATH = '/usr/bin/python';

/** undefined when no machine was probed (nothing to decide from). */
export function choosePython(found: ReadonlyMap<string, readonly PythonInterpreter[]>): PythonChoice | undefined {
  if (found.size === 0) return undefined;
  const usable = new Map([...found].map(([host, list]) => [host, list.filter(ansible27CanUse)]));
  const missing = [...usable].filter(([, list]) => list.length === 0).map(([host]) => host);
  if (missing.length > 0) return { kind: 'none', missing };
  const everywhere = (path: string) => [...usable.values()].map((list) => list.find((p) => p.path === path));
  if (everywhere(DEFAULT_PATH).every((p) => p !== undefined)) return { kind: 'default' };
  const [first, ...others] = [...usable.values()];
  const common = first!.filter((p) => others.every((list) => list.some((q) => q.path === p.path)));
  if (common.length === 0) return { kind: 'none', missing: [] };
  const ranked = common
    .map((p) => {
      const all = everywhere(p.path) as PythonInterpreter[];
      return {
        path: p.path,
        versions: [...new Set(all.map((q) => `${q.major}.${q.minor}`))].sort(),
        apt: all.every((q) => q.apt),
        // The oldest version among the machines decides (3.7 on some and 3.6 on others ranks as 3.6).
        rank: Math.min(...all.map((q) => q.major * 100 + q.minor)),
      };
    })
    .sort((a, b) => Number(b.apt) - Number(a.apt) || b.rank - a.rank || a.path.length - b.path.length);
  const best = ranked[0]!;
  return { kind: 'set', path: best.path, versions: best.versions, apt: best.apt };
}
