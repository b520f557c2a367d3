import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { run } from './lab.js';

/**
 * A read-only Docker registry (HTTP API v2, schema 2 manifests) on 127.0.0.1, serving images exported from the local
 * engine with `docker save`: the engine can pull from it (loopback registries need no TLS), so pulls are tested
 * without any registry outside this machine. Test infrastructure only.
 */
export interface LoopbackRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** Blob requests served so far (layers and configs). */
  blobRequests: number;
  close(): Promise<void>;
}

interface SavedManifest {
  Config: string;
  Layers: string[];
}

interface Blob {
  data: Buffer;
  mediaType: string;
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

function digestOf(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Serves `images` ({ "repo/name:tag": local image }) exported from the local engine. */
export async function startLoopbackRegistry(images: Record<string, string>): Promise<LoopbackRegistry> {
  const blobs = new Map<string, Blob>();
  const manifests = new Map<string, Buffer>();
  const work = await mkdtemp(path.join(tmpdir(), 'pai-registry-'));
  try {
    for (const [reference, local] of Object.entries(images)) {
      const dir = path.join(work, String(manifests.size));
      const saved = await run('sh', ['-c', `mkdir -p "$1" && docker save "$2" | tar -x -C "$1"`, 'sh', dir, local], {
        timeoutMs: 300_000,
      });
      if (saved.code !== 0) throw new Error(`docker save ${local} failed: ${saved.stderr.trim()}`);
      const [entry] = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as SavedManifest[];
      if (!entry) throw new Error(`docker save ${local} wrote no manifest`);
      const config = await readFile(path.join(dir, entry.Config));
      const layers: { digest: string; size: number; mediaType: string }[] = [];
      for (const layerPath of entry.Layers) {
        const data = gzipSync(await readFile(path.join(dir, layerPath)));
        const digest = digestOf(data);
        const mediaType = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
        blobs.set(digest, { data, mediaType });
        layers.push({ digest, size: data.length, mediaType });
      }
      const configDigest = digestOf(config);
      blobs.set(configDigest, { data: config, mediaType: 'application/vnd.docker.container.image.v1+json' });
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_TYPE,
          config: {
            mediaType: 'application/vnd.docker.container.image.v1+json',
            size: config.length,
            digest: configDigest,
          },
          layers,
        }),
      );
      const at = reference.lastIndexOf(':');
      manifests.set(`${reference.slice(0, at)}/manifests/${reference.slice(at + 1)}`, manifest);
      manifests.set(`${reference.slice(0, at)}/manifests/${digestOf(manifest)}`, manifest);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const state = { blobRequests: 0 };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://registry');
    const head = request.method === 'HEAD';
    const send = (status: number, body: Buffer, headers: Record<string, string>) => {
      response.writeHead(status, {
        'Docker-Distribution-API-Version': 'registry/2.0',
        'Content-Length': String(body.length),
        ...headers,
      });
      response.end(head ? undefined : body);
    };
    const notFound = (code: string, message: string) =>
      send(404, Buffer.from(JSON.stringify({ errors: [{ code, message }] })), { 'Content-Type': 'application/json' });
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      send(200, Buffer.from('{}'), { 'Content-Type': 'application/json' });
      return;
    }
    const manifest = /^\/v2\/(.+\/manifests\/[^/]+)$/.exec(url.pathname);
    if (manifest) {
      const body = manifests.get(manifest[1]!);
      if (!body) return notFound('MANIFEST_UNKNOWN', 'manifest unknown');
      send(200, body, { 'Content-Type': MANIFEST_TYPE, 'Docker-Content-Digest': digestOf(body) });
      return;
    }
    const blob = /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (blob) {
      const found = blobs.get(blob[1]!);
      if (!found) return notFound('BLOB_UNKNOWN', 'blob unknown');
      state.blobRequests += 1;
      send(200, found.data, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': blob[1]! });
      return;
    }
    notFound('NAME_UNKNOWN', 'repository name not known to registry');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get blobRequests() {
      return state.blobRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
