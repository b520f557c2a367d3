#!/usr/bin/env node
// `npm run lab:demo`: brings up a small lab with a few faulty machines, runs `pai-deploy check` against it, shows
// the report, and takes the lab down again. Needs a Docker engine (scripts/lab engine, as root).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const lab = join(root, 'scripts', 'lab');
const name = 'demo';
const spec = {
  name,
  machines: [
    { hostname: 'pai-master', profile: 'master' },
    { hostname: 'pai-gpu-1', profile: 'gpu-worker', gpus: 4, gpuModel: 'Tesla V100-SXM2-16GB' },
    { hostname: 'pai-gpu-2', profile: 'runtime-flag-only', gpus: 4, gpuModel: 'Tesla V100-SXM2-16GB' },
    { hostname: 'pai-cpu-1', profile: 'ntp-off' },
    { hostname: 'pai-cpu-2', profile: 'down' },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-demo-'));
const cleanup = () => {
  spawnSync(lab, ['down', '--name', name], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  console.error('bringing up the demo lab (the first time builds its images: a few minutes)...');
  const up = spawnSync(lab, ['up', '--spec', '-'], {
    input: JSON.stringify(spec),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (up.status !== 0) throw new Error('scripts/lab up failed');
  const machines = JSON.parse(up.stdout).machines;
  const skus = {};
  const list = machines.map((machine) => {
    const gpu = machine.role === 'gpu-worker';
    const sku = gpu ? 'gpu-machine' : machine.role === 'master' ? 'master-machine' : 'cpu-machine';
    skus[sku] = gpu
      ? { mem: '1Gi', cpu: { vcore: 1 }, 'computing-device': { type: 'nvidia.com/gpu', model: 'V100', count: 4 } }
      : { mem: '1Gi', cpu: { vcore: 1 } };
    return {
      hostname: machine.hostname,
      hostip: machine.ip,
      'machine-type': sku,
      [machine.role === 'master' ? 'pai-master' : 'pai-worker']: 'true',
    };
  });
  const layout = join(dir, 'layout.yaml');
  const config = join(dir, 'config.yaml');
  writeFileSync(layout, JSON.stringify({ 'machine-sku': skus, 'machine-list': list }, null, 2));
  writeFileSync(
    config,
    JSON.stringify(
      { user: machines[0].user, ssh_key_file_path: machines[0].keyPath, docker_image_tag: 'v1.8.0' },
      null,
      2,
    ),
  );
  console.error(`\nlayout: ${layout}\nconfig: ${config}\nrunning: pai-deploy check -l ${layout} -c ${config}\n`);
  // The lab machines run tini rather than systemd, so os.systemd is skipped here (a limit of the lab, not of check).
  const check = spawnSync(
    process.execPath,
    [
      join(root, 'bin', 'pai-deploy.js'),
      'check',
      '-l',
      layout,
      '-c',
      config,
      '--work-dir',
      join(dir, 'work'),
      '--skip',
      'os.systemd',
      '--connect-attempts',
      '1',
    ],
    { stdio: 'inherit' },
  );
  console.error(
    `\npai-deploy check exited ${check.status} (1: a check failed or a machine is unreachable, as the demo intends)`,
  );
} finally {
  cleanup();
}
