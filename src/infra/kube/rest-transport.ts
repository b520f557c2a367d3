import { Agent as HttpAgent, request as httpRequest } from 'node:http';
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
  signal: AbortSignal;
  /**
   * `always`: the request may be repeated (reads, merge patches, applies, deletes). `unsent`: only when it never
   * reached the server (a create, a conditional replace: repeating one that got through would be refused).
   */
  retry: 'always' | 'unsent';
}

export interface RestResponse {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
  text: string;
}

export interface RestTransport {
  readonly server: string;
  request(request: RestRequest): Promise<RestResponse>;
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

  const once = async (request: RestRequest): Promise<RestResponse> => {
    const auth = await options.authenticate();
    const headers: Record<string, string> = { accept: 'application/json' };
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
    return new Promise<RestResponse>((resolve, reject) => {
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
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            answeredOnce = true;
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text === '' ? undefined : JSON.parse(text);
            } catch {
              body = undefined;
            }
            resolve({ status: incoming.statusCode ?? 0, body, text });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  };

  // Each request in flight listens on the caller's signal; discovery alone has dozens at once.
  const widened = new WeakSet<AbortSignal>();
  return {
    server: options.server,
    async request(request) {
      if (!widened.has(request.signal)) {
        setMaxListeners(0, request.signal);
        widened.add(request.signal);
      }
      const deadline = Date.now() + options.retryForMs;
      for (let attempt = 0; ; attempt++) {
        if (request.signal.aborted) throw abortReason(request.signal);
        let wait: number;
        try {
          const response = await once(request);
          const again = RETRY_STATUS.has(response.status) || retryable500(response, request.retry);
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
