import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probe, type ClientTls } from './http-probe.js';
import type { Pki } from './pki.js';
import {
  freeLoopbackPort,
  isAlive,
  stableLoopbackPort,
  startProcess,
  stopProcessGroup,
  tailOfLog,
  type StartedProcess,
} from './processes.js';
import { STAGES_DIR, type K8sTestEnvVersion } from './binaries.js';

/** Kubespray's defaults (kube_service_addresses, kube_pods_subnet), so addresses look like a real cluster's. */
export const SERVICE_CIDR = '10.233.0.0/18';
export const KUBERNETES_SERVICE_IP = '10.233.0.1';
export const POD_CIDR = '10.233.64.0/18';

/**
 * What differs between the versions' control planes (checked against each binary's --help). Every flag the
 * components get otherwise exists in both 1.15 and current with the same meaning.
 */
interface VersionProfile {
  /** Answers 200 once kube-apiserver serves: 1.15 has neither /readyz nor /livez, only /healthz. */
  healthPath: string;
  apiserver: string[];
  controllerManager: string[];
  scheduler: string[];
}

const PROFILES: Record<K8sTestEnvVersion, VersionProfile> = {
  current: { healthPath: '/readyz', apiserver: [], controllerManager: [], scheduler: [] },
  '1.15': {
    healthPath: '/healthz',
    // The unauthenticated port, 127.0.0.1:8080 by default until it went away in 1.24: fixed (so two environments
    // would collide) and open to anything on the machine.
    apiserver: ['--insecure-port=0'],
    // Their insecure HTTP ports, 10252 and 10251 on all interfaces by default, went away in 1.24 too.
    controllerManager: ['--port=0'],
    scheduler: ['--port=0'],
  },
};

/** The path that tells whether a version's kube-apiserver serves. */
export function apiserverHealthPath(version: K8sTestEnvVersion): string {
  return PROFILES[version].healthPath;
}

export interface ComponentContext {
  version: K8sTestEnvVersion;
  /** --feature-gates of kube-apiserver, kube-controller-manager and kube-scheduler (as kubespray sets them). */
  featureGates: Record<string, boolean>;
  binDir: string;
  stateDir: string;
  pki: Pki;
  /** Called as soon as a process exists, so a failed start can still be torn down. */
  onStarted: (process: StartedProcess) => void;
}

export interface Timeouts {
  etcdMs: number;
  apiserverMs: number;
  controllersMs: number;
}

const PORT_ATTEMPTS = 3;

export async function startEtcd(ctx: ComponentContext, timeoutMs: number): Promise<{ url: string }> {
  const dataDir = join(ctx.stateDir, 'etcd-data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return withFreshPorts('etcd', async () => {
    const clientUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const peerUrl = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const started = launch(ctx, 'etcd', [
      '--name=testenv',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testenv=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--auto-compaction-retention=1',
      '--quota-backend-bytes=8589934592',
      '--log-level=warn',
    ]);
    await waitFor(started, timeoutMs, async () => (await probe(`${clientUrl}/health`))?.status === 200);
    return { url: clientUrl };
  });
}

export async function startApiserver(
  ctx: ComponentContext,
  etcdUrl: string,
  timeoutMs: number,
): Promise<{ server: string }> {
  const certDir = join(ctx.stateDir, 'apiserver-certs');
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const tls: ClientTls = { ca: ctx.pki.caCert, cert: ctx.pki.adminCert, key: ctx.pki.adminKey };
  return withFreshPorts('kube-apiserver', async () => {
    // Below the ephemeral range, so the port is still free when restartApiserver starts it again.
    const port = await stableLoopbackPort();
    const server = `https://127.0.0.1:${port}`;
    const started = launch(ctx, 'kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${ctx.pki.servingCert}`,
      `--tls-private-key-file=${ctx.pki.servingKey}`,
      `--client-ca-file=${ctx.pki.caCert}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${ctx.pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${ctx.pki.serviceAccountPrivateKey}`,
      // The default reconciler would publish 127.0.0.1 as the endpoint of the `kubernetes` Service,
      // which endpoint validation rejects (loopback).
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      ...PROFILES[ctx.version].apiserver,
      ...featureGateFlags(ctx),
      '--v=1',
    ]);
    await waitForApiserver(started, ctx.version, server, tls, timeoutMs);
    return { server };
  });
}

/** Waits until a kube-apiserver answers 200 on its version's health path (apiserverHealthPath). */
export async function waitForApiserver(
  apiserver: StartedProcess,
  version: K8sTestEnvVersion,
  server: string,
  tls: ClientTls,
  timeoutMs: number,
): Promise<void> {
  const health = `${server}${PROFILES[version].healthPath}`;
  await waitFor(apiserver, timeoutMs, async () => (await probe(health, tls))?.status === 200);
}

/**
 * Starts a stopped component again with its recorded command line (the same flags, so the same port and
 * certificates) and waits for `ready`. The port is fixed now, so while something else still holds it, the start is
 * retried instead of moving to another port. `onStarted` sees each new process as soon as it exists.
 */
