import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeApiOver } from '../../src/infra/kube/kube-api.js';
import { openRestTransport } from '../../src/infra/kube/rest-transport.js';
import {
  isWatchExpired,
  KubeApiError,
  type KubeApi,
  type KubeObject,
  type KubeWatchEvent,
} from '../../src/ports/kube-api.js';

/**
 * The adapter's watch, list-with-version, pod logs and delete options against a loopback HTTP server that speaks
 * the API server's wire format (discovery, chunked watch lines, Status refusals).
 */
const DISCOVERY: Record<string, unknown> = {
  '/api': { versions: ['v1'] },
  '/apis': { groups: [{ name: 'apps', versions: [{ version: 'v1' }] }] },
  '/api/v1': {
    resources: [
      { name: 'pods', kind: 'Pod', namespaced: true, verbs: ['get', 'list', 'watch'] },
      { name: 'pods/log', kind: 'Pod', namespaced: true, verbs: ['get'] },
      { name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['get', 'list', 'watch', 'delete'] },
    ],
  },
  '/apis/apps/v1': {
    resources: [
      { name: 'deployments', kind: 'Deployment', namespaced: true, verbs: ['get', 'list', 'watch', 'delete'] },
    ],
  },
};

type Handler = (request: IncomingMessage, response: ServerResponse, url: URL, body: string) => void;

let server: Server | undefined;
afterEach(
  () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
      server = undefined;
    }),
);

/** A loopback API server: discovery answered, everything else by `handle`; `seen` has each request's path. */
async function apiServer(handle: Handler): Promise<{ kube: KubeApi; seen: string[]; closed: () => number }> {
  const seen: string[] = [];
  let closed = 0;
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://loopback');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const discovery = DISCOVERY[url.pathname];
      if (discovery !== undefined) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discovery));
        return;
      }
      seen.push(`${request.method} ${url.pathname}${url.search}`);
      response.on('close', () => (closed += 1));
      handle(request, response, url, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const transport = await openRestTransport({
    server: `http://127.0.0.1:${port}`,
    authenticate: async () => ({}),
    retryForMs: 2_000,
  });
  return { kube: kubeApiOver(transport), seen, closed: () => closed };
}

const signal = new AbortController().signal;
const pods = { apiVersion: 'v1', kind: 'Pod', namespace: 'default', labelSelector: 'app=rest-server' };
const pod = (name: string, resourceVersion: string) => ({ metadata: { name, namespace: 'default', resourceVersion } });
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

async function collect(events: AsyncIterable<KubeWatchEvent>): Promise<KubeWatchEvent[]> {
  const all: KubeWatchEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('the KubeApi adapter: watch', () => {
  it('streams the events of chunked JSON lines, cut anywhere, with apiVersion and kind, from the given version', async () => {
    const { kube, seen } = await apiServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const text = line('ADDED', pod('a', '11')) + line('MODIFIED', pod('a', '12')) + line('BOOKMARK', pod('', '13'));
      // Lines split across writes, one write holding the end of one line and the start of the next.
      response.write(text.slice(0, 17));
      setTimeout(() => response.write(text.slice(17, 70)), 5);
      setTimeout(() => response.end(text.slice(70)), 10);
    });
    const events = await collect(kube.watch!(pods, { resourceVersion: '10', timeoutSeconds: 60 }, signal));
    expect(events.map((event) => [event.type, (event.object as KubeObject).metadata.resourceVersion])).toEqual([
      ['ADDED', '11'],
      ['MODIFIED', '12'],
      ['BOOKMARK', '13'],
    ]);
    expect(events[0]!.object).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } });
    const query = new URL(`http://x${seen[0]!.split(' ')[1]}`);
    expect(query.pathname).toBe('/api/v1/namespaces/default/pods');
    expect(Object.fromEntries(query.searchParams)).toEqual({
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: '10',
      timeoutSeconds: '60',
      labelSelector: 'app=rest-server',
    });
  });

  it('a too old resourceVersion is one ERROR event with code 410, whether streamed or answered as 410 Gone', async () => {
    const expired = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (229)' };
    const streamed = await apiServer((_request, response) => {
      response.writeHead(200).end(line('ERROR', expired));
    });
    const first = await collect(streamed.kube.watch!(pods, { resourceVersion: '1' }, signal));
    expect(first).toEqual([{ type: 'ERROR', object: expired }]);
    expect(isWatchExpired(first[0]!)).toBe(true);

    server!.close();
    const gone = await apiServer((_request, response) => {
      response.writeHead(410, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Gone', message: 'too old resource version' }));
    });
    const second = await collect(gone.kube.watch!(pods, { resourceVersion: '1' }, signal));
    expect(second).toHaveLength(1);
    expect(isWatchExpired(second[0]!)).toBe(true);
    expect(second[0]!.object).toMatchObject({ reason: 'Gone', message: 'too old resource version' });
  });

  it('a connection dropped midway ends the events it delivered, without an error; a refusal throws', async () => {
    const dropped = await apiServer((_request, response) => {
      response.writeHead(200);
      response.write(line('ADDED', pod('a', '5')) + '{"type":"MODIFIED","obj');
      setTimeout(() => response.socket?.destroy(), 10);
    });
    const events = await collect(dropped.kube.watch!(pods, {}, signal));
    expect(events.map((event) => event.type)).toEqual(['ADDED']);

    server!.close();
    const refused = await apiServer((_request, response) => {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'pods is forbidden' }));
    });
    const failure = await collect(refused.kube.watch!(pods, {}, signal)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubeApiError);
    expect(failure).toMatchObject({ status: 403, reason: 'Forbidden' });
  });

  it('an abort throws its reason; breaking out of the events closes the connection', async () => {
    const { kube, closed } = await apiServer((_request, response) => {
      response.writeHead(200);
      response.write(line('ADDED', pod('a', '5')));
      // and then nothing, as an idle watch
    });
    const controller = new AbortController();
    const reason = new Error('stop here');
    const aborted = (async () => {
      for await (const event of kube.watch!(pods, {}, controller.signal)) {
        expect(event.type).toBe('ADDED');
        controller.abort(reason);
      }
    })();
    await expect(aborted).rejects.toBe(reason);

    for await (const event of kube.watch!(pods, {}, signal)) {
      expect(event.type).toBe('ADDED');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed()).toBe(2);
  });
});

