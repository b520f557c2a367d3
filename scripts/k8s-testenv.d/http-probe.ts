import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export interface ProbeResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** GET a URL once; null when nothing answers. */
export function probe(url: string, tls?: ClientTls, timeoutMs = 2_000): Promise<ProbeResult | null> {
  return send(url, { timeoutMs }, tls);
}

/** One HTTP(S) request with an optional client certificate; null when nothing answers. */
export function send(url: string, options: RequestOptions = {}, tls?: ClientTls): Promise<ProbeResult | null> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const timeout = options.timeoutMs ?? 2_000;
    const common = { method: options.method ?? 'GET', headers: options.headers ?? {}, timeout };
    const settings = tls
      ? { ...common, ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
      : common;
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, settings, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      response.on('error', () => resolve(null));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
    request.end(options.body);
  });
}
