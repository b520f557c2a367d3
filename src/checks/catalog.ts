import { z } from 'zod';
import { readAsset } from '../assets.js';
import { parseYamlSource } from '../config/yaml-source.js';

/** Which machines a check or fact applies to. `gpu`: workers whose computing device is nvidia.com/gpu. */
export const machineRoles = ['all', 'master', 'worker', 'gpu'] as const;
export type MachineRole = (typeof machineRoles)[number];

const checkSpecSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/),
  scope: z.enum(['machine', 'cluster', 'devbox']).default('machine'),
  roles: z.array(z.enum(machineRoles)).min(1),
  severity: z.enum(['error', 'warning']),
  title: z.string().min(1),
  hint: z.string().min(1),
  /** What the check reads from each machine: facts.yaml ids and the built-in facts; only these are gathered. */
  facts: z.array(z.string()).default([]),
});

/** Facts every machine script yields without a facts.yaml entry: its clock (read first) and how sudo went. */
export const BUILTIN_FACTS = ['clock', 'sudo-nopasswd'] as const;

const factSpecSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]+$/),
    command: z.string().min(1),
    sudo: z.boolean().default(false),
    roles: z.array(z.enum(machineRoles)).default(['all']),
    /** Runs under `timeout` (commands that can hang on a wedged daemon or driver). */
    'may-hang': z.boolean().default(false),
  })
  .transform(({ 'may-hang': mayHang, ...rest }) => ({ ...rest, mayHang }));

export type CheckSpec = z.infer<typeof checkSpecSchema>;
export type FactSpec = z.output<typeof factSpecSchema>;

export const CHECKS_FILE = 'requirement-checks/checks.yaml';
export const FACTS_FILE = 'requirement-checks/facts.yaml';

function load<T>(file: string, schema: z.ZodType<T>): T[] {
  const source = parseYamlSource(file, Buffer.from(readAsset(file)));
  if (source.syntaxFindings.some((finding) => finding.severity === 'error'))
    throw new Error(
      `${file} is not valid YAML (a pai-deploy packaging bug): ${source.syntaxFindings[0]?.message ?? ''}`,
    );
  const parsed = z.array(schema).safeParse(source.value);
  if (!parsed.success)
    throw new Error(`${file} is malformed (a pai-deploy packaging bug): ${z.prettifyError(parsed.error)}`);
  const ids = new Set<string>();
  for (const item of parsed.data as Array<{ id: string }>) {
    if (ids.has(item.id)) throw new Error(`${file} defines ${item.id} twice`);
    ids.add(item.id);
  }
  return parsed.data;
}

let checks: CheckSpec[] | undefined;
let facts: FactSpec[] | undefined;

export function checkCatalog(): CheckSpec[] {
  if (!checks) {
    const loaded = load(CHECKS_FILE, checkSpecSchema);
    const known = new Set<string>([...BUILTIN_FACTS, ...factCatalog().map((fact) => fact.id)]);
    for (const check of loaded) {
      const unknown = check.facts.filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw new Error(
          `${CHECKS_FILE}: ${check.id} reads unknown facts ${unknown.join(', ')} (a pai-deploy packaging bug)`,
        );
    }
    checks = loaded;
  }
  return checks;
}

/** The facts the given checks read, so a machine is asked only what the selected checks need. */
export function factsNeeded(selected: readonly CheckSpec[]): Set<string> {
  return new Set(selected.filter((check) => check.scope === 'machine').flatMap((check) => check.facts));
}

export function factCatalog(): FactSpec[] {
  facts ??= load(FACTS_FILE, factSpecSchema);
  return facts;
}

export function appliesTo(roles: readonly MachineRole[], machineRoles: ReadonlySet<MachineRole>): boolean {
  return roles.some((role) => role === 'all' || machineRoles.has(role));
}

/** `--only` / `--skip` patterns: exact ids or globs with `*` (e.g. `docker.*`). */
export function matchesPattern(id: string, pattern: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(id);
}
