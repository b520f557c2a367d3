import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountPublicKey: string;
  serviceAccountPrivateKey: string;
}

const VALID_DAYS = '7';

/**
 * A throwaway CA, the apiserver's serving certificate, an admin client certificate and the service-account key pair.
 * `servingAddresses`: more IPs the serving certificate is valid for (where a test forwards the API server's port,
 * e.g. a lab machine playing the master, as kubespray's certificates name the master's address).
 */
export function createPki(dir: string, serviceIp: string, servingAddresses: readonly string[] = []): Pki {
  const path = (name: string): string => join(dir, name);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    VALID_DAYS,
    '-subj',
    '/CN=pai-deploy-testenv-ca',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.crt'),
  ]);
  const ips = ['127.0.0.1', serviceIp, ...servingAddresses].map((ip) => `IP:${ip}`).join(',');
  issue(dir, 'apiserver', '/CN=kube-apiserver', [
    `subjectAltName=${ips},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc`,
    'extendedKeyUsage=serverAuth',
  ]);
  issue(dir, 'admin', '/O=system:masters/CN=admin', ['extendedKeyUsage=clientAuth']);

  const serviceAccount = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(path('sa.pub'), serviceAccount.publicKey, { mode: 0o600 });
  writeFileSync(path('sa.key'), serviceAccount.privateKey, { mode: 0o600 });

  return {
    caCert: path('ca.crt'),
    caKey: path('ca.key'),
    servingCert: path('apiserver.crt'),
    servingKey: path('apiserver.key'),
    adminCert: path('admin.crt'),
    adminKey: path('admin.key'),
    serviceAccountPublicKey: path('sa.pub'),
    serviceAccountPrivateKey: path('sa.key'),
  };
}

function issue(dir: string, name: string, subject: string, extensions: string[]): void {
  const file = (suffix: string): string => join(dir, `${name}.${suffix}`);
  writeFileSync(
    file('ext'),
    ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...extensions].join(
      '\n',
    ) + '\n',
  );
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    file('key'),
    '-out',
    file('csr'),
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    file('csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    VALID_DAYS,
    '-extfile',
    file('ext'),
    '-out',
    file('crt'),
  ]);
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/** A kubeconfig with everything embedded, so it stays valid if copied elsewhere. */
export function renderKubeconfig(server: string, pki: Pki): string {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: pai-deploy-testenv',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64(pki.adminCert)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    'contexts:',
    '- name: pai-deploy-testenv',
    '  context:',
    '    cluster: pai-deploy-testenv',
    '    user: admin',
    'current-context: pai-deploy-testenv',
    '',
  ].join('\n');
}