export async function relaunch(
  previous: StartedProcess,
  ready: (started: StartedProcess) => Promise<void>,
  onStarted: (started: StartedProcess) => void,
  attempts = 10,
): Promise<StartedProcess> {
  for (let attempt = 1; ; attempt++) {
    appendFileSync(previous.log, `--- k8s-testenv: starting ${previous.name} again (${new Date().toISOString()})\n`);
    const started = startProcess(previous.name, previous.binary, previous.args, dirname(previous.log));
    onStarted(started);
    try {
      await ready(started);
      return started;
    } catch (error) {
      const portTaken =
        error instanceof ComponentDied && /address already in use/i.test(tailOfLog(error.component.log, 30));
      if (!portTaken || attempt >= attempts) throw error;
      await sleep(1_000);
    }
  }
}

export function startControllerManager(ctx: ComponentContext, kubeconfigPath: string): StartedProcess {
  return launch(ctx, 'kube-controller-manager', [
    `--kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
    '--secure-port=0',
    `--service-account-private-key-file=${ctx.pki.serviceAccountPrivateKey}`,
    `--root-ca-file=${ctx.pki.caCert}`,
    `--cluster-signing-cert-file=${ctx.pki.caCert}`,
    `--cluster-signing-key-file=${ctx.pki.caKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // Simulated clusters create many objects at once; the default 20 QPS makes 1,000 nodes crawl.
    '--kube-api-qps=500',
    '--kube-api-burst=1000',
    ...PROFILES[ctx.version].controllerManager,
    ...featureGateFlags(ctx),
    '--v=1',
  ]);
}

export function startScheduler(ctx: ComponentContext, kubeconfigPath: string): StartedProcess {
  return launch(ctx, 'kube-scheduler', [
    `--kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
    '--secure-port=0',
    '--kube-api-qps=500',
    '--kube-api-burst=1000',
    ...PROFILES[ctx.version].scheduler,
    ...featureGateFlags(ctx),
    '--v=1',
  ]);
}

/**
 * kwok's own settings that have no flag. It has no client-side rate limit, but plays stages and renews leases with
 * only 4 workers each by default, which makes 1,000 new nodes trickle in.
 */
export const KWOK_CONFIGURATION = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  nodePlayStageParallelism: 16
  nodeLeaseParallelism: 16
  podPlayStageParallelism: 16
`;

export function startKwok(ctx: ComponentContext, kubeconfigPath: string): StartedProcess {
  const configuration = join(ctx.stateDir, 'kwok-configuration.yaml');
  writeFileSync(configuration, KWOK_CONFIGURATION);
  return launch(ctx, 'kwok', [
    `--kubeconfig=${kubeconfigPath}`,
    `--config=${configuration}`,
    // Every stage file there: nodes.yaml, pods.yaml and the simulated failures of pods-simulated.yaml.
    ...readdirSync(STAGES_DIR)
      .filter((file) => file.endsWith('.yaml'))
      .sort()
      .map((file) => `--config=${join(STAGES_DIR, file)}`),
    '--manage-all-nodes=true',
    '--node-lease-duration-seconds=40',
    `--cidr=${POD_CIDR}`,
    '--server-address=',
  ]);
}

/** `--feature-gates=A=true,B=false`, sorted; nothing when no gate is set. */
export function featureGateFlags(ctx: Pick<ComponentContext, 'featureGates'>): string[] {
  const gates = Object.entries(ctx.featureGates).sort(([a], [b]) => a.localeCompare(b));
  return gates.length === 0 ? [] : [`--feature-gates=${gates.map(([gate, on]) => `${gate}=${on}`).join(',')}`];
}

/** Parses `A=true,B=false` (the flag's own syntax). */
export function parseFeatureGates(text: string): Record<string, boolean> {
  const gates: Record<string, boolean> = {};
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const match = /^([A-Za-z][A-Za-z0-9]*)=(true|false)$/.exec(item);
    if (!match) throw new Error(`--feature-gates: expected Gate=true|false, got "${item}"`);
    gates[match[1] as string] = match[2] === 'true';
  }
  return gates;
}

function launch(ctx: ComponentContext, name: string, args: string[]): StartedProcess {
  const started = startProcess(name, join(ctx.binDir, name), args, ctx.stateDir);
  ctx.onStarted(started);
  return started;
}

/** Polls `ready` until it holds; fails early with the log tail if the process dies. */
export async function waitFor(
  component: StartedProcess,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(component.pid)) throw new ComponentDied(component);
    if (await ready()) return;
    await sleep(200);
  }
  throw new Error(`${component.name} not ready after ${timeoutMs} ms; last log lines:\n${tailOfLog(component.log)}`);
}

export class ComponentDied extends Error {
  constructor(readonly component: StartedProcess) {
    super(`${component.name} exited during start; last log lines:\n${tailOfLog(component.log)}`);
  }
}

/** Free ports are picked by listen-and-close, so a bind can race; retry a few times with new ports. */
async function withFreshPorts<T>(name: string, attempt: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < PORT_ATTEMPTS; i++) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
      if (!(error instanceof ComponentDied) || !/address already in use/i.test(tailOfLog(error.component.log, 50)))
        throw error;
      await stopProcessGroup(error.component.pid);
    }
  }
  throw new Error(`${name}: no free port after ${PORT_ATTEMPTS} attempts`, { cause: lastError });
}

/** Confirms each long-running component is still up (flags errors surface as early exits). */
export function assertAllAlive(components: StartedProcess[]): void {
  for (const component of components) {
    if (!isAlive(component.pid)) throw new ComponentDied(component);
  }
}
