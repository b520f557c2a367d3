import type { AnyAuthMethod, AuthenticationType, Client, ClientChannel, NextAuthHandler } from 'ssh2';
import type { ConnectFailureKind, ExecOptions, ExecResult, RemoteSession, SshLogin } from '../../ports/ports.js';
import { keyTypeOf, type HostKey } from './known-hosts.js';

export interface SshConnectOptions {
  host: string;
  login: SshLogin;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Decides on the server's host key (asynchronously: a first-contact key is written to known_hosts first). */
  verifyHostKey(key: HostKey): Promise<boolean>;
  signal: AbortSignal;
}

export type AuthMethodUsed = RemoteSession['authMethod'];

export class SshConnectError extends Error {
  constructor(
    readonly kind: ConnectFailureKind,
    message: string,
  ) {
    super(message);
  }
}

const OUTPUT_LIMIT = 1024 * 1024;

/**
 * One SSH connection to a machine, with commands run on their own channels over it. No PTY: stdout, stderr and exit
 * codes stay apart (OpenPAI's PTY output caused false failures). ssh2 is loaded only when a session is opened.
 */
export class SshSession implements RemoteSession {
  private constructor(
    private readonly client: Client,
    readonly authMethod: AuthMethodUsed,
  ) {}

  static async connect(options: SshConnectOptions): Promise<SshSession> {
    const { Client } = (await import('ssh2')).default;
    const client = new Client();
    const methods = authMethods(options.login);
    let lastMethod: AuthMethodUsed | undefined;
    let hostKeyRefused = false;
    const authHandler = (_left: AuthenticationType[], _partial: boolean, next: NextAuthHandler) => {
      const method = methods.shift();
      if (!method) return next(false as unknown as AuthenticationType);
      lastMethod = method.type === 'publickey' ? 'publickey' : method.type === 'agent' ? 'agent' : 'password';
      return next(method);
    };
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        client.end();
        reject(options.signal.reason);
      };
      if (options.signal.aborted) return onAbort();
      options.signal.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => {
        options.signal.removeEventListener('abort', onAbort);
        resolve(new SshSession(client, lastMethod ?? 'password'));
      });
      // `on`, not `once`: after a handshake timeout ssh2 can emit a second error, and an 'error' event nobody
      // listens to would crash the process. Only the first one settles the promise.
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        options.signal.removeEventListener('abort', onAbort);
        client.end();
        reject(classify(error, hostKeyRefused, methods.length === 0 && lastMethod !== undefined));
      });
      client.connect({
        host: options.host,
        port: options.login.port,
        username: options.login.username,
        readyTimeout: options.readyTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        authHandler,
        hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
          options.verifyHostKey({ type: keyTypeOf(blob), blob }).then(
            (accepted) => {
              hostKeyRefused = !accepted;
              verify(accepted);
            },
            () => {
              hostKeyRefused = true;
              verify(false);
            },
          );
        },
      });
    });
  }

  /**
   * Runs a command; `stdin` is written and closed (how a sudo password travels, never on a command line). An abort
   * closes the channel and rejects with the signal's reason.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      const sentAt = Date.now();
      let firstOutputAt: number | undefined;
      const started = setTimeout(
        () =>
          resolve({
            stdout: '',
            stderr: 'no channel within the command timeout',
            exitCode: null,
            timedOut: true,
            sentAt,
            firstOutputAt,
          }),
        options.timeoutMs,
      );
      this.client.exec(command, { pty: false }, (error: Error | undefined, channel: ClientChannel) => {
        clearTimeout(started);
        if (error) {
          resolve({
            stdout: '',
            stderr: `cannot open a channel: ${error.message}`,
            exitCode: null,
            timedOut: false,
            sentAt,
            firstOutputAt,
          });
          return;
        }
        let stdout = '';
        let stderr = '';
        let exitCode: number | null = null;
        let done = false;
        const onAbort = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          channel.close();
          reject(options.signal?.reason);
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const finish = (timedOut: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve({ stdout, stderr, exitCode, timedOut, sentAt, firstOutputAt });
        };
        const timer = setTimeout(() => {
          channel.close();
          finish(true);
        }, options.timeoutMs);
        channel.on('data', (chunk: Buffer) => {
          firstOutputAt ??= Date.now();
          if (stdout.length < OUTPUT_LIMIT) stdout += chunk.toString('utf8');
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          if (stderr.length < OUTPUT_LIMIT) stderr += chunk.toString('utf8');
        });
        channel.on('exit', (code: number | null) => {
          exitCode = typeof code === 'number' ? code : null;
        });
        channel.on('close', () => finish(false));
        channel.end(options.stdin ?? undefined);
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

function authMethods(credentials: SshLogin): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  const username = credentials.username;
  if (credentials.privateKey) {
    methods.push({
      type: 'publickey',
      username,
      key: credentials.privateKey,
      ...(credentials.passphrase ? { passphrase: credentials.passphrase } : {}),
    });
  }
  if (credentials.agent) methods.push({ type: 'agent', username, agent: credentials.agent });
  if (credentials.password !== undefined) methods.push({ type: 'password', username, password: credentials.password });
  return methods;
}

function classify(
  error: Error & { level?: string; code?: string },
  hostKeyRefused: boolean,
  authExhausted: boolean,
): SshConnectError {
  if (hostKeyRefused) return new SshConnectError('host-key-mismatch', 'the host key was refused');
  if (error.level === 'client-authentication' || (authExhausted && /authentication/i.test(error.message))) {
    return new SshConnectError('auth', `authentication failed: ${error.message}`);
  }
  if (error.level === 'client-timeout' || /timed out/i.test(error.message))
    return new SshConnectError('timeout', error.message);
  if (
    error.code &&
    ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTDOWN'].includes(error.code)
  ) {
    return new SshConnectError('unreachable', `${error.code}: ${error.message}`);
  }
  return new SshConnectError('error', error.message);
}
