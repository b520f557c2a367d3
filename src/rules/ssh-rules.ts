import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ClusterSpec } from '../model/cluster.js';
import { quote } from '../findings/finding.js';
import type { FindingSink } from '../findings/sink.js';

/** Offline SSH checks: some way to log in, and a private key file ssh would accept. */
export function checkSshAccess({ config }: ClusterSpec, sink: FindingSink): void {
  const key = config.ssh.keyFile;
  if (key === undefined) {
    if (config.ssh.password === undefined) {
      sink.error(
        'no-ssh-auth',
        { file: 'config', path: ['user'], part: 'key' },
        'neither ssh_key_file_path nor password is set, so pai-deploy cannot log in to the machines',
        'Set ssh_key_file_path to the private key whose public key is in ~/.ssh/authorized_keys on every machine (or set password; `pai-deploy ssh setup-keys` can then install a key).',
      );
    }
    return;
  }
  const target = { file: 'config' as const, path: ['ssh_key_file_path'] };
  const keyPath = key.asWritten;
  const path = key.path;
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      sink.error(
        'ssh-key-missing',
        target,
        `the key file ${quote(keyPath)} does not exist (looked at ${path})`,
        'Create a key with `ssh-keygen -t ed25519`, or correct the path (relative paths are read from the directory of config.yaml).',
      );
    } else {
      sink.error(
        'ssh-key-unreadable',
        target,
        `the key file ${quote(keyPath)} cannot be read (${code || 'error'})`,
        'Run pai-deploy as a user that can read the key.',
      );
    }
    return;
  }
  if (!stats.isFile()) {
    sink.error(
      'ssh-key-not-a-file',
      target,
      `${quote(keyPath)} is not a file`,
      'Point ssh_key_file_path at the private key file, e.g. ~/.ssh/id_ed25519.',
    );
    return;
  }
  let head: string;
  try {
    head = readHead(path, 128);
  } catch {
    sink.error(
      'ssh-key-unreadable',
      target,
      `the key file ${quote(keyPath)} cannot be read (permission denied)`,
      `Make it readable by the user running pai-deploy: chown $(id -un) ${path}; chmod 600 ${path}.`,
    );
    return;
  }
  if (/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+) /.test(head)) {
    sink.error(
      'ssh-key-is-public',
      target,
      `${quote(keyPath)} holds a public key`,
      `Use the private key (${keyPath.replace(/\.pub$/, '')}); the public one goes into authorized_keys on the machines.`,
    );
    return;
  }
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(head)) {
    sink.error(
      'ssh-key-not-a-key',
      target,
      `${quote(keyPath)} does not look like a private key (no "-----BEGIN ... PRIVATE KEY-----" line)`,
      'Point ssh_key_file_path at an OpenSSH or PEM private key.',
    );
    return;
  }
  if ((stats.mode & 0o077) !== 0) {
    sink.error(
      'ssh-key-permissions',
      target,
      `the key file ${quote(keyPath)} has mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}: others can read it, and ssh refuses such keys`,
      `Run: chmod 600 ${path}`,
    );
  }
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
