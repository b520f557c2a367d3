import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  BUILD_SCRIPT,
  K8S_TESTENV_VERSIONS,
  lookupBinaries,
  parseK8sTestEnvVersion,
  readPinnedVersions,
  type K8sTestEnvVersion,
} from './binaries.js';
import { parseFeatureGates } from './control-plane.js';
import { numberedNodes, type TestNodeSpec } from './nodes.js';
import { defaultStateRoot, down, listStateDirs, up } from './testenv.js';

const pins = (version: K8sTestEnvVersion): string => {
  const p = readPinnedVersions(version);
  return `Kubernetes ${p.kubernetes}, etcd ${p.etcd}, kwok ${p.kwok}`;
};

const HELP = `Usage: scripts/k8s-testenv <command> [options]

A throwaway Kubernetes control plane on loopback (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler) with kwok-simulated nodes whose pods become Running and Ready.

Versions (--version V, else $K8S_TESTENV_VERSION, else current):
  current  ${pins('current')}
  1.15     ${pins('1.15')}
           (what kubespray 2.11 installs: no /readyz or /livez, ServerSideApply off unless
           --feature-gates ServerSideApply=true; no kubectl is built for it)

Commands:
  up [--version V] [--nodes N] [--nodes-file FILE] [--gpus-per-node G] [--feature-gates GATES]
     [--keep-on-failure] [--no-build]
        Start an environment in a new state directory and print JSON on stdout:
        {"kubeconfig": PATH, "nodes": [NAMES], "stateDir": DIR, "server": URL, "version": V,
         "kubernetesVersion": "v1.x.y"}
        --nodes N              N nodes named pai-worker-001... (default 1)
        --nodes-file FILE      JSON array of {name, cpu?, memory?, gpu?, pods?, labels?, address?}
        --gpus-per-node G      nvidia.com/gpu allocatable for --nodes nodes (default 0)
        --feature-gates GATES  Gate=true|false,... for kube-apiserver, -controller-manager and -scheduler
        Builds the binaries first when they are missing (unless --no-build).
  down [STATE_DIR] [--all]
        Stop every process of an environment and delete its state directory. STATE_DIR defaults to
        $PAI_DEPLOY_K8S_TESTENV, else the only environment under the state root. --all stops all of them.
  list  Print the state directories of running environments.
  measure [--version V[,V...]] [--nodes N[,N...]] [--runs R]
        Start and stop environments of N nodes named pai-worker-0001... and print, per run, when each
        step was done (ms from the start: etcd, kube-apiserver, controllers, nodes created, all nodes
        Ready) and the CPU seconds each component used by then. Default: --version current,1.15
        --nodes 100,1000 --runs 1. Numbers from a busy machine vary a lot: compare CPU, or several runs.
  build [--version V]
        Build and cache the binaries of a version if missing; print their directory.
  bin [--version V]
        Print the binary directory of a version, or why there is none (exit 1).

Environment:
  K8S_TESTENV_VERSION           version when --version is not given (${K8S_TESTENV_VERSIONS.join(', ')}; default current)
  PAI_DEPLOY_K8S_BIN / KUBEBUILDER_ASSETS  directory with etcd, kube-apiserver, kube-controller-manager,
                                kube-scheduler and kwok of the current version (checked in this order, before the cache)
  PAI_DEPLOY_K8S_BIN_1_15       the same for 1.15
  PAI_DEPLOY_CACHE              cache root (default ~/.cache/pai-deploy); binaries in k8s/<versions>/bin
  PAI_DEPLOY_K8S_TESTENV_ROOT   parent of state directories (default: ${defaultStateRoot()})
  PAI_DEPLOY_K8S_TESTENV        state directory used by 'down' when none is given
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return runUp(rest);
    case 'down':
      return runDown(rest);
    case 'list':
      for (const dir of listStateDirs()) process.stdout.write(`${dir}\n`);
      return 0;
    case 'measure':
      return runMeasure(rest);
    case 'build': {
      const dir = build(versionOption(rest));
      if (dir !== null) process.stdout.write(`${dir}\n`);
      return dir === null ? 1 : 0;
    }
    case 'bin': {
      const lookup = lookupBinaries(versionOption(rest));
      if (lookup.found) process.stdout.write(`${lookup.dir}\n`);
      else process.stderr.write(`${lookup.reason}\n`);
      return lookup.found ? 0 : 1;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
      return 2;
  }
}

async function runUp(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      version: { type: 'string' },
      nodes: { type: 'string' },
      'nodes-file': { type: 'string' },
      'gpus-per-node': { type: 'string' },
      'feature-gates': { type: 'string' },
      'keep-on-failure': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const version = selectedVersion(values.version);
  const nodes = nodeSpecs(values.nodes, values['nodes-file'], values['gpus-per-node']);
  const featureGates = parseFeatureGates(values['feature-gates'] ?? '');
  let lookup = lookupBinaries(version);
  if (!lookup.found && !values['no-build']) {
    process.stderr.write(`${lookup.reason}; building them now\n`);
    if (build(version) === null) return 1;
    lookup = lookupBinaries(version);
  }
  if (!lookup.found) throw new Error(lookup.reason);
  const state = await up({
    nodes,
    version,
    featureGates,
    binDir: lookup.dir,
    keepOnFailure: values['keep-on-failure'],
    log: (message) => process.stderr.write(`[k8s-testenv] ${message}\n`),
  });
  const output = {
    kubeconfig: state.kubeconfigPath,
    nodes: state.nodes,
    stateDir: state.stateDir,
    server: state.server,
    version: state.version,
    kubernetesVersion: state.kubernetesVersion,
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  return 0;
}

function nodeSpecs(count: string | undefined, file: string | undefined, gpus: string | undefined): TestNodeSpec[] {
  if (count !== undefined && file !== undefined) throw new Error('--nodes and --nodes-file exclude each other');
  if (file !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(parsed) || !parsed.every((n) => typeof (n as { name?: unknown }).name === 'string')) {
      throw new Error(`${file}: expected a JSON array of objects with a "name"`);
    }
    return parsed as TestNodeSpec[];
  }
  const n = Number(count ?? '1');
  const gpu = Number(gpus ?? '0');
  if (!Number.isInteger(n) || n < 0) throw new Error(`--nodes: not a count: ${count}`);
  if (!Number.isInteger(gpu) || gpu < 0) throw new Error(`--gpus-per-node: not a count: ${gpus}`);
  return numberedNodes(n).map((node) => ({ ...node, gpu }));
}

async function runMeasure(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      version: { type: 'string', default: K8S_TESTENV_VERSIONS.join(',') },
      nodes: { type: 'string', default: '100,1000' },
      runs: { type: 'string', default: '1' },
    },
  });
  const versions = values.version.split(',').map((v) => parseK8sTestEnvVersion(v.trim(), '--version'));
  const counts = values.nodes.split(',').map((n) => Number(n.trim()));
  const runs = Number(values.runs);
  if (!counts.every((n) => Number.isInteger(n) && n >= 0)) throw new Error(`--nodes: not counts: ${values.nodes}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: not a count: ${values.runs}`);
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  for (const version of versions) {
    for (const count of counts) {
      for (let run = 1; run <= runs; run++) {
        const nodes = numberedNodes(count, 'pai-worker-', 4);
        const state = await up({ nodes, version });
        try {
          const t = state.timings;
          const cpu = state.processes.map((p) => `${p.name} ${(cpuTicks(p.pid) / ticks).toFixed(1)}`).join(', ');
          process.stdout.write(
            `${version} ${count} nodes: Ready at ${t.nodesReady} ms (etcd ${t.etcd}, kube-apiserver ${t.apiserver}, ` +
              `controllers ${t.controllers}, nodes created ${t.nodesCreated}); CPU s: ${cpu}; ` +
              `load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}\n`,
          );
        } finally {
          await down(state.stateDir);
        }
      }
    }
  }
  return 0;
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

async function runDown(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { all: { type: 'boolean', default: false } },
  });
  let targets: string[];
  if (values.all) {
    targets = listStateDirs();
  } else if (positionals[0] ?? process.env['PAI_DEPLOY_K8S_TESTENV']) {
    targets = [(positionals[0] ?? process.env['PAI_DEPLOY_K8S_TESTENV']) as string];
  } else {
    targets = listStateDirs();
    if (targets.length > 1) {
      process.stderr.write(`several environments are running; name one or use --all:\n${targets.join('\n')}\n`);
      return 1;
    }
  }
  if (targets.length === 0) process.stderr.write('no k8s-testenv environment to stop\n');
  for (const dir of targets) {
    await down(dir);
    process.stderr.write(`stopped ${dir}\n`);
  }
  return 0;
}

/** --version V, else K8S_TESTENV_VERSION, else current. */
function selectedVersion(flag: string | undefined): K8sTestEnvVersion {
  if (flag !== undefined) return parseK8sTestEnvVersion(flag, '--version');
  return parseK8sTestEnvVersion(process.env['K8S_TESTENV_VERSION'], 'K8S_TESTENV_VERSION');
}

/** `--version V` as the only option of `build` and `bin`. */
function versionOption(args: string[]): K8sTestEnvVersion {
  const { values } = parseArgs({ args, options: { version: { type: 'string' } } });
  return selectedVersion(values.version);
}

/** Runs build-binaries.sh (progress on stderr); returns the binary directory or null on failure. */
function build(version: K8sTestEnvVersion): string | null {
  const result = spawnSync('bash', [BUILD_SCRIPT, '--version', version], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) return null;
  return result.stdout.trim().split('\n').pop() ?? '';
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`k8s-testenv: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
