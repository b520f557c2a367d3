#!/usr/bin/env node
// Benchmark of the kubespray runner's overhead (numbers for the issue notes, never asserted in tests):
// `pai-deploy kubespray run` (CLI start, validate, render, tree check, overlay, container via dockerode, progress
// parsing, log, kubeconfig) against `docker run … ansible-playbook` with the same image, mounts and command, on the
// kubespray-shaped fixture and three Python 3.7 lab machines. Target: under 3 s or 5 %.
// Needs a Docker engine and the lab's Python 3.7 images (scripts/lab images); says so and exits 0 when missing.
// Usage: npm run build && node scripts/bench-kubespray.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const lab = join(root, 'scripts', 'lab');
const cli = join(root, 'bin', 'pai-deploy.js');
const fixture = join(root, 'test', 'fixtures', 'kubespray-shaped');

if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
  console.log('kubespray benchmark skipped: no Docker engine (run scripts/lab engine as root)');
  process.exit(0);
}

const name = 'bench-ks';
const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-bench-ks-'));
const cleanup = () => {
  spawnSync(lab, ['down', '--name', name], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function run(program, args, options = {}) {
  const started = performance.now();
  const result = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  return { ...result, ms: performance.now() - started };
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

try {
  const spec = {
    name,
    machines: ['master', 'gpu-1', 'cpu-1'].map((hostname, index) => ({
      hostname,
      profile: ['master', 'gpu-worker', 'cpu-worker'][index],
      python: '3.7',
      light: true,
    })),
  };
  const up = run(lab, ['up', '--spec', '-'], { input: JSON.stringify(spec), stdio: ['pipe', 'pipe', 'inherit'] });
  if (up.status !== 0) throw new Error('scripts/lab up failed');
  const info = JSON.parse(up.stdout);
  const machines = info.machines;
  const key = machines[0].keyPath;
  const layout = [
    'machine-sku:',
    '  small: {mem: 1Gi, cpu: {vcore: 1}}',
    'machine-list:',
    ...machines.map(
      (m, i) =>
        `  - {hostname: ${m.hostname}, hostip: ${m.ip}, machine-type: small, ${i === 0 ? 'pai-master' : 'pai-worker'}: "true"}`,
    ),
  ].join('\n');
  const config = [
    `user: ${machines[0].user}`,
    `ssh_key_file_path: ${key}`,
    'docker_image_tag: v1.8.0',
    'cluster_id: benchks',
    'openpai_kubespray_extra_var:',
    `  ansible_python_interpreter: ${machines[0].python}`,
  ].join('\n');
  writeFileSync(join(dir, 'layout.yaml'), `${layout}\n`);
  writeFileSync(join(dir, 'config.yaml'), `${config}\n`);
  const work = join(dir, 'work');
  const inputs = ['-l', join(dir, 'layout.yaml'), '-c', join(dir, 'config.yaml'), '--work-dir', work];
  run(process.execPath, [cli, 'check', ...inputs, '--only', 'ssh.key-auth']);
  const image = info.devbox27Image;
  const viaCli = () =>
    run(process.execPath, [
      cli,
      'kubespray',
      'run',
      ...inputs,
      '--kubespray-dir',
      fixture,
      '--allow-unpinned-kubespray',
      '--devbox-image',
      image,
      '--devbox-network',
      info.network,
    ]);
  // A first run renders the work dir the direct run mounts (and warms the caches of both).
  const warm = viaCli();
  if (warm.status !== 0) throw new Error(`pai-deploy kubespray run failed:\n${warm.stderr}`);
  const direct = () =>
    run('docker', [
      'run',
      '--rm',
      '--init',
      '--network',
      info.network,
      ...[
        [fixture, '/pai/kubespray', 'ro'],
        [join(work, 'kubespray-overlay'), '/pai/overlay', 'ro'],
        [join(work, 'rendered', 'inventory'), '/pai/inventory', 'ro'],
        [join(work, 'kubespray-state'), '/pai/state', 'rw'],
        [join(work, 'known_hosts'), '/pai/known_hosts', 'ro'],
        [key, key, 'ro'],
      ].flatMap(([source, target, mode]) => ['-v', `${source}:${target}:${mode}`]),
      '-e',
      'ANSIBLE_CONFIG=/pai/overlay/ansible.cfg',
      '-e',
      'PAI_DEPLOY_EVENT_TOKEN=bench',
      '-w',
      '/pai/kubespray',
      image,
      'ansible-playbook',
      '-i',
      '/pai/inventory/hosts.yml',
      'cluster.yml',
      '--become',
      '--become-user=root',
      '-e',
      '@/pai/inventory/openpai.yml',
      '-e',
      '@/pai/overlay/runner-vars.json',
    ]);
  const cliTimes = [];
  const directTimes = [];
  for (let index = 0; index < runs; index++) {
    const a = direct();
    if (a.status !== 0) throw new Error(`docker run ansible-playbook failed:\n${a.stdout.slice(-2000)}${a.stderr}`);
    directTimes.push(a.ms);
    const b = viaCli();
    if (b.status !== 0) throw new Error(`pai-deploy kubespray run failed:\n${b.stderr}`);
    cliTimes.push(b.ms);
  }
  const c = median(cliTimes);
  const d = median(directTimes);
  const overhead = c - d;
  console.log(
    `node ${process.version}, 3 lab machines (Python 3.7), the kubespray-shaped cluster.yml, ${runs} runs each`,
  );
  console.log(
    `  docker run … ansible-playbook          ${Math.round(d)} ms (${directTimes.map(Math.round).join(', ')})`,
  );
  console.log(`  pai-deploy kubespray run               ${Math.round(c)} ms (${cliTimes.map(Math.round).join(', ')})`);
  console.log(
    `  overhead                               ${Math.round(overhead)} ms (${((overhead / d) * 100).toFixed(1)} %)  ${overhead < 3000 || overhead / d < 0.05 ? 'under' : 'OVER'} the 3 s / 5 % target`,
  );
} finally {
  cleanup();
}