describe('the KubeApi adapter: list with version, pod logs, delete options', () => {
  it("lists every page and gives the list's resourceVersion", async () => {
    const { kube, seen } = await apiServer((_request, response, url) => {
      const second = url.searchParams.get('continue') === 'next';
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          metadata: { resourceVersion: '42', ...(second ? {} : { continue: 'next' }) },
          items: [second ? pod('b', '40') : pod('a', '41')],
        }),
      );
    });
    const list = await kube.listWithVersion!(pods, signal);
    expect(list.resourceVersion).toBe('42');
    expect(list.items.map((item) => [item.kind, item.metadata.name])).toEqual([
      ['Pod', 'a'],
      ['Pod', 'b'],
    ]);
    expect(seen).toHaveLength(2);
    expect(await kube.list(pods, signal)).toHaveLength(2);
  });

  it('reads a pod log as text with container, tailLines, previous and limitBytes; a refusal keeps the server message', async () => {
    const { kube, seen } = await apiServer((request, response, url) => {
      if (url.pathname.endsWith('/crashy/log')) {
        expect(request.headers.accept).toMatch(/^text\/plain/);
        response.writeHead(200, { 'content-type': 'text/plain' }).end('line 1\n{"not":"json to parse"}\n');
        return;
      }
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          kind: 'Status',
          code: 400,
          reason: 'BadRequest',
          message: 'previous terminated container "x" in pod "fresh" not found',
        }),
      );
    });
    const text = await kube.podLogs!(
      { namespace: 'pai', name: 'crashy', container: 'x', tailLines: 20, previous: true, limitBytes: 1000 },
      signal,
    );
    expect(text).toBe('line 1\n{"not":"json to parse"}\n');
    expect(seen[0]).toBe(
      'GET /api/v1/namespaces/pai/pods/crashy/log?container=x&tailLines=20&previous=true&limitBytes=1000',
    );
    const refused = await kube.podLogs!({ namespace: 'pai', name: 'fresh', previous: true }, signal).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as Error).message).toContain(
      '400 BadRequest: previous terminated container "x" in pod "fresh" not found',
    );
  });

  it('sends a propagation policy as DeleteOptions, and nothing when none is given', async () => {
    const bodies: string[] = [];
    const { kube } = await apiServer((_request, response, _url, body) => {
      bodies.push(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status' }));
    });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rest-server', namespace: 'default' };
    expect(await kube.delete(ref, { propagationPolicy: 'Foreground' }, signal)).toBe(true);
    expect(await kube.delete(ref, {}, signal)).toBe(true);
    expect(bodies.map((body) => (body === '' ? '' : JSON.parse(body)))).toEqual([
      { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
      '',
    ]);
  });
});
