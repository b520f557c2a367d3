import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError, PaiDeployError, systemErrorCode } from '../../errors.js';

/**
 * JSON over HTTPS to the API server, with the kubeconfig's credentials, a keep-alive connection pool and retries.
 *
 * Why not @kubernetes/client-node's request layer: its KubernetesObjectApi re-serialises every known kind through
 * its models, which drops fields the models do not have (tried: `spec.foo` on a Node and an unknown container field
 * of a Deployment vanished from the request body), so neither a 1.15-era manifest nor a custom resource survives it,
 * and it takes no AbortSignal. The kubeconfig handling (certificates, tokens, exec plugins) is still client-node's.
 */
export interface RestTransportOptions {
  server: string;
  /** The TLS material and headers for one request (client-node's KubeConfig.applyToHTTPSOptions). */
  authenticate(): Promise<RequestOptions>;
  /** How long a retryable failure keeps being retried. */
  retryForMs: number;
}

export interface RestRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. `/api/v1/nodes?limit=500`. */
  path: string;
  body?: unknown;
  contentType?: string;
  /** The Accept header; default `application/json` (a pod log is text). */
  accept?: string;
  signal: AbortSignal;
  /**
   * `always`: the request may be repeated (reads, merge patches, applies, deletes). `unsent`: only when it never
   * reached the server (a create, a conditional replace: repeating one that got through would be refused).
   */
  retry: 'always' | 'unsent';
  /**
   * Whether a 429 is retried (default: the server is overloaded). An eviction's 429 means a PodDisruptionBudget
   * does not allow it now: the caller decides when to ask again.
   */
  retryTooManyRequests?: boolean;
}

export interface RestResponse {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
  text: string;
}

/** A response whose body is read as it comes (a watch). */
export interface RestStream {
  status: number;
  /** The body's lines, as they arrive; ends when the server ends the body or the connection drops. */
  lines(): AsyncIterable<string>;
  /** Stops reading and drops the connection (also what breaking out of lines() does). */
  close(): void;
}

export interface RestTransport {
  readonly server: string;
  request(request: RestRequest): Promise<RestResponse>;
  /**
   * A GET whose 2xx body is streamed (a watch). Getting the answer is retried as a request is; any other answer is
   * returned as a RestResponse. `idleMs`: the connection is dropped when nothing arrives for that long (a server
   * that vanished without closing it).
   */
  stream(request: RestRequest & { method: 'GET'; idleMs: number }): Promise<RestStream | RestResponse>;
}

/** Connection failures that happen before a request reached the server. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** Failures during the exchange: the server may have acted on the request. */
const MIDWAY = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET']);
/** Answers that mean "not now": overload, or a server starting up or shutting down. */
const RETRY_STATUS = new Set([429, 502, 503, 504]);

/**
 * A 500 that is "not now" too. A 1.15 API server in its graceful shutdown refuses requests with 500 "apiserver is
 * shutting down." before handling them (seen in a label run across a restart), so any request may be repeated; a
 * 500 from etcd timing out may have been applied, so only a request that may be repeated anyway is.
 */
function retryable500(response: RestResponse, retry: RestRequest['retry']): boolean {
  if (response.status !== 500) return false;
  const message = (response.body as { message?: unknown } | undefined)?.message;
  const text = typeof message === 'string' ? message : response.text;
  if (/apiserver is shutting down/i.test(text)) return true;
  return retry === 'always' && /etcdserver: (request timed out|leader changed|too many requests)/i.test(text);
}

