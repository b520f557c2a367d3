import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TESTENV_DIR = dirname(fileURLToPath(import.meta.url));
export const BUILD_SCRIPT = join(TESTENV_DIR, 'build-binaries.sh');
export const STAGES_DIR = join(TESTENV_DIR, 'stages');

/**
 * The control planes the test environment can run: `current` (the default, a recent Kubernetes) and `1.15`, what
 * kubespray 2.11 installs and so the product's target cluster. versions.sh pins each one.
 */
export const K8S_TESTENV_VERSIONS = ['current', '1.15'] as const;
export type K8sTestEnvVersion = (typeof K8S_TESTENV_VERSIONS)[number];
export const DEFAULT_K8S_TESTENV_VERSION: K8sTestEnvVersion = 'current';

export function isK8sTestEnvVersion(value: string): value is K8sTestEnvVersion {
  return (K8S_TESTENV_VERSIONS as readonly string[]).includes(value);
}

/** A version given on the command line or in K8S_TESTENV_VERSION; undefined or empty means the default. */
export function parseK8sTestEnvVersion(value: string | undefined, source = 'version'): K8sTestEnvVersion {
  if (value === undefined || value === '') return DEFAULT_K8S_TESTENV_VERSION;
  if (!isK8sTestEnvVersion(value)) {
    throw new Error(
      `${source}: unknown Kubernetes test version "${value}" (known: ${K8S_TESTENV_VERSIONS.join(', ')})`,
    );
  }
  return value;
}

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

/** Suffix of a version's variables in versions.sh: K8S_VERSION (current), K8S_VERSION_1_15 (1.15). */
function variableSuffix(version: K8sTestEnvVersion): string {
  return version === 'current' ? '' : `_${version.replace(/\./g, '_')}`;
}

/** versions.sh is the single place the versions are pinned; the build script sources it. */
export function readPinnedVersions(version: K8sTestEnvVersion = DEFAULT_K8S_TESTENV_VERSION): PinnedVersions {
  const text = readFileSync(join(TESTENV_DIR, 'versions.sh'), 'utf8');
  const suffix = variableSuffix(version);
  const value = (name: string): string => {
    const match = new RegExp(`^${name}${suffix}=(\\S+)$`, 'm').exec(text);
    if (!match?.[1]) throw new Error(`versions.sh does not set ${name}${suffix}`);
    return match[1];
  };
  return { kubernetes: value('K8S_VERSION'), etcd: value('ETCD_VERSION'), kwok: value('KWOK_VERSION') };
}

/** `<cache>/k8s/<key>/bin` of a version (or of explicit pins). */
export function cacheBinDir(versions: PinnedVersions | K8sTestEnvVersion = DEFAULT_K8S_TESTENV_VERSION): string {
  const pins = typeof versions === 'string' ? readPinnedVersions(versions) : versions;
  const cacheRoot = process.env['PAI_DEPLOY_CACHE'] || join(homedir(), '.cache', 'pai-deploy');
  const key = `k8s-${pins.kubernetes}_etcd-${pins.etcd}_kwok-${pins.kwok}`;
  return join(cacheRoot, 'k8s', key, 'bin');
}

/** Variables naming a directory of binaries for a version, checked in this order before the build cache. */
export function explicitBinDirVariables(version: K8sTestEnvVersion): string[] {
  return version === 'current'
    ? ['PAI_DEPLOY_K8S_BIN', 'KUBEBUILDER_ASSETS']
    : [`PAI_DEPLOY_K8S_BIN${variableSuffix(version)}`];
}

export type BinaryLookup = { found: true; dir: string } | { found: false; reason: string };

/**
 * Where a version's binaries are, envtest style: for current PAI_DEPLOY_K8S_BIN, then KUBEBUILDER_ASSETS, for 1.15
 * PAI_DEPLOY_K8S_BIN_1_15; then the build cache. A directory that is named explicitly but incomplete is an error,
 * not a reason to fall through.
 */
export function lookupBinaries(version: K8sTestEnvVersion = DEFAULT_K8S_TESTENV_VERSION): BinaryLookup {
  for (const variable of explicitBinDirVariables(version)) {
    const dir = process.env[variable];
    if (!dir) continue;
    const missing = missingBinaries(dir);
    if (missing.length > 0) return { found: false, reason: `${variable}=${dir} lacks ${missing.join(', ')}` };
    return { found: true, dir };
  }
  const cached = cacheBinDir(version);
  const missing = missingBinaries(cached);
  if (missing.length === 0) return { found: true, dir: cached };
  const build = version === 'current' ? 'scripts/k8s-testenv build' : `scripts/k8s-testenv build --version ${version}`;
  return {
    found: false,
    reason: `no Kubernetes ${version} test binaries (${missing.join(', ')} missing in ${cached}); run ${build} or set ${explicitBinDirVariables(version)[0]}`,
  };
}

function missingBinaries(dir: string): BinaryName[] {
  return REQUIRED_BINARIES.filter((name) => !existsSync(join(dir, name)));
}
