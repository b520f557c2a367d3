/**
 * Time synchronisation, whichever daemon provides it. Each parser answers "synchronised?" from one tool's output;
 * undefined means the output did not say.
 */

/** `timedatectl show -p NTPSynchronized -p NTP` (systemd >= 239) or `timedatectl status` (older, e.g. Ubuntu 16.04). */
export function parseTimedatectl(text: string): { synchronized: boolean | undefined; ntpEnabled: boolean | undefined } {
  const value = (pattern: RegExp): boolean | undefined => {
    const match = pattern.exec(text);
    return match ? /^(yes|true)$/i.test(match[1]!) : undefined;
  };
  return {
    synchronized: value(/^NTPSynchronized=(\S+)/m) ?? value(/(?:System clock synchronized|NTP synchronized):\s*(\S+)/),
    ntpEnabled: value(/^NTP=(\S+)/m) ?? value(/(?:NTP service|Network time on):\s*(\S+)/),
  };
}

export interface ChronyTracking {
  synchronized: boolean;
  referenceId: string;
  stratum: number;
  /** Seconds the system clock is off from NTP time (positive: fast). */
  systemOffset: number | undefined;
  leapStatus: string;
}

/** `chronyc tracking`. Unsynchronised: Leap status "Not synchronised" or reference ID 0 / local clock. */
export function parseChronyTracking(text: string): ChronyTracking | undefined {
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const reference = field('Reference ID');
  const leap = field('Leap status');
  if (reference === undefined || leap === undefined) return undefined;
  const referenceHex = reference.split(/\s/)[0] ?? '';
  const offset = /^([\d.]+) seconds (fast|slow)/.exec(field('System time') ?? '');
  return {
    synchronized: leap === 'Normal' && !/^0+$/.test(referenceHex) && referenceHex.toUpperCase() !== '7F7F0101',
    referenceId: reference,
    stratum: Number(field('Stratum') ?? 0),
    systemOffset: offset ? Number(offset[1]) * (offset[2] === 'fast' ? 1 : -1) : undefined,
    leapStatus: leap,
  };
}

/** `ntpq -pn`: synchronised when a peer line starts with "*" (the system peer). */
export function parseNtpqPeers(text: string): { synchronized: boolean; peer: string | undefined } {
  const line = text.split('\n').find((entry) => entry.startsWith('*'));
  return { synchronized: line !== undefined, peer: line?.slice(1).trim().split(/\s+/)[0] };
}
