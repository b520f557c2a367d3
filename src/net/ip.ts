/** Small, strict IPv4/IPv6 address and CIDR arithmetic for offline validation (BigInt keeps IPv6 exact). */
export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** The address as written (may have host bits set). */
  address: bigint;
  prefix: number;
}

const bitsOf = (family: IpFamily): number => (family === 4 ? 32 : 128);

/** Dotted-quad IPv4 with no leading zeros (010 would be octal to some parsers). */
export function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { family: 4, value };
}

export function parseIpv6(text: string): IpAddress | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4.value;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.split('::') as [string, string | undefined];
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const total = leftGroups.length + rightGroups.length;
  if (right === undefined ? total !== 8 : total > 7) return undefined;
  const groups = [...leftGroups, ...Array<string>(8 - total).fill('0'), ...rightGroups];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return { family: 6, value };
}

export function parseIp(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bitsOf(ip.family)) return undefined;
  return { family: ip.family, address: ip.value, prefix };
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = bitsOf(family);
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

export function networkOf(cidr: Cidr): bigint {
  return cidr.address & mask(cidr.family, cidr.prefix);
}

export function hasHostBits(cidr: Cidr): boolean {
  return networkOf(cidr) !== cidr.address;
}

/** What Ansible's `ipaddr('net')` accepts: a CIDR with more than one address and no host bits. */
export function isNetworkRange(cidr: Cidr): boolean {
  return cidr.prefix < bitsOf(cidr.family) && !hasHostBits(cidr);
}

export function cidrContainsIp(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && (ip.value & mask(cidr.family, cidr.prefix)) === networkOf(cidr);
}

/** `inner` lies within or equals `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    inner.prefix >= outer.prefix &&
    (inner.address & mask(outer.family, outer.prefix)) === networkOf(outer)
  );
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: networkOf(cidr) })}/${cidr.prefix}`;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((ip.value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

/** Why an address cannot be a machine's cluster address, or undefined when it can. */
export function unusableHostAddress(ip: IpAddress): string | undefined {
  if (ip.family === 4) {
    const first = Number(ip.value >> 24n);
    if (first === 127) return 'a loopback address';
    if (first === 0) return 'in 0.0.0.0/8, "this network", which no host can use';
    if (first >= 224 && first <= 239) return 'a multicast address';
    if (first >= 240) return ip.value === 0xffffffffn ? 'the broadcast address' : 'a reserved (class E) address';
    if (first === 169 && Number((ip.value >> 16n) & 0xffn) === 254) return 'a link-local address (169.254.0.0/16)';
    return undefined;
  }
  if (ip.value === 0n) return 'the unspecified address';
  if (ip.value === 1n) return 'a loopback address';
  if (ip.value >> 120n === 0xffn) return 'a multicast address';
  return undefined;
}
