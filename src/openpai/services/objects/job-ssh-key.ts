/**
 * The key pair OpenPAI's jobs use to SSH between their containers: Secret `job-ssh-secret` (default namespace),
 * keys `ssh-privatekey` and `ssh-publickey` (cluster-configuration's secret-create.sh: `ssh-keygen -t rsa`, then
 * `kubectl create secret generic job-ssh-secret --from-file=ssh-privatekey=id_rsa --from-file=ssh-publickey=
 * id_rsa.pub`). rest-server mounts it into every job container at /usr/local/pai/ssh-secret.
 *
 * OpenPAI generated a new pair on every start of cluster-configuration. Kubelet updates mounted secrets in place,
 * so running jobs saw their private key change under them while their authorized_keys still held the old public
 * key, and SSH between their tasks broke. pai-deploy creates the pair once (a `create-once` step) and keeps it.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KubeObject, KubeObjectRef } from '../../../ports/kube-api.js';

export const JOB_SSH_SECRET_REF: KubeObjectRef = {
  apiVersion: 'v1',
  kind: 'Secret',
  name: 'job-ssh-secret',
  namespace: 'default',
};

export interface SshKeyPair {
  /** PEM, PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`), with a final newline. */
  privateKey: string;
  /** One line, `ssh-rsa AAAA… comment`, with a final newline, as id_rsa.pub. */
  publicKey: string;
}

/**
 * A new RSA key pair. The private key is PKCS#1 PEM: what ssh-keygen wrote by default before OpenSSH 7.8 (so what
 * OpenPAI's dev-box, Ubuntu 16.04/18.04, put in the secret), and what every OpenSSH, and the SSH libraries job
 * images carry, read. 3072 bits is ssh-keygen's default for RSA since OpenSSH 8.0.
 */
export function generateSshKeyPair(options: { bits?: number; comment?: string } = {}): SshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: options.bits ?? 3072,
    publicExponent: 0x10001,
  });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    privateKey: pem.endsWith('\n') ? pem : `${pem}\n`,
    publicKey: `${opensshPublicKey(publicKey, options.comment ?? 'job-ssh-secret@pai-deploy')}\n`,
  };
}

/** An RSA public key in OpenSSH's authorized_keys form (RFC 4253 §6.6: string "ssh-rsa", mpint e, mpint n). */
export function opensshPublicKey(publicKey: KeyObject, comment?: string): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string')
    throw new TypeError('opensshPublicKey needs an RSA public key');
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshString(mpint(Buffer.from(jwk.e, 'base64url'))),
    sshString(mpint(Buffer.from(jwk.n, 'base64url'))),
  ]);
  return `ssh-rsa ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** A positive big-endian integer as an SSH mpint: no leading zero bytes, one added when the top bit is set. */
function mpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

/** Secret job-ssh-secret holding a key pair (a new one unless given). */
export function jobSshSecret(pair: SshKeyPair = generateSshKeyPair()): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: JOB_SSH_SECRET_REF.name, namespace: JOB_SSH_SECRET_REF.namespace },
    type: 'Opaque',
    data: {
      'ssh-privatekey': Buffer.from(pair.privateKey, 'utf8').toString('base64'),
      'ssh-publickey': Buffer.from(pair.publicKey, 'utf8').toString('base64'),
    },
  };
}
