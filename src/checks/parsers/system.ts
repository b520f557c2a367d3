/** Small parsers for /proc and coreutils output. */

/** MemTotal of /proc/meminfo, in bytes. */
export function parseMemTotal(text: string): number | undefined {
  const match = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Active swap areas from /proc/swaps (the first line is a header). */
export function parseSwaps(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

/** Listening TCP ports from `ss -ltnH` (Local Address:Port is the 4th column). */
export function parseListeningPorts(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const columns = line.trim().split(/\s+/);
    const local = columns[3];
    if (!local) continue;
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return ports;
}

/** Free bytes from `df -Pk PATH` (POSIX format, 1K blocks, Available is the 4th column). */
export function parseDfAvailable(text: string): number | undefined {
  const line = text.trim().split('\n')[1];
  const available = line?.trim().split(/\s+/)[3];
  return available !== undefined && /^\d+$/.test(available) ? Number(available) * 1024 : undefined;
}
