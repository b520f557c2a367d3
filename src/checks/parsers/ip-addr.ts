/** `ip -j addr show`: the IPv4 addresses of a machine and whether each is leased (DHCP) or static. */
export interface InterfaceAddress {
  ifname: string;
  address: string;
  prefixlen: number;
  /** Set by the kernel for addresses a DHCP client added ("dynamic"). */
  dynamic: boolean;
  /** Seconds; undefined means "forever" (4294967295), as for a static address. */
  validLifetime: number | undefined;
}

const FOREVER = 4294967295;

export function parseIpAddrJson(text: string): InterfaceAddress[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const addresses: InterfaceAddress[] = [];
  for (const link of parsed as Array<Record<string, unknown>>) {
    const ifname = typeof link['ifname'] === 'string' ? link['ifname'] : '?';
    const infos = Array.isArray(link['addr_info']) ? (link['addr_info'] as Array<Record<string, unknown>>) : [];
    for (const info of infos) {
      if (info['family'] !== 'inet' || typeof info['local'] !== 'string') continue;
      const valid = typeof info['valid_life_time'] === 'number' ? info['valid_life_time'] : FOREVER;
      addresses.push({
        ifname,
        address: info['local'],
        prefixlen: typeof info['prefixlen'] === 'number' ? info['prefixlen'] : 32,
        dynamic: info['dynamic'] === true,
        validLifetime: valid >= FOREVER ? undefined : valid,
      });
    }
  }
  return addresses;
}

/**
 * Network configuration files that hand an interface to DHCP: netplan (`dhcp4: true`), ifupdown
 * (`iface X inet dhcp`), NetworkManager keyfiles (`method=auto` under [ipv4]). Input: "==> path <==" blocks as
 * printed by `tail -n +1 file...`.
 */
export function findDhcpConfig(files: string): string[] {
  const hits: string[] = [];
  let current = '';
  let inIpv4 = false;
  for (const line of files.split('\n')) {
    const header = /^==> (.+) <==$/.exec(line);
    if (header) {
      current = header[1]!;
      inIpv4 = false;
      continue;
    }
    const trimmed = line.replace(/#.*/, '').trim();
    if (/^\[ipv4\]$/.test(trimmed)) inIpv4 = true;
    else if (/^\[.*\]$/.test(trimmed)) inIpv4 = false;
    if (/^dhcp4:\s*(true|yes|on)\b/i.test(trimmed)) hits.push(`${current}: ${trimmed}`);
    if (/^iface\s+\S+\s+inet\s+dhcp\b/.test(trimmed)) hits.push(`${current}: ${trimmed}`);
    if (inIpv4 && /^method=auto$/.test(trimmed)) hits.push(`${current}: [ipv4] ${trimmed}`);
  }
  return hits;
}
