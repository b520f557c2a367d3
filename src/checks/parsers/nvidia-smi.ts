/** `nvidia-smi -L`: one "GPU <n>: <name> (UUID: GPU-...)" line per device. */
export interface GpuListEntry {
  index: number;
  name: string;
  uuid: string | undefined;
}

export function parseNvidiaSmiList(text: string): GpuListEntry[] {
  const gpus: GpuListEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^GPU (\d+): (.+?)(?: \(UUID: ([^)]+)\))?\s*$/.exec(line.trim());
    if (match) gpus.push({ index: Number(match[1]), name: match[2]!, uuid: match[3] });
  }
  return gpus;
}

/** `nvidia-smi --query-gpu=name,driver_version --format=csv,noheader`. */
export function parseNvidiaSmiQuery(text: string): Array<{ name: string; driverVersion: string }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', driverVersion = ''] = line.split(',').map((part) => part.trim());
      return { name, driverVersion };
    });
}
