import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TESTENV_DIR = dirname(fileURLToPath(import.meta.url));
export const BUILD_SCRIPT = join(TESTENV_DIR, 'build-binaries.sh');
export const STAGES_DIR = join(TESTENV_DIR, 'stages');

export const REQUIRED_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
] as const;
export type BinaryName = (typeof REQUIRED_BINARIES)[number];

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
}

/** versions.sh is the single place the versions are pinned; the build script sources it. */
export function readPinnedVersions(): PinnedVersions {
  const text = readFileSync(join(TESTENV_DIR, 'versions.sh'), 'utf8');
  const value = (name: string): string => {
    const match = new RegExp(`^${name}=(\\S+)$`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`versions.sh does not set ${name}`);
    return match[1];
  };
  return { kubernetes: value('K8S_VERSION'), etcd: value('ETCD_VERSION'), kwok: value('KWOK_VERSION') };
}

export function cacheBinDir(versions: PinnedVersions = readPinnedVersions()): string {
  const cacheRoot = process.env['PAI_DEPLOY_CACHE'] || join(homedir(), '.cache', 'pai-deploy');
  const key = `k8s-${versions.kubernetes}_etcd-${versions.etcd}_kwok-${versions.kwok}`;
  return join(cacheRoot, 'k8s', key, 'bin');
}

export type BinaryLookup = { found: true; dir: string } | { found: false; reason: string };

/**
 * Where the binaries are, envtest style: PAI_DEPLOY_K8S_BIN, then KUBEBUILDER_ASSETS, then the build cache.
 * A directory that is named explicitly but incomplete is an error, not a reason to fall through.
 */
export function lookupBinaries(): BinaryLookup {
  const explicit: Array<[string, string | undefined]> = [
    ['PAI_DEPLOY_K8S_BIN', process.env['PAI_DEPLOY_K8S_BIN']],
    ['KUBEBUILDER_ASSETS', process.env['KUBEBUILDER_ASSETS']],
  ];
  for (const [variable, dir] of explicit) {
    if (!dir) continue;
    const missing = missingBinaries(dir);
    if (missing.length > 0) return { found: false, reason: `${variable}=${dir} lacks ${missing.join(', ')}` };
    return { found: true, dir };
  }
  const cached = cacheBinDir();
  const missing = missingBinaries(cached);
  if (missing.length === 0) return { found: true, dir: cached };
  return {
    found: false,
    reason: `no Kubernetes test binaries (${missing.join(', ')} missing in ${cached}); run scripts/k8s-testenv build or set PAI_DEPLOY_K8S_BIN`,
  };
}

function missingBinaries(dir: string): BinaryName[] {
  return REQUIRED_BINARIES.filter((name) => !existsSync(join(dir, name)));
}
