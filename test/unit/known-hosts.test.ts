import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, keyTypeOf, KnownHosts, knownHostsName } from '../../src/infra/ssh/known-hosts.js';
import { tempDir } from '../support/fixtures.js';

const dir = tempDir();

function blob(type: string, seed: string): Buffer {
  const name = Buffer.from(type);
  const body = Buffer.from(seed);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  const bodyLength = Buffer.alloc(4);
  bodyLength.writeUInt32BE(body.length);
  return Buffer.concat([length, name, bodyLength, body]);
}

describe('known_hosts', () => {
  const a = { type: 'ssh-ed25519', blob: blob('ssh-ed25519', 'key-a') };
  const b = { type: 'ssh-ed25519', blob: blob('ssh-ed25519', 'key-b') };

  it('names keys and hosts as OpenSSH does', () => {
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519');
    expect(fingerprint(a.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('records on first contact, then knows the key and refuses a changed one', async () => {
    const path = join(dir, 'sub', 'known_hosts');
    const file = await KnownHosts.open(path);
    expect(file.verify('10.0.0.1', a)).toEqual({ status: 'unknown' });
    await Promise.all([file.record('10.0.0.1', a), file.record('10.0.0.2', b)]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const reopened = await KnownHosts.open(path);
    expect(reopened.verify('10.0.0.1', a)).toEqual({ status: 'known' });
    expect(reopened.verify('10.0.0.1', b)).toEqual({ status: 'mismatch', expectedFingerprint: fingerprint(a.blob) });
    expect(reopened.verify('[10.0.0.1]:2222', a)).toEqual({ status: 'unknown' });
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('reads hashed names, wildcards, comments and keeps them when adding', async () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('10.0.0.5').digest('base64')}`;
    const path = join(dir, 'seeded');
    writeFileSync(
      path,
      `# seeded by the admin\n${hashed} ssh-ed25519 ${a.blob.toString('base64')}\n10.1.*.* ssh-ed25519 ${b.blob.toString('base64')}\n@revoked 10.0.0.9 ssh-ed25519 ${b.blob.toString('base64')}\n`,
    );
    const file = await KnownHosts.open(path);
    expect(file.verify('10.0.0.5', a).status).toBe('known');
    expect(file.verify('10.0.0.5', b).status).toBe('mismatch');
    expect(file.verify('10.1.2.3', b).status).toBe('known');
    await file.record('10.0.0.7', a);
    expect(readFileSync(path, 'utf8')).toMatch(/^# seeded by the admin\n/);
  });
});