export async function openRestTransport(options: RestTransportOptions): Promise<RestTransport> {
  const url = new URL(options.server);
  const secure = url.protocol === 'https:';
  const tls = await options.authenticate();
  // One pool for the connection: labels on 1,000 nodes reuse a few sockets instead of 1,000 TLS handshakes.
  const agentOptions = {
    keepAlive: true,
    maxSockets: 32,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    servername: tls.servername,
    ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
  };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  // A server that never answered is misconfigured (wrong address, down): fail at once. One that answered before
  // and then went away is restarting: wait for it.
  let answeredOnce = false;

  // Each request in flight listens on the caller's signal; discovery alone has dozens at once.
  const widened = new WeakSet<AbortSignal>();

  /** Sends one request; resolves with the answer's head, its body still unread. */
  const open = async (request: RestRequest): Promise<IncomingMessage> => {
    const auth = await options.authenticate();
    const headers: Record<string, string> = { accept: request.accept ?? 'application/json' };
    for (const [key, value] of Object.entries(auth.headers ?? {})) {
      if (typeof value === 'string' || typeof value === 'number') headers[key.toLowerCase()] = String(value);
    }
    if (auth.auth) headers['authorization'] = `Basic ${Buffer.from(auth.auth).toString('base64')}`;
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    if (payload) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname.replace(/\/$/, '')}${request.path}`,
          method: request.method,
          headers,
          agent,
          signal: request.signal,
        },
        (incoming) => {
          answeredOnce = true;
          resolve(incoming);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  };

  const readAll = (incoming: IncomingMessage): Promise<RestResponse> =>
    new Promise<RestResponse>((resolve, reject) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: incoming.statusCode ?? 0, body, text });
      });
    });

  /**
   * Sends the request until it gets an answer that is not "not now", within retryForMs. `accept` decides, from the
   * answer's head, whether its body is streamed instead of read (then it is returned as it is).
   */
  const exchange = async <T>(
    request: RestRequest,
    accept: (incoming: IncomingMessage) => T | undefined,
  ): Promise<T | RestResponse> => {
    if (!widened.has(request.signal)) {
      setMaxListeners(0, request.signal);
      widened.add(request.signal);
    }
    const deadline = Date.now() + options.retryForMs;
    for (let attempt = 0; ; attempt++) {
      if (request.signal.aborted) throw abortReason(request.signal);
      let wait: number;
      try {
        const incoming = await open(request);
        const taken = accept(incoming);
        if (taken !== undefined) return taken;
        const response = await readAll(incoming);
        const again =
          (RETRY_STATUS.has(response.status) && !(response.status === 429 && request.retryTooManyRequests === false)) ||
          retryable500(response, request.retry);
        if (!again || Date.now() >= deadline) return response;
        wait = retryAfterMs(response) ?? backoffMs(attempt);
      } catch (error) {
        if (request.signal.aborted) throw abortReason(request.signal);
        const code = systemErrorCode(error) ?? '';
        const retryable = answeredOnce && (UNSENT.has(code) || (request.retry === 'always' && MIDWAY.has(code)));
        if (!retryable || Date.now() >= deadline) throw unreachable(options.server, request, error);
        wait = backoffMs(attempt);
      }
      await sleep(Math.min(wait, Math.max(0, deadline - Date.now())), undefined, { signal: request.signal }).catch(
        () => undefined,
      );
    }
  };

  return {
    server: options.server,
    request: (request) => exchange<never>(request, () => undefined),
    stream: (request) =>
      exchange(request, (incoming) => {
        const status = incoming.statusCode ?? 0;
        return status >= 200 && status < 300 ? streamOf(incoming, request.idleMs, request.signal) : undefined;
      }),
  };
}

/**
 * The body's lines. A connection that breaks midway (the server killed, a proxy's reset) ends the lines like a
 * server that ends the body: for a watch both mean "watch again"; an abort of the caller's signal throws.
 */
function streamOf(incoming: IncomingMessage, idleMs: number, signal: AbortSignal): RestStream {
  let idle: NodeJS.Timeout | undefined;
  const close = (): void => {
    clearTimeout(idle);
    incoming.destroy();
  };
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(close, idleMs);
    idle.unref();
  };
  return {
    status: incoming.statusCode ?? 0,
    close,
    async *lines() {
      let pending = '';
      touch();
      try {
        for await (const chunk of incoming as AsyncIterable<Buffer>) {
          touch();
          pending += chunk.toString('utf8');
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (line.trim() !== '') yield line;
            newline = pending.indexOf('\n');
          }
        }
        if (pending.trim() !== '') yield pending;
      } catch {
        if (signal.aborted) throw abortReason(signal);
      } finally {
        close();
      }
    },
  };
}

function backoffMs(attempt: number): number {
  return Math.min(200 * 2 ** attempt, 2_000);
}

function retryAfterMs(response: RestResponse): number | undefined {
  const details = (response.body as { details?: { retryAfterSeconds?: unknown } } | undefined)?.details;
  return typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds * 1000 : undefined;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError('SIGINT');
}

function unreachable(server: string, request: RestRequest, error: unknown): PaiDeployError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PaiDeployError(
    `the Kubernetes API at ${server} did not answer ${request.method} ${request.path.split('?')[0]}: ${reason}`,
    {
      hint: 'Check that the API server is up and that this machine can reach it (the master, port 6443).',
      cause: error,
    },
  );
}
