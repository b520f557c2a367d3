import { defaultCsvSkus } from '../../config/csv-layout.js';
import type { MachineAnswer } from './answers.js';
import type { Hardware } from './probe.js';

/** One SKU the wizard asks about: which machines share it and what its questions offer as defaults. */
export interface SkuPlan {
  name: string;
  role: 'master' | 'worker';
  hostnames: string[];
  /** Whether the defaults come from the machines themselves (all of them answered the probe). */
  probed: boolean;
  defaults: {
    mem: string;
    vcores: number;
    /** 0: CPU only. */
    gpus: number;
    gpuModel: string | undefined;
  };
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/**
 * The memory a SKU may declare for machines with these MemTotals: the smallest, rounded down to whole GiB (whole MiB
 * below 1 GiB), so `pai-deploy check`'s memory check (MemTotal >= the SKU's mem) passes on every one of them.
 */
export function memoryQuantity(bytes: readonly number[]): string | undefined {
  if (bytes.length === 0) return undefined;
  const least = Math.min(...bytes);
  return least >= GiB ? `${Math.floor(least / GiB)}Gi` : `${Math.max(1, Math.floor(least / MiB))}Mi`;
}

/**
 * Groups the machines into SKUs: the master alone (its SKU is what OpenPAI's services get), and the workers by what
 * the probe found (GPU count and model, CPUs); workers without probe results share one SKU with the CSV import's
 * defaults. Each SKU's defaults are the least of its machines (memory rounded down), so every machine has what its
 * SKU declares.
 */
export function planSkus(machines: readonly MachineAnswer[], hardware: ReadonlyMap<string, Hardware>): SkuPlan[] {
  const groups = new Map<string, { role: 'master' | 'worker'; machines: MachineAnswer[]; found: Hardware[] }>();
  for (const machine of machines) {
    const found = hardware.get(machine.hostname);
    const key =
      machine.role === 'master'
        ? 'master'
        : found === undefined
          ? 'worker?'
          : `worker|${found.gpus}|${found.gpus > 0 ? (found.gpuModel ?? '') : ''}|${found.cpus ?? '?'}`;
    const group = groups.get(key) ?? { role: machine.role, machines: [], found: [] };
    group.machines.push(machine);
    if (found) group.found.push(found);
    groups.set(key, group);
  }
  const used = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return name;
  };
  const plans: SkuPlan[] = [];
  for (const group of groups.values()) {
    const probed = group.found.length === group.machines.length;
    const fallbackMem = group.role === 'master' ? defaultCsvSkus.masterMem : defaultCsvSkus.workerMem;
    const fallbackVcores = group.role === 'master' ? defaultCsvSkus.masterVcores : defaultCsvSkus.workerVcores;
    const memories = group.found.flatMap((found) => (found.memoryBytes === undefined ? [] : [found.memoryBytes]));
    const cpus = group.found.flatMap((found) => (found.cpus === undefined ? [] : [found.cpus]));
    const gpus = probed && group.found.length > 0 ? Math.min(...group.found.map((found) => found.gpus)) : 0;
    const gpuModel = group.found.find((found) => found.gpuModel !== undefined)?.gpuModel;
    const base =
      group.role === 'master'
        ? 'master-machine'
        : !probed
          ? 'worker-machine'
          : gpus > 0
            ? 'gpu-machine'
            : 'cpu-machine';
    plans.push({
      name: unique(base),
      role: group.role,
      hostnames: group.machines.map((machine) => machine.hostname),
      probed: probed && group.found.length > 0,
      defaults: {
        mem: (memories.length === group.machines.length ? memoryQuantity(memories) : undefined) ?? fallbackMem,
        vcores: cpus.length === group.machines.length && cpus.length > 0 ? Math.min(...cpus) : fallbackVcores,
        gpus,
        gpuModel: gpus > 0 ? gpuModel : undefined,
      },
    });
  }
  // The master's SKU first, then the workers' in the order their first machine was given.
  return [...plans.filter((plan) => plan.role === 'master'), ...plans.filter((plan) => plan.role === 'worker')];
}
