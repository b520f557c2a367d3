import { z } from 'zod';

/**
 * OpenPAI v1.5+ layout.yaml (openpai.md §2.2). Shapes only; semantic rules live in src/rules.
 * Objects are loose here because unknown keys are reported separately, with a "did you mean".
 */
const flag = z.union([z.boolean(), z.string()]);

export const computingDeviceSchema = z.looseObject({
  type: z.string(),
  model: z.union([z.string(), z.number()]).optional(),
  count: z.number().int().min(1),
});

export const machineSkuSchema = z.looseObject({
  mem: z.string(),
  cpu: z.looseObject({ vcore: z.number().int().min(1) }),
  'computing-device': computingDeviceSchema.optional(),
});

export const machineSchema = z.looseObject({
  hostname: z.string(),
  hostip: z.string(),
  'machine-type': z.string(),
  'pai-master': flag.optional(),
  'pai-worker': flag.optional(),
  'pai-storage': flag.optional(),
});

export const layoutSchema = z.looseObject({
  kubernetes: z
    .looseObject({
      'api-servers-url': z.string(),
      'dashboard-url': z.string(),
    })
    .optional(),
  'machine-sku': z.record(z.string(), machineSkuSchema),
  'machine-list': z.array(machineSchema).min(1),
});

export type LayoutFile = z.infer<typeof layoutSchema>;
export type MachineEntry = z.infer<typeof machineSchema>;
export type MachineSkuEntry = z.infer<typeof machineSkuSchema>;

/** Keys each mapping of layout.yaml may hold; `*` stands for a user-chosen key (a SKU name). */
export const layoutKnownKeys: Record<string, readonly string[]> = {
  '': ['kubernetes', 'machine-sku', 'machine-list'],
  kubernetes: ['api-servers-url', 'dashboard-url'],
  'machine-sku.*': ['mem', 'cpu', 'computing-device'],
  'machine-sku.*.cpu': ['vcore'],
  'machine-sku.*.computing-device': ['type', 'model', 'count'],
  'machine-list[]': ['hostname', 'hostip', 'machine-type', 'pai-master', 'pai-worker', 'pai-storage'],
};

/** Keys of OpenPAI v1.0-v1.4 layouts that the v1.5+ format rejects, with what to do instead. */
export const legacyLayoutKeys: Record<string, string> = {
  nodename: 'v1.5+ uses hostname as the Kubernetes node name; remove nodename.',
  'k8s-role': 'v1.5+ derives Kubernetes roles from pai-master / pai-worker; remove k8s-role.',
  dashboard: 'remove it; the dashboard runs on the pai-master machine.',
  zkid: 'remove it; zookeeper is not used since v1.0.',
  gpu: 'describe devices under machine-sku.<sku>.computing-device (type, model, count).',
  os: 'remove it; the OS is checked on the machine by `pai-deploy check`.',
};

/** What each field must hold, for hints. Paths use `[]` for list items and `*` for SKU names. */
export const layoutFieldHints: Record<string, string> = {
  '': 'layout.yaml is a mapping with machine-sku and machine-list; `pai-deploy config init` writes an example.',
  kubernetes: 'kubernetes is optional; when present it holds api-servers-url and dashboard-url strings.',
  'kubernetes.api-servers-url': 'a URL such as https://10.0.0.1:6443, or remove the kubernetes section to use the default.',
  'kubernetes.dashboard-url': 'a URL such as https://10.0.0.1:9090, or remove the kubernetes section to use the default.',
  'machine-sku': 'machine-sku maps a SKU name to {mem, cpu: {vcore}, computing-device?}.',
  'machine-sku.*': 'a SKU is a mapping with mem, cpu and optionally computing-device.',
  'machine-sku.*.mem': 'write memory as a quoted Kubernetes quantity, e.g. mem: "60Gi".',
  'machine-sku.*.cpu': 'cpu is a mapping: cpu: {vcore: 24}.',
  'machine-sku.*.cpu.vcore': 'vcore is a whole number of CPU cores, at least 1, e.g. vcore: 24.',
  'machine-sku.*.computing-device': 'computing-device is a mapping with type (e.g. nvidia.com/gpu), model and count.',
  'machine-sku.*.computing-device.type': 'the device plugin resource name, vendor/resource, e.g. nvidia.com/gpu.',
  'machine-sku.*.computing-device.model': 'an informational model name such as V100.',
  'machine-sku.*.computing-device.count': 'the number of devices per machine, a whole number of at least 1.',
  'machine-list': 'machine-list is a list of machines: - hostname: ..., hostip: ..., machine-type: ...',
  'machine-list[]': 'each machine is a mapping with hostname, hostip, machine-type and role flags.',
  'machine-list[].hostname': 'a lowercase RFC 1123 host name such as pai-worker-01 (it becomes the Kubernetes node name).',
  'machine-list[].hostip': 'the machine\'s IPv4 address on the cluster network, e.g. 10.0.0.11.',
  'machine-list[].machine-type': 'the name of a SKU defined under machine-sku.',
  'machine-list[].pai-master': 'write pai-master: "true" (or true) on exactly one machine.',
  'machine-list[].pai-worker': 'write pai-worker: "true" (or true) on every worker.',
  'machine-list[].pai-storage': 'write pai-storage: "true" (or true) on the storage machine, if any.',
};
