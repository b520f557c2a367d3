#!/usr/bin/env node
// Benchmark of node labelling (numbers for the issue notes, never asserted in tests): `pai-deploy cluster label` on
// N kwok nodes against OpenPAI's way, three `kubectl label` processes per node (cluster-configuration's start.sh ran
// them through GNU parallel, one job per CPU core by default; sequential is shown too). Every measured run starts
// from nodes without pai-deploy's labels, so both write to every node. Target: at least 10x faster.
// Needs the test control plane's binaries (scripts/k8s-testenv build); says so and exits 0 when missing.
// Usage: npm run build && node scripts/bench-labels.mjs [--nodes 1000] [--version current|1.15|both] [--runs 3]
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  benchArgs,
  cli,
  kubectlOrExit,
  median,
  nodeNames,
  openpaiLabels,
  run,
  testenv,
  unlabel,
  writeBigCluster,
} from './bench.d/big-cluster.mjs';

const { count, runs, versions } = benchArgs(3);
const kubectl = kubectlOrExit('label');

const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-bench-labels-'));
const names = nodeNames(count);
const { nodesFile, layout, config } = writeBigCluster(dir, names);
const openpaiWay = (kubeconfig, jobs) => openpaiLabels(kubectl, kubeconfig, names, jobs);

/** `pai-deploy cluster label` on the benchmark's layout and the environment's kubeconfig. */
const labelCommand = (kubeconfig, ...extra) => [
  cli,
  'cluster',
  'label',
  '-l',
  layout,
  '-c',
  config,
  '--kubeconfig',
  kubeconfig,
  ...extra,
];
const paiDeployEnv = { env: { ...process.env, PAI_DEPLOY_HOME: dir }, maxBuffer: 64 * 1024 * 1024 };

async function paiDeploy(kubeconfig) {
  const result = await run(process.execPath, labelCommand(kubeconfig, '--progress', 'json'), paiDeployEnv);
  if (!result.stdout.includes(`${count} node(s) relabelled`)) throw new Error(`unexpected: ${result.stdout}`);
  // The phase's own time, from its end event.
  const phase = result.stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .find((event) => event.title === 'node labels' && event.event === 'end');
  return phase?.elapsedMs;
}

async function timed(step) {
  const started = performance.now();
  const inner = await step();
  return { ms: performance.now() - started, inner };
}

const jobs = availableParallelism();
try {
  for (const version of versions) {
    const up = spawnSync(testenv, ['up', '--version', version, '--nodes-file', nodesFile], {
      encoding: 'utf8',
      env: { ...process.env, PAI_DEPLOY_K8S_TESTENV_ROOT: dir },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (up.status !== 0) {
      console.log(`label benchmark at ${version} skipped: the control plane did not start\n${up.stderr.slice(-2000)}`);
      continue;
    }
    const env = JSON.parse(up.stdout);
    try {
      const ours = [];
      const phases = [];
      const parallel = [];
      const sequential = [];
      for (let i = 0; i < runs; i++) {
        await unlabel(kubectl, env.kubeconfig);
        const mine = await timed(() => paiDeploy(env.kubeconfig));
        ours.push(mine.ms);
        if (mine.inner !== undefined) phases.push(mine.inner);
        await unlabel(kubectl, env.kubeconfig);
        parallel.push((await timed(() => openpaiWay(env.kubeconfig, jobs))).ms);
      }
      await unlabel(kubectl, env.kubeconfig);
      sequential.push((await timed(() => openpaiWay(env.kubeconfig, 1))).ms);
      const again = await timed(() => run(process.execPath, labelCommand(env.kubeconfig), paiDeployEnv));
      const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`labels on ${count} kwok nodes, Kubernetes ${env.kubernetesVersion} (median of ${runs}):`);
      console.log(
        `  pai-deploy cluster label      ${fmt(median(ours))} (the phase itself ${phases.length ? fmt(median(phases)) : '?'})`,
      );
      console.log(
        `  OpenPAI's 3 kubectl label per node, ${jobs} at a time  ${fmt(median(parallel))}  → ${(median(parallel) / median(ours)).toFixed(1)}x`,
      );
      console.log(
        `  OpenPAI's 3 kubectl label per node, one at a time ${fmt(sequential[0])}  → ${(sequential[0] / median(ours)).toFixed(1)}x`,
      );
      console.log(`  pai-deploy again, nothing to change  ${fmt(again.ms)}`);
    } finally {
      spawnSync(testenv, ['down', env.stateDir], { stdio: 'ignore' });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
