/**
 * Files start.sh copied into the deploy folder from the machine paictl ran on: pylon's TLS certificate and key
 * (`pylon.ssl.crt_path`/`key_path`, copied into https-config/ for pylon and into certs/ as tls.crt/tls.key for
 * k8s-dashboard). A recipe reads only the deploy folder, so the deployer copies them there before it asks for the
 * steps, under the names listed here; a recipe that needs them and does not find them fails naming them.
 */
import { basename } from 'node:path/posix';
import type { PylonSsl } from '../objects/cfg.js';
import { ServiceFileError } from '../objects/errors.js';
import type { ServiceContext, StagedFile } from '../recipe.js';

export type { StagedFile } from '../recipe.js';

/** pylon's https-config/: both files under their own names (pylon.ssl.crt_name and key_name name them). */
export const pylonCertificateFiles = (ssl: PylonSsl): StagedFile[] => [
  { source: ssl.crtPath, path: `https-config/${basename(ssl.crtPath)}` },
  { source: ssl.keyPath, path: `https-config/${basename(ssl.keyPath)}` },
];

/** k8s-dashboard's certs/: the same pair as tls.crt and tls.key. */
export const dashboardCertificateFiles = (ssl: PylonSsl): StagedFile[] => [
  { source: ssl.crtPath, path: 'certs/tls.crt' },
  { source: ssl.keyPath, path: 'certs/tls.key' },
];

/** The staged files' texts by file name; missing ones fail with what to copy where. */
export function readStaged(context: ServiceContext, staged: readonly StagedFile[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const file of staged) {
    const text = context.files.read(file.path);
    if (text === undefined)
      throw new ServiceFileError(
        context.service,
        file.path,
        `is missing: pylon.ssl names ${file.source}, which start copies there`,
        `The deployer copies ${file.source} into the service's deploy folder as ${file.path} before starting it; check that the file exists where pylon.ssl says.`,
      );
    data[basename(file.path)] = text;
  }
  return data;
}
