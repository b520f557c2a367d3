#!/usr/bin/env -S node --import tsx
// Benchmark of the whole scripted quick-start (numbers for the issue notes, never asserted in tests): wall time of
// `pai-deploy quick-start -l … -c … --yes` against the fixture world of test/support/quick-start-world.ts (lab
// machines, the kubespray-shaped fixture in the dev-box, the test control plane at Kubernetes 1.15, the OpenPAI-shaped
// services), per phase (state.json's startedAt/finishedAt), and pai-deploy's own overhead against the phases' work:
// - outside the phases: the total wall time minus the sum of the phases (start-up, validation of the arguments, the
//   lock, state bookkeeping, the summary);
// - in the kubespray phase: the phase minus ansible-playbook's own run (its first to its last callback event), i.e.
//   the dev-box container's create, start and removal, the vars and the log;
// - a rerun of the finished deploy (every resumable phase skipped): what a no-op costs.
// Each measured run starts from a fresh work dir and a cluster without the services (`service delete --yes`).
// Needs the lab images with Python 3.7 and the 1.15 control plane (.ci/run builds both); says so and exits 0 when
// missing. Usage: node --import tsx scripts/bench-quick-start.mts [--runs 1]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cliPath } from '../test/support/cli.js';
import { k8sTestEnvUnavailable } from '../test/support/k8s-testenv.js';
import { devbox27Available } from '../test/support/lab-devbox27.js';
import { startQuickStartWorld } from '../test/support/quick-start-world.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' } } });
const runs = Math.max(1, Number(values.runs));
const missing = (await devbox27Available()) ?? k8sTestEnvUnavailable('1.15');
if (missing !== null) {
  console.log(`bench-quick-start: skipped (${missing})`);
  process.exit(0);
}

interface PhaseRecord {
  status: string;
  startedAt?: string;
  finishedAt?: string;
}
interface Run {
  code: number | null;
  wallMs: number;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-bench-quick-start-'));
const clusterId = 'bench';
const started = performance.now();
const world = await startQuickStartWorld({ name: 'qs-bench', dir, clusterId });
console.log(`world up in ${((performance.now() - started) / 1000).toFixed(1)} s (lab, control plane, relay)`);

/** Runs the built CLI, timing it from spawn to exit. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const begun = performance.now();
    const child = spawn(process.execPath, [cliPath, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PAI_DEPLOY_HOME: join(dir, 'home') },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, wallMs: performance.now() - begun, stderr }));
  });
}

/** Milliseconds from ansible-playbook's first callback event to its last, from the JSON progress lines. */
function ansibleMs(stderr: string): number | undefined {
  const times = stderr
    .split('\n')
    .filter((line) => line.includes('"kubespray.event"'))
    .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
  return times.length < 2 ? undefined : times[times.length - 1]! - times[0]!;
}

const rows: Array<{ phases: Array<[string, number]>; total: number; ansible: number | undefined; rerun: number }> = [];
try {
  for (let run = 1; run <= runs; run++) {
    const workDir = join(dir, `work-${run}`);
    const args = ['quick-start', ...world.inputs, '--work-dir', workDir, ...world.flags(), '--yes'];
    const deploy = await cli([...args, '--progress', 'json']);
    if (deploy.code !== 0) throw new Error(`quick-start exited ${deploy.code}:\n${deploy.stderr.slice(-3000)}`);
    const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as {
      phases: Record<string, PhaseRecord>;
    };
    const phases = Object.entries(state.phases).map(([id, phase]): [string, number] => [
      id,
      phase.startedAt && phase.finishedAt ? Date.parse(phase.finishedAt) - Date.parse(phase.startedAt) : 0,
    ]);
    const rerun = await cli([...args, '--progress', 'plain']);
    if (rerun.code !== 0) throw new Error(`the rerun exited ${rerun.code}:\n${rerun.stderr.slice(-3000)}`);
    rows.push({ phases, total: deploy.wallMs, ansible: ansibleMs(deploy.stderr), rerun: rerun.wallMs });
    // The next run starts without the services, as a fresh cluster would.
    const removed = await cli([
      'service',
      'delete',
      ...world.inputs,
      '--work-dir',
      workDir,
      ...serviceFlags(),
      '--yes',
    ]);
    if (removed.code !== 0) throw new Error(`service delete exited ${removed.code}:\n${removed.stderr.slice(-2000)}`);
  }
} finally {
  await world.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** The flags `service delete` shares with quick-start (the tree and its allowance). */
function serviceFlags(): string[] {
  const flags = world.flags();
  const at = flags.indexOf('--openpai-src');
  return [flags[at]!, flags[at + 1]!, '--allow-unknown-openpai'];
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`\nscripted quick-start against the fixture world (median of ${runs} run${runs === 1 ? '' : 's'}):`);
for (const [id] of rows[0]!.phases) {
  const ms = median(rows.map((row) => row.phases.find(([phase]) => phase === id)?.[1] ?? 0));
  console.log(`  ${id.padEnd(16)} ${seconds(ms).padStart(9)}`);
}
const total = median(rows.map((row) => row.total));
const inPhases = median(rows.map((row) => row.phases.reduce((sum, [, ms]) => sum + ms, 0)));
console.log(`  ${'sum of phases'.padEnd(16)} ${seconds(inPhases).padStart(9)}`);
console.log(`  ${'whole command'.padEnd(16)} ${seconds(total).padStart(9)}`);
console.log(
  `overhead outside the phases: ${seconds(total - inPhases)} (${((100 * (total - inPhases)) / total).toFixed(1)}%)`,
);
const ansible = rows.map((row) => row.ansible).filter((ms): ms is number => ms !== undefined);
const kubespray = median(rows.map((row) => row.phases.find(([id]) => id === 'kubespray')?.[1] ?? 0));
if (ansible.length > 0) {
  const playbook = median(ansible);
  console.log(
    `kubespray phase ${seconds(kubespray)}: ansible-playbook ${seconds(playbook)}, the dev-box container and its files ${seconds(kubespray - playbook)}`,
  );
}
console.log(
  `rerun of the finished deploy (every resumable phase skipped): ${seconds(median(rows.map((row) => row.rerun)))}`,
);
