import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Lab } from './lab.js';

/**
 * Serves a test control plane (kube-apiserver on 127.0.0.1:<port>) on a lab machine's own address, as if that
 * machine were the cluster's master: a relay on the lab network's gateway (this machine's address there) forwards
 * to loopback, and a small Python relay on the machine forwards its `<port>` to the gateway. The kubeconfig
 * kubespray fetches (server https://127.0.0.1:<port>, rewritten by pai-deploy to the master's address) then
 * reaches the test's API server; its certificate must name the machine's IP (startK8sTestEnv's servingAddresses).
 * Nothing leaves loopback and the lab's network.
 */
export async function forwardApiServer(
  lab: Lab,
  hostname: string,
  apiPort: number,
): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay: Server = createServer((client) => {
    const upstream = connect(apiPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(apiPort, lab.gateway, resolve);
  });
  const script = MACHINE_RELAY.replace('@GATEWAY@', lab.gateway).replaceAll('@PORT@', String(apiPort));
  const started = await lab.exec(
    hostname,
    `cat > /tmp/pai-api-relay.py && (setsid nohup python3 /tmp/pai-api-relay.py </dev/null >/tmp/pai-api-relay.log 2>&1 &) && ` +
      `for i in $(seq 50); do python3 -c 'import socket; socket.create_connection(("127.0.0.1", @PORT@), 1)' 2>/dev/null && exit 0; sleep 0.1; done; cat /tmp/pai-api-relay.log; exit 1`.replaceAll(
        '@PORT@',
        String(apiPort),
      ),
    { input: script },
  );
  if (started.code !== 0) {
    relay.close();
    throw new Error(`the API relay on ${hostname} did not start: ${started.stdout}${started.stderr}`);
  }
  return {
    async close() {
      await lab.exec(hostname, "pkill -f '[p]ai-api-relay.py' || true");
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

/** One thread per direction per connection: a handful of connections in a test. */
const MACHINE_RELAY = `
import socket, threading
def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", @PORT@))
listener.listen(64)
while True:
    client, _ = listener.accept()
    try:
        upstream = socket.create_connection(("@GATEWAY@", @PORT@), 10)
        upstream.settimeout(None)
    except OSError:
        client.close()
        continue
    for a, b in ((client, upstream), (upstream, client)):
        threading.Thread(target=pump, args=(a, b), daemon=True).start()
`;
