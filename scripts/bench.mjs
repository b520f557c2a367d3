#!/usr/bin/env node
// Benchmarks (numbers for the issue notes, never asserted in tests):
//   validate + render of a 4,096-machine layout through the real CLI (target < 1 s wall), and validate of the
//   same layout starting with a "---" document marker (many generators write one; the YAML reader must not get
//   slower for it),
//   `pai-deploy --help` (target < 250 ms, heavy modules are loaded lazily),
//   and with --scale: validate, render and plan at 4,096, 25,000, 50,000 and 100,000 machines, to show that every
//   step grows linearly (time per 1,000 machines stays flat).
// Usage: npm run build && npm run bench [-- --machines N --runs N --scale]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '4096' },
    runs: { type: 'string', default: '7' },
    scale: { type: 'boolean', default: false },
  },
});
const machines = Number(values.machines);
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'pai-deploy.js');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-bench-'));
try {
  const layoutPath = join(dir, 'layout.yaml');
  const markedLayoutPath = join(dir, 'layout-marked.yaml');
  const configPath = join(dir, 'config.yaml');
  writeFileSync(layoutPath, bigLayout(machines));
  writeFileSync(markedLayoutPath, `---\n${bigLayout(machines)}`);
  writeFileSync(
    configPath,
    'user: pai\npassword: "bench"\ndocker_image_tag: v1.8.0\nopenpai_kubespray_extra_var:\n  kube_proxy_mode: ipvs\n',
  );

  const help = measure(['--help'], runs * 2);
  const validate = measure(['validate', '-l', layoutPath, '-c', configPath], runs);
  const validateMarked = measure(['validate', '-l', markedLayoutPath, '-c', configPath], runs);
  const render = measure(['render', '-l', layoutPath, '-c', configPath, '--out', join(dir, 'out')], runs, () =>
    rmSync(join(dir, 'out'), { recursive: true, force: true }),
  );

  console.log(
    `node ${process.version}, ${machines} machines, ${runs} runs each (median, min-max), wall time of the whole CLI process`,
  );
  report('pai-deploy --help', help, 250);
  report(`validate (${machines} machines)`, validate, 1000);
  report(`validate (${machines}, "---")`, validateMarked, 1000);
  report(`render   (${machines} machines)`, render, 1000);
  if (values.scale) {
    console.log('scale: median of 3 runs; per 1,000 machines in brackets (flat = linear)');
    for (const count of [4096, 25_000, 50_000, 100_000]) {
      const path = join(dir, `layout-${count}.yaml`);
      writeFileSync(path, bigLayout(count));
      const steps = {
        validate: measure(['validate', '-l', path, '-c', configPath], 3),
        render: measure(['render', '-l', path, '-c', configPath, '--out', join(dir, 'scale-out')], 3, () =>
          rmSync(join(dir, 'scale-out'), { recursive: true, force: true }),
        ),
        plan: measure(['plan', '-l', path, '-c', configPath, '--work-dir', join(dir, 'scale-work')], 3),
      };
      const cells = Object.entries(steps).map(([name, { times, rss }]) => {
        const median = times[1];
        return `${name} ${median.toFixed(0)} ms [${((median * 1000) / count).toFixed(1)}], ${rss[1]?.toFixed(0) ?? '?'} MiB`;
      });
      console.log(`  ${String(count).padStart(6)} machines: ${cells.join('; ')}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function measure(args, count, before = () => {}) {
  const times = [];
  const rss = [];
  for (let i = 0; i < count; i++) {
    before();
    // /usr/bin/time reports the peak RSS of the child; fall back to wall time only without it.
    const timer = existsSync('/usr/bin/time')
      ? ['/usr/bin/time', ['-f', '%M', process.execPath, cli, ...args]]
      : [process.execPath, [cli, ...args]];
    const start = process.hrtime.bigint();
    const result = spawnSync(timer[0], timer[1], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0)
      throw new Error(`pai-deploy ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`);
    times.push(elapsed);
    const kb = Number(result.stderr.trim().split('\n').at(-1));
    if (Number.isFinite(kb)) rss.push(kb / 1024);
  }
  return { times: times.sort((a, b) => a - b), rss: rss.sort((a, b) => a - b) };
}

function report(name, { times, rss }, targetMs) {
  const median = times[Math.floor(times.length / 2)];
  const verdict = median < targetMs ? `under the ${targetMs} ms target` : `OVER the ${targetMs} ms target`;
  const memory = rss.length ? `, peak RSS ${rss[Math.floor(rss.length / 2)].toFixed(0)} MiB` : '';
  console.log(
    `  ${name.padEnd(30)} ${median.toFixed(0).padStart(5)} ms (${times[0].toFixed(0)}-${times.at(-1).toFixed(0)})${memory}  ${verdict}`,
  );
}

function bigLayout(count) {
  const lines = [
    'machine-sku:',
    '  master-sku:',
    '    mem: "60Gi"',
    '    cpu:',
    '      vcore: 24',
    '  gpu-sku:',
    '    mem: "220Gi"',
    '    cpu:',
    '      vcore: 24',
    '    computing-device:',
    '      type: nvidia.com/gpu',
    '      model: V100',
    '      count: 8',
    'machine-list:',
    '  - hostname: pai-master-000000',
    '    hostip: 10.1.0.1',
    '    machine-type: master-sku',
    '    pai-master: "true"',
  ];
  for (let i = 1; i < count; i++) {
    const n = i + 1;
    // 250 hosts per /24 (never .0 or .255), as many /24s as it takes: distinct addresses up to millions.
    const block = Math.floor(n / 250);
    lines.push(
      `  - hostname: pai-worker-${String(i).padStart(6, '0')}`,
      `    hostip: 10.${1 + Math.floor(block / 256)}.${block % 256}.${(n % 250) + 1}`,
      '    machine-type: gpu-sku',
      '    pai-worker: "true"',
    );
  }
  return lines.join('\n') + '\n';
}
