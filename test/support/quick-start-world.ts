import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realPorts } from '../../src/infra/ports.js';
import type { KubeApi } from '../../src/ports/kube-api.js';
import { forwardApiServer } from './api-forward.js';
import { repoRoot } from './cli.js';
import { startK8sTestEnv, type K8sTestEnv } from './k8s-testenv.js';
import { startLab, type Lab } from './lab.js';
import { writeLabCluster } from './lab-cluster.js';
import { asLabSpec, labDevbox27Image, machinePython } from './lab-devbox27.js';

/**
 * The world `pai-deploy quick-start` runs against in tests and in its benchmark, every part real but kubespray and
 * OpenPAI (which cannot be shipped in CI): lab machines with sshd, systemd and Python 3.7 (master, gpu-1, cpu-1); the
 * product's dev-box (devbox27: Ansible 2.7.12) running the kubespray-shaped fixture against them; the admin.conf it
 * fetches from the master is the test control plane's (Kubernetes 1.15, as kubespray 2.11 installs; kwok nodes named
 * and addressed like the lab machines), its port served on the master's own address (api-forward.ts); the
 * OpenPAI-shaped fixture tree for the services.
 */
export const QUICK_START_HOSTS = ['master', 'gpu-1', 'cpu-1'] as const;
const KUBESPRAY_FIXTURE = join(repoRoot, 'test', 'fixtures', 'kubespray-shaped');
export const OPENPAI_FIXTURE = join(repoRoot, 'test', 'fixtures', 'openpai-shaped');

export interface QuickStartWorld {
  lab: Lab;
  env: K8sTestEnv;
  kube: KubeApi;
  /** The copy of the kubespray fixture whose master hands out the control plane's kubeconfig. */
  kubesprayTree: string;
  devboxImage: string;
  /** `-l layout.yaml -c config.yaml` as a cluster admin would write them for the lab machines. */
  inputs: string[];
  /** quick-start's flags for this world, without the files and the work dir. */
  flags(): string[];
  /** Takes everything down (the relay, the control plane, the lab), whatever came up. */
  stop(): Promise<void>;
}

export interface QuickStartWorldOptions {
  /** The lab's name (its containers and network are named after it). */
  name: string;
  /** Where the files and the kubespray copy go. */
  dir: string;
  clusterId: string;
  /**
   * Lab machines beside the cluster's three, in neither the layout nor the control plane: machines to add later
   * (their node is created when the test says so, as a kubelet would register it).
   */
  spare?: Array<{ hostname: string; profile: 'gpu-worker' | 'cpu-worker'; gpus?: number }>;
}

export async function startQuickStartWorld(options: QuickStartWorldOptions): Promise<QuickStartWorld> {
  const { dir, clusterId } = options;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const lab = await startLab(
      asLabSpec({
        name: options.name,
        machines: [
          { hostname: 'master', profile: 'master', python: '3.7', light: true },
          { hostname: 'gpu-1', profile: 'gpu-worker', python: '3.7', light: true, gpus: 1 },
          { hostname: 'cpu-1', profile: 'cpu-worker', python: '3.7', light: true },
          ...(options.spare ?? []).map((machine) => ({ ...machine, python: '3.7' as const, light: true })),
        ],
      }),
    );
    stops.push(() => lab.stop());
    const machines = QUICK_START_HOSTS.map((hostname) => lab.machine(hostname));
    const env = await startK8sTestEnv({
      version: '1.15',
      nodes: machines.map((machine) => ({
        name: machine.hostname,
        address: machine.ip,
        cpu: '8',
        memory: '32Gi',
        ...(machine.hostname === 'gpu-1' ? { gpu: 1 } : {}),
      })),
      servingAddresses: [lab.machine('master').ip],
    });
    stops.push(() => env.stop());
    const kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    const relay = await forwardApiServer(lab, 'master', Number(new URL(env.server).port));
    stops.push(() => relay.close());
    const kubesprayTree = join(dir, 'kubespray');
    cpSync(KUBESPRAY_FIXTURE, kubesprayTree, { recursive: true });
    mkdirSync(join(kubesprayTree, 'files'));
    writeFileSync(join(kubesprayTree, 'files', 'admin.conf'), env.kubeconfig, { mode: 0o600 });
    const { layoutPath, configPath } = writeLabCluster(dir, lab, [...QUICK_START_HOSTS], {
      extra: {
        cluster_id: clusterId,
        openpai_kubespray_extra_var: { ansible_python_interpreter: machinePython(lab.machine('master')) },
      },
    });
    const devboxImage = labDevbox27Image(lab);
    return {
      lab,
      env,
      kube,
      kubesprayTree,
      devboxImage,
      inputs: ['-l', layoutPath, '-c', configPath],
      flags: () => [
        '--kubespray-dir',
        kubesprayTree,
        '--allow-unpinned-kubespray',
        '--devbox-image',
        devboxImage,
        '--devbox-network',
        lab.network,
        '--openpai-src',
        OPENPAI_FIXTURE,
        '--allow-unknown-openpai',
        '--timeout',
        '3m',
      ],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
