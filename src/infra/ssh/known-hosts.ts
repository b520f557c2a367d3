import { createHash, createHmac } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An SSH host key as the server presented it: its type and the raw public key blob. */
export interface HostKey {
  type: string;
  blob: Buffer;
}

export type HostKeyVerdict =
  { status: 'known' } | { status: 'unknown' } | { status: 'mismatch'; expectedFingerprint: string };

/** The key's SHA256 fingerprint as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** How known_hosts names a host: `10.0.0.1`, or `[10.0.0.1]:2222` for another port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface Entry {
  hosts: string[];
  type: string;
  key: string;
}

/**
 * An OpenSSH known_hosts file: plain and hashed (`|1|salt|hash`) host names, comments, markers. Lookups match host
 * and key type as OpenSSH does; records are appended and the file rewritten atomically, one writer at a time.
 */
export class KnownHosts {
  private entries: Entry[] = [];
  private lines: string[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<KnownHosts> {
    const file = new KnownHosts(path);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
    }
    file.lines = text.split('\n').filter((line, index, all) => !(line === '' && index === all.length - 1));
    for (const line of file.lines) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('@')) continue;
      const [hosts = '', type = '', key = ''] = trimmed.split(/\s+/);
      file.entries.push({ hosts: hosts.split(','), type, key });
    }
    return file;
  }

  verify(name: string, hostKey: HostKey): HostKeyVerdict {
    const key = hostKey.blob.toString('base64');
    const matching = this.entries.filter(
      (entry) => entry.type === hostKey.type && entry.hosts.some((pattern) => hostMatches(pattern, name)),
    );
    if (matching.length === 0) return { status: 'unknown' };
    if (matching.some((entry) => entry.key === key)) return { status: 'known' };
    return { status: 'mismatch', expectedFingerprint: fingerprint(Buffer.from(matching[0]!.key, 'base64')) };
  }

  /** Records a key on first contact. Concurrent calls are serialised; the file is replaced, never half-written. */
  async record(name: string, hostKey: HostKey): Promise<void> {
    const line = `${name} ${hostKey.type} ${hostKey.blob.toString('base64')}`;
    this.entries.push({ hosts: [name], type: hostKey.type, key: hostKey.blob.toString('base64') });
    this.lines.push(line);
    const write = async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const temp = `${this.path}.tmp-${process.pid}`;
      await writeFile(temp, this.lines.join('\n') + '\n', { mode: 0o600 });
      await rename(temp, this.path);
    };
    this.writing = this.writing.then(write, write);
    await this.writing;
  }
}

function hostMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt = '', hash = ''] = pattern.split('|');
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  if (pattern.includes('*') || pattern.includes('?')) {
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return regex.test(name);
  }
  return pattern === name;
}
