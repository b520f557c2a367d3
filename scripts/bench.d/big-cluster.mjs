// Shared by the cluster benchmarks: N kwok nodes named like layout hostnames (the first the master), their
// layout.yaml and config.yaml, and OpenPAI v1.8.0's node labelling (three `kubectl label` per host through GNU
// parallel, one job per core), so each benchmark compares against the same "OpenPAI's way".
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const testenv = join(root, 'scripts', 'k8s-testenv');
export const cli = join(root, 'bin', 'pai-deploy.js');

/** --nodes, --version current|1.15|both and --runs, as both cluster benchmarks take them. */
export function benchArgs(defaultRuns) {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '1000' },
      version: { type: 'string', default: 'both' },
      runs: { type: 'string', default: String(defaultRuns) },
    },
  });
  return {
    count: Number(values.nodes),
    runs: Number(values.runs),
    versions: values.version === 'both' ? ['current', '1.15'] : [values.version],
  };
}

/**
 * The current kubectl of the test control plane's binaries (1.15's is not built: it needs a module the proxy does
 * not serve; labels and applies are sent the same way by every kubectl). Without the binaries the benchmark says
 * so and exits 0.
 */
export function kubectlOrExit(benchmark) {
  const bin = spawnSync(testenv, ['bin', '--version', 'current'], { encoding: 'utf8' });
  if (bin.status !== 0) {
    console.log(`${benchmark} benchmark skipped: ${bin.stderr.trim()}`);
    process.exit(0);
  }
  return join(bin.stdout.trim(), 'kubectl');
}

export function nodeNames(count) {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => `pai-worker-${String(i + 1).padStart(width, '0')}`);
}

/** nodes.json for `k8s-testenv up --nodes-file`, layout.yaml and config.yaml in `dir`; the first node is the master. */
export function writeBigCluster(dir, names, { hived = false } = {}) {
  writeFileSync(join(dir, 'nodes.json'), JSON.stringify(names.map((name) => ({ name }))));
  // hostips are never contacted by the cluster commands.
  const ip = (i) => `10.${20 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
  writeFileSync(
    join(dir, 'layout.yaml'),
    [
      'machine-sku:',
      '  cpu-machine:',
      '    mem: "32Gi"',
      '    cpu:',
      '      vcore: 8',
      'machine-list:',
      ...names.flatMap((name, i) => [
        `  - hostname: ${name}`,
        `    hostip: ${ip(i)}`,
        '    machine-type: cpu-machine',
        i === 0 ? '    pai-master: "true"' : '    pai-worker: "true"',
      ]),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'config.yaml'),
    `user: pai\npassword: bench-only\ndocker_image_tag: v1.8.0\nenable_hived_scheduler: ${hived}\n`,
  );
  return { nodesFile: join(dir, 'nodes.json'), layout: join(dir, 'layout.yaml'), config: join(dir, 'config.yaml') };
}

/** Removes pai-deploy's role labels from every node, so a labelling run writes to all of them. */
export async function unlabel(kubectl, kubeconfig) {
  await run(
    kubectl,
    ['--kubeconfig', kubeconfig, 'label', 'nodes', '--all', 'pai-master-', 'pai-worker-', 'pai-storage-'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/**
 * OpenPAI v1.8.0's commands exactly as cluster-configuration's start.sh.template emits them: three `kubectl label`
 * processes per host (pai-master, pai-worker, pai-storage, each set or removed on its own), fed to GNU parallel, which
 * runs one job per CPU core by default (`jobs`; GNU parallel is not installed here, so a pool of that size runs them).
 */
export async function openpaiLabels(kubectl, kubeconfig, names, jobs) {
  const commands = names.flatMap((node, index) => {
    const set = (label) => ['label', '--overwrite=true', 'nodes', node, label];
    const unset = (label) => ['label', 'nodes', node, `${label}-`];
    return index === 0
      ? [set('pai-master=true').concat('pai-worker=false'), unset('pai-worker'), unset('pai-storage')]
      : [unset('pai-master'), set('pai-worker=true'), unset('pai-storage')];
  });
  await pool(commands, jobs, (args) => run(kubectl, ['--kubeconfig', kubeconfig, ...args]));
}

export async function pool(items, jobs, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

export const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
