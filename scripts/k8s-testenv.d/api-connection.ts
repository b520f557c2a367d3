import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { ClientTls } from './http-probe.js';

export interface ApiResponse {
  status: number;
  body: string;
}

/**
 * Raw requests to kube-apiserver over one HTTP/2 connection, many at a time. @kubernetes/client-node makes a new
 * https.Agent, and so a new TLS handshake, for every request: 1,000 node creates cost the API server more CPU in
 * handshakes than in creating. A lost connection is opened again by the next request; close() when done (an open
 * connection keeps the process alive).
 */
export class ApiConnection {
  private session: ClientHttp2Session | undefined;
  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;

  constructor(
    readonly server: string,
    tls: ClientTls,
  ) {
    this.ca = readFileSync(tls.ca);
    this.cert = readFileSync(tls.cert);
    this.key = readFileSync(tls.key);
  }

  /** One request with a JSON body (if any); the whole answer as text. Rejects only when nothing answers. */
  async request(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<ApiResponse> {
    const stream = this.open(method, path, body, timeoutMs);
    return new Promise((resolve, reject) => {
      let status = 0;
      let text = '';
      stream.setEncoding('utf8');
      stream.on('response', (headers) => (status = Number(headers[constants.HTTP2_HEADER_STATUS])));
      stream.on('data', (chunk: string) => (text += chunk));
      stream.on('end', () => resolve({ status, body: text }));
      stream.on('error', reject);
      // After 'end' this is a no-op; before it, the stream was reset (a timeout, a lost connection).
      stream.on('close', () =>
        reject(new Error(`${method} ${path}: no answer (stream reset, code ${stream.rstCode})`)),
      );
    });
  }

  /**
   * A streaming GET (a watch): `onLine` gets each line of the body as it arrives. Resolves with the status when the
   * server ends the stream, or when `onLine` returns true (the stream is then cancelled); rejects when it throws.
   */
  async stream(path: string, onLine: (line: string) => boolean, timeoutMs: number): Promise<number> {
    const stream = this.open('GET', path, undefined, timeoutMs);
    return new Promise((resolve, reject) => {
      let status = 0;
      let pending = '';
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve(status);
      };
      stream.setEncoding('utf8');
      stream.on('response', (headers) => (status = Number(headers[constants.HTTP2_HEADER_STATUS])));
      stream.on('data', (chunk: string) => {
        if (done) return;
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          let enough: boolean;
          try {
            enough = line.trim() !== '' && onLine(line);
          } catch (error) {
            done = true;
            stream.close(constants.NGHTTP2_CANCEL);
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (enough) {
            finish();
            stream.close(constants.NGHTTP2_CANCEL);
            return;
          }
        }
      });
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', (error) => (done ? undefined : reject(error)));
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private open(method: string, path: string, body: unknown, timeoutMs: number): ClientHttp2Stream {
    const session = this.connected();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: method,
      [constants.HTTP2_HEADER_PATH]: path,
      accept: 'application/json',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    });
    stream.setTimeout(timeoutMs, () => stream.close(constants.NGHTTP2_CANCEL));
    stream.end(payload);
    return stream;
  }

  private connected(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(this.server, { ca: this.ca, cert: this.cert, key: this.key });
    const forget = (): void => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    this.session = session;
    return session;
  }
}
