#!/usr/bin/env node
// Benchmarks of `pai-deploy check` against lab machines (numbers for the issue notes, never asserted in tests):
//   20 lab machines: pai-deploy check vs an Ansible playbook doing OpenPAI's environment-check equivalents
//   (scripts/bench.d/environment-check.yml) with forks 5 and 20, in one run, and the ratio;
//   200 light lab machines (no inner dockerd): wall time and peak memory of pai-deploy check.
// Needs a Docker engine (scripts/lab engine) and ansible-playbook; says so and exits 0 when they are missing.
// Usage: npm run build && node scripts/bench-check.mjs [--skip-200] [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'skip-200': { type: 'boolean' }, runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const lab = join(root, 'scripts', 'lab');
const cli = join(root, 'bin', 'pai-deploy.js');

for (const [program, args, why] of [
  ['docker', ['info'], 'no Docker engine (run scripts/lab engine as root)'],
  ['ansible-playbook', ['--version'], 'no ansible-playbook (scripts/ci/provision-ansible.sh)'],
]) {
  if (spawnSync(program, args, { stdio: 'ignore' }).status !== 0) {
    console.log(`check benchmark skipped: ${why}`);
    process.exit(0);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-bench-check-'));
const labs = [];
const cleanup = () => {
  for (const name of labs) spawnSync(lab, ['down', '--name', name], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function labUp(spec) {
  labs.push(spec.name);
  const started = Date.now();
  const up = spawnSync(lab, ['up', '--spec', '-'], {
    input: JSON.stringify(spec),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (up.status !== 0) throw new Error(`scripts/lab up ${spec.name} failed`);
  console.log(
    `  lab ${spec.name}: ${spec.machines.reduce((n, m) => n + (m.count ?? 1), 0)} machines up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return JSON.parse(up.stdout).machines;
}

function writeCluster(name, machines) {
  const list = machines.map((machine, index) => ({
    hostname: machine.hostname,
    hostip: machine.ip,
    'machine-type': machine.role === 'gpu-worker' ? 'gpu' : 'cpu',
    ...(index === 0 ? { 'pai-master': 'true' } : { 'pai-worker': 'true' }),
  }));
  const layout = join(dir, `${name}-layout.yaml`);
  const config = join(dir, `${name}-config.yaml`);
  writeFileSync(
    layout,
    JSON.stringify({
      'machine-sku': {
        cpu: { mem: '512Mi', cpu: { vcore: 1 } },
        gpu: {
          mem: '512Mi',
          cpu: { vcore: 1 },
          'computing-device': { type: 'nvidia.com/gpu', model: 'V100', count: 2 },
        },
      },
      'machine-list': list,
    }),
  );
  writeFileSync(
    config,
    JSON.stringify({ user: machines[0].user, ssh_key_file_path: machines[0].keyPath, docker_image_tag: 'v1.8.0' }),
  );
  return { layout, config };
}

function timed(command, args, options = {}) {
  const timer = existsSync('/usr/bin/time') ? ['/usr/bin/time', ['-f', '@@rss %M', command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const result = spawnSync(timer[0], timer[1], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = /@@rss (\d+)/.exec(result.stderr ?? '')?.[1];
  return {
    ms,
    status: result.status,
    rssMiB: rss ? Number(rss) / 1024 : undefined,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];

function checkRun(cluster, workDir, extra = []) {
  return timed(process.execPath, [
    cli,
    'check',
    '-l',
    cluster.layout,
    '-c',
    cluster.config,
    '--work-dir',
    workDir,
    '--format',
    'json',
    '--connect-attempts',
    '1',
    ...extra,
  ]);
}

try {
  console.log(
    `node ${process.version}; lab machines are containers on this machine (${(await import('node:os')).cpus().length} cores)`,
  );
  // 20 machines, same checks by pai-deploy and by Ansible.
  const twenty = labUp({
    name: 'bench20',
    machines: [
      { hostname: 'm-master', profile: 'master' },
      { hostname: 'm-gpu-{i}', profile: 'gpu-worker', gpus: 2, count: 9 },
      { hostname: 'm-cpu-{i}', profile: 'cpu-worker', count: 10 },
    ],
  });
  const cluster = writeCluster('bench20', twenty);
  const workDir = join(dir, 'work20');
  checkRun(cluster, workDir); // first contact records host keys
  const ours = Array.from({ length: runs }, () => checkRun(cluster, workDir));
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(
    inventory,
    [
      '[all]',
      ...twenty.map((m) => `${m.hostname} ansible_host=${m.ip}`),
      '[all:vars]',
      `ansible_user=${twenty[0].user}`,
      `ansible_ssh_private_key_file=${twenty[0].keyPath}`,
      "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
      'ansible_python_interpreter=/usr/bin/python3',
      '',
    ].join('\n'),
  );
  const ansible = (forks) =>
    timed(
      'ansible-playbook',
      ['-i', inventory, '-f', String(forks), join(root, 'scripts', 'bench.d', 'environment-check.yml')],
      {
        env: {
          ...process.env,
          ANSIBLE_HOST_KEY_CHECKING: 'False',
          ANSIBLE_STDOUT_CALLBACK: 'default',
          ANSIBLE_NOCOLOR: '1',
        },
      },
    );
  const ansibleRuns = 1; // each Ansible run takes minutes; the gap is far larger than run-to-run noise
  const forks5 = Array.from({ length: ansibleRuns }, () => ansible(5));
  const forks20 = Array.from({ length: ansibleRuns }, () => ansible(20));
  for (const run of [...forks5, ...forks20])
    if (run.status !== 0) throw new Error(`ansible-playbook failed:\n${run.stdout.slice(-2000)}`);
  const oursMs = median(ours.map((run) => run.ms));
  const f5 = median(forks5.map((run) => run.ms));
  const f20 = median(forks20.map((run) => run.ms));
  console.log(
    `  20 machines: pai-deploy check ${oursMs.toFixed(0)} ms (median of ${runs}, peak RSS ${median(ours.map((r) => r.rssMiB ?? 0)).toFixed(0)} MiB)`,
  );
  console.log(
    `               ansible-playbook forks 5: ${f5.toFixed(0)} ms, forks 20: ${f20.toFixed(0)} ms (median of ${ansibleRuns})`,
  );
  console.log(
    `               pai-deploy is ${(f20 / oursMs).toFixed(1)}x faster than Ansible with forks 20 (${(f5 / oursMs).toFixed(1)}x vs forks 5); target 10x`,
  );
  spawnSync(lab, ['down', '--name', 'bench20'], { stdio: 'ignore' });

  if (!values['skip-200']) {
    const light = labUp({
      name: 'bench200',
      light: true,
      machines: [
        { hostname: 'n-master', profile: 'master' },
        { hostname: 'n-{i}', profile: 'cpu-worker', count: 199 },
      ],
    });
    const cluster200 = writeCluster('bench200', light);
    const work200 = join(dir, 'work200');
    checkRun(cluster200, work200, ['--concurrency', '50']);
    for (const concurrency of ['20', '50', '100']) {
      const results = Array.from({ length: runs }, () => checkRun(cluster200, work200, ['--concurrency', concurrency]));
      console.log(
        `  200 light machines, --concurrency ${concurrency.padStart(3)}: ${median(results.map((r) => r.ms)).toFixed(0)} ms (median of ${runs}), peak RSS ${median(results.map((r) => r.rssMiB ?? 0)).toFixed(0)} MiB; target under 15 s`,
      );
    }
  }
} finally {
  cleanup();
}
