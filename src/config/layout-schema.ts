import { z } from 'zod';

/** kubespray 2.11's inventory_hostname rule (0020-verify-settings.yml): lowercase RFC 1123, no underscores. */
export const HOSTNAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A dotted IPv4 address with every octet 0-255. */
const IPV4_PATTERN = /^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;
/** A Kubernetes memory quantity with a unit (what OpenPAI's layout asks for, e.g. "60Gi"). */
const MEMORY_PATTERN = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)$/;

const d = (text: string) => ({ description: text });
/**
 * For the published JSON Schema only (editors flag a bad value as it is typed): validation itself reports these
 * through the rules, with a finding that names the value and says how to fix it, so zod does not enforce them.
 */
const editorPattern = (pattern: RegExp, text: string) => ({ description: text, pattern: pattern.source });
const editorFlag = (text: string) => ({
  description: text,
  enum: [true, false, 'true', 'false', 'True', 'False', 'TRUE', 'FALSE'],
});
const flag = (text: string) => z.union([z.boolean(), z.string()]).optional().meta(editorFlag(text));

export const computingDeviceSchema = z
  .looseObject({
    type: z.string().meta(d('the device plugin resource name, vendor/resource, e.g. nvidia.com/gpu.')),
    // Only informational, but OpenPAI's layout schema (validate_layout_schema.py) requires it.
    model: z
      .union([z.string(), z.number()])
      .meta(d('the device model, e.g. model: V100 (informational, but OpenPAI requires it).')),
    count: z.number().int().min(1).meta(d('the number of devices per machine, a whole number of at least 1.')),
  })
  .meta(d('computing-device is a mapping with type (e.g. nvidia.com/gpu), model and count.'));

export const machineSkuSchema = z
  .looseObject({
    mem: z
      .string()
      .meta(editorPattern(MEMORY_PATTERN, 'write memory as a quoted Kubernetes quantity, e.g. mem: "60Gi".')),
    cpu: z
      .looseObject({
        vcore: z.number().int().min(1).meta(d('vcore is a whole number of CPU cores, at least 1, e.g. vcore: 24.')),
      })
      .meta(d('cpu is a mapping: cpu: {vcore: 24}.')),
    'computing-device': computingDeviceSchema.optional(),
  })
  .meta(d('a SKU is a mapping with mem, cpu and optionally computing-device.'));

export const machineSchema = z
  .looseObject({
    hostname: z
      .string()
      .meta(
        editorPattern(
          HOSTNAME_PATTERN,
          'a lowercase RFC 1123 host name such as pai-worker-01 (it becomes the Kubernetes node name).',
        ),
      ),
    hostip: z
      .string()
      .meta(editorPattern(IPV4_PATTERN, "the machine's IPv4 address on the cluster network, e.g. 10.0.0.11.")),
    'machine-type': z.string().meta(d('the name of a SKU defined under machine-sku.')),
    'pai-master': flag('write pai-master: "true" (or true) on exactly one machine.'),
    'pai-worker': flag('write pai-worker: "true" (or true) on every worker.'),
    'pai-storage': flag('write pai-storage: "true" (or true) on the storage machine, if any.'),
  })
  .meta(d('each machine is a mapping with hostname, hostip, machine-type and role flags.'));

/**
 * OpenPAI v1.5+ layout.yaml (openpai.md §2.2). Shapes only; semantic rules live in src/rules. Objects are loose
 * here because unknown keys are reported separately, with a "did you mean"; the known keys and the hints of those
 * findings are read from this schema (layoutKnownKeys, layoutFieldHints), and so is the published JSON Schema.
 */
export const layoutSchema = z
  .looseObject({
    kubernetes: z
      .looseObject({
        'api-servers-url': z
          .string()
          .meta(d('a URL such as https://10.0.0.1:6443, or remove the kubernetes section to use the default.')),
        'dashboard-url': z
          .string()
          .meta(d('a URL such as https://10.0.0.1:9090, or remove the kubernetes section to use the default.')),
      })
      .optional()
      .meta(d('kubernetes is optional; when present it holds api-servers-url and dashboard-url strings.')),
    'machine-sku': z
      .record(z.string(), machineSkuSchema)
      .meta(d('machine-sku maps a SKU name to {mem, cpu: {vcore}, computing-device?}.')),
    'machine-list': z
      .array(machineSchema)
      .min(1)
      .meta(d('machine-list is a list of machines: - hostname: ..., hostip: ..., machine-type: ...')),
  })
  .meta(d('layout.yaml is a mapping with machine-sku and machine-list; `pai-deploy config init` writes an example.'));

export type LayoutFile = z.infer<typeof layoutSchema>;
export type MachineEntry = z.infer<typeof machineSchema>;
export type MachineSkuEntry = z.infer<typeof machineSkuSchema>;

interface SchemaTables {
  /** Keys each mapping may hold, by path pattern: `[]` for list items, `*` for a user-chosen key (a SKU name). */
  knownKeys: Record<string, readonly string[]>;
  /** What each field must hold, for hints, by the same patterns. */
  hints: Record<string, string>;
}

/** Walks the schema once: the tables the unknown-key and schema findings use. */
function schemaTables(root: z.ZodType): SchemaTables {
  const tables: SchemaTables = { knownKeys: {}, hints: {} };
  const visit = (schema: z.ZodType, pattern: string): void => {
    const description = schema.meta()?.description;
    if (typeof description === 'string') tables.hints[pattern] ??= description;
    if (schema instanceof z.ZodOptional) return visit(schema.unwrap() as z.ZodType, pattern);
    if (schema instanceof z.ZodObject) {
      const shape = schema.shape as Record<string, z.ZodType>;
      tables.knownKeys[pattern] = Object.keys(shape);
      for (const [key, child] of Object.entries(shape)) visit(child, pattern === '' ? key : `${pattern}.${key}`);
    } else if (schema instanceof z.ZodArray) {
      visit(schema.element as z.ZodType, `${pattern}[]`);
    } else if (schema instanceof z.ZodRecord) {
      visit(schema.valueType as z.ZodType, `${pattern}.*`);
    }
  };
  visit(root, '');
  return tables;
}

const tables = schemaTables(layoutSchema);
export const layoutKnownKeys: Readonly<Record<string, readonly string[]>> = tables.knownKeys;
export const layoutFieldHints: Readonly<Record<string, string>> = tables.hints;

/** Keys of OpenPAI v1.0-v1.4 layouts that the v1.5+ format rejects, with what to do instead. */
export const legacyLayoutKeys: Record<string, string> = {
  nodename: 'v1.5+ uses hostname as the Kubernetes node name; remove nodename.',
  'k8s-role': 'v1.5+ derives Kubernetes roles from pai-master / pai-worker; remove k8s-role.',
  dashboard: 'remove it; the dashboard runs on the pai-master machine.',
  zkid: 'remove it; zookeeper is not used since v1.0.',
  gpu: 'describe devices under machine-sku.<sku>.computing-device (type, model, count).',
  os: 'remove it; the OS is checked on the machine by `pai-deploy check`.',
};
