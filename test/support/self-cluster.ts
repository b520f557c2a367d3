import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

/**
 * Two IPv4 addresses of this machine outside 127/8 (layout rules refuse loopback addresses), so a test cluster is
 * this machine twice and tests talk to nothing else; scripts/ci/provision-test-address.sh adds the second one to
 * the loopback device.
 */
export function ownAddresses(): [string, string] {
  const own = Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.address.startsWith('127.'))
    .map((entry) => entry!.address);
  if (own.length < 2) {
    throw new Error(
      `these tests need two IPv4 addresses of this machine outside 127/8; found ${own.join(', ') || 'none'}: run scripts/ci/provision-test-address.sh as root`,
    );
  }
  return [own[0]!, own[1]!];
}

export interface SelfClusterOptions {
  /** The SSH port of both machines: 1 is refused at once; a silent server's port keeps a check waiting. */
  port: number;
  master?: string;
  worker?: string;
}

/** Writes `<name>-layout.yaml` and `<name>-config.yaml` into `dir`: a master and a worker, both this machine. */
export function writeSelfCluster(
  dir: string,
  name: string,
  options: SelfClusterOptions,
): { layout: string; config: string } {
  const [first, second] = ownAddresses();
  const layout = join(dir, `${name}-layout.yaml`);
  const config = join(dir, `${name}-config.yaml`);
  writeFileSync(
    layout,
    `machine-sku:\n  s:\n    mem: "1Gi"\n    cpu:\n      vcore: 1\nmachine-list:\n` +
      `  - hostname: ${name}-master\n    hostip: ${options.master ?? first}\n    machine-type: s\n    pai-master: "true"\n` +
      `  - hostname: ${name}-worker\n    hostip: ${options.worker ?? second}\n    machine-type: s\n    pai-worker: "true"\n`,
  );
  writeFileSync(config, `user: pai\npassword: "x"\ndocker_image_tag: v1.8.0\nssh_port: ${options.port}\n`);
  return { layout, config };
}

/**
 * Runs `use` with the port of a server on `address` (default: all of this machine's) that accepts connections and
 * never sends an SSH banner: a machine there waits for its whole connect timeout.
 */
export async function withSilentServer<T>(use: (port: number) => Promise<T>, address = '0.0.0.0'): Promise<T> {
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, address, resolve));
  try {
    return await use((silent.address() as AddressInfo).port);
  } finally {
    for (const socket of held) socket.destroy();
    silent.close();
  }
}
