import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { openRestTransport } from '../../src/infra/kube/rest-transport.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A loopback server answering each request with the next of `answers` (the last one from then on). */
async function serving(
  answers: Array<{ status: number; body: unknown }>,
): Promise<{ url: string; seen: () => number }> {
  let count = 0;
  server = createServer((request, response) => {
    const answer = answers[Math.min(count++, answers.length - 1)]!;
    request.resume();
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen: () => count };
}

const transport = (url: string) =>
  openRestTransport({ server: url, authenticate: async () => ({}), retryForMs: 10_000 });
const signal = new AbortController().signal;
const shuttingDown = { status: 500, body: { kind: 'Status', message: 'apiserver is shutting down.' } };
const etcdTimeout = { status: 500, body: { kind: 'Status', message: 'etcdserver: request timed out' } };
const ok = { status: 200, body: { kind: 'Node' } };

describe('the REST transport', () => {
  it('repeats any request a shutting-down API server refused, and idempotent ones after an etcd timeout', async () => {
    const first = await serving([shuttingDown, shuttingDown, ok]);
    const create = await (
      await transport(first.url)
    ).request({ method: 'POST', path: '/x', body: {}, signal, retry: 'unsent' });
    expect([create.status, first.seen()]).toEqual([200, 3]);

    server!.close();
    const second = await serving([etcdTimeout, ok]);
    const patch = await (
      await transport(second.url)
    ).request({ method: 'PATCH', path: '/x', body: {}, signal, retry: 'always' });
    expect([patch.status, second.seen()]).toEqual([200, 2]);
  });

  it('does not repeat a create after an etcd timeout (it may have been stored), nor any other 500', async () => {
    const timeouts = await serving([etcdTimeout, ok]);
    const create = await (
      await transport(timeouts.url)
    ).request({ method: 'POST', path: '/x', body: {}, signal, retry: 'unsent' });
    expect([create.status, timeouts.seen()]).toEqual([500, 1]);

    server!.close();
    const broken = await serving([
      { status: 500, body: { message: 'Internal error occurred: conversion failed' } },
      ok,
    ]);
    const get = await (await transport(broken.url)).request({ method: 'GET', path: '/x', signal, retry: 'always' });
    expect([get.status, broken.seen()]).toEqual([500, 1]);
  });
});
