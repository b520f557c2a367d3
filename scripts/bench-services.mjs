#!/usr/bin/env node
// Benchmark of a fresh cluster's last mile (numbers for the issue notes, never asserted in tests): node labels, the
// configuration push and the start of the OpenPAI-shaped fixture services on N kwok nodes, pai-deploy against
// OpenPAI's way in the same run:
// - pai-deploy: `cluster label`, `config push`, `service start` (layers in parallel, list+watch readiness);
// - OpenPAI's way: the three `kubectl label` per host through a job per core (bench.d/big-cluster.mjs), one
//   `kubectl apply` of the configuration, then service after service what its start.sh did: `kubectl apply -f` per
//   file (the same objects pai-deploy applies, deploy-rules injected as paictl did), `sleep 10`, and
//   check_pod_ready_status's poll (pods `app=<name>`, every 10 s, until at least one and all ready).
// Every measured run starts from unlabelled nodes and no services (`service delete --yes` between runs).
// Needs the test control plane's binaries (scripts/k8s-testenv build); says so and exits 0 when missing.
// Usage: npm run build && node scripts/bench-services.mjs [--nodes 1000] [--version current|1.15|both] [--runs 1]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import {
  benchArgs,
  cli,
  kubectlOrExit,
  median,
  nodeNames,
  openpaiLabels,
  root,
  run,
  testenv,
  unlabel,
  writeBigCluster,
} from './bench.d/big-cluster.mjs';

const { count, runs, versions } = benchArgs(1);
const fixture = join(root, 'test', 'fixtures', 'openpai-shaped');
const dist = (path) => import(join(root, 'dist', path));
const kubectl = kubectlOrExit('services');
const dir = mkdtempSync(join(tmpdir(), 'pai-deploy-bench-services-'));
const names = nodeNames(count);
const cluster = writeBigCluster(dir, names);
const jobs = availableParallelism();
const big = { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PAI_DEPLOY_HOME: join(dir, 'home') } };
const paiDeploy = (...args) =>
  run(process.execPath, [cli, ...args, '-l', cluster.layout, '-c', cluster.config, '--progress', 'json'], big);
const treeFlags = ['--openpai-src', fixture, '--allow-unknown-openpai'];

/**
 * What OpenPAI's start scripts would apply for the fixture tree, service by service in start order: the same
 * objects pai-deploy applies (rendered with the same model, deploy-rules injected as paictl's template step did),
 * one file per manifest and per object group, and the `app` labels its readiness poll would look for.
 */
async function openpaiPlan(kubeconfig) {
  const [
    { loadCluster },
    { configFiles },
    { readOpenpaiTree },
    model,
    templates,
    recipes,
    services,
    manifests,
    { realPorts },
    { mapToServedVersion },
  ] = await Promise.all([
    dist('config/load-cluster.js'),
    dist('phase/phases/cluster-write.js'),
    dist('openpai/tree/read-tree.js'),
    dist('openpai/model/index.js'),
    dist('openpai/templates/render-template.js'),
    dist('openpai/services/recipe-catalog.js'),
    dist('cluster/services/run-services.js'),
    dist('openpai/tree/manifests.js'),
    dist('infra/ports.js'),
    dist('cluster/apply/api-versions.js'),
  ]);
  // Written at the group versions this server serves (OpenPAI's own v1beta1 RBAC fails on a current server).
  const served = await (
    await realPorts().kube({ kubeconfigPath: kubeconfig })
  ).served(new globalThis.AbortController().signal);
  const atServed = (object) => mapToServedVersion(object, served).object;
  const loaded = await loadCluster({ kind: 'yaml', path: cluster.layout }, cluster.config);
  const files = configFiles(loaded.input);
  const tree = readOpenpaiTree(fixture);
  const built = model.buildClusterModel({
    layout: { path: 'layout.yaml', text: files['layout.yaml'] },
    servicesConfiguration: { path: 'services-configuration.yaml', text: files['services-configuration.yaml'] },
    defaults: tree.defaults,
  });
  const { contexts, plan } = services.prepareServices({
    operation: 'start',
    tree,
    cfg: built.model,
    render: templates.renderTemplate,
    recipeFor: recipes.recipeFor,
  });
  const out = join(dir, 'openpai-way');
  mkdirSync(out, { recursive: true });
  const configMap = join(out, 'pai-configuration.yaml');
  writeFileSync(
    configMap,
    stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pai-configuration' }, data: files }),
  );
  const steps = [];
  for (const name of plan.layers.flat()) {
    const { context, rendered } = contexts.get(name);
    const rules = tree.services.find((service) => service.name === name).deployRules;
    const applied = [];
    const objects = [];
    for (const step of recipes.recipeFor(name).start(context)) {
      if (step.kind === 'apply-files') {
        for (const path of step.paths) {
          const ruled = rendered().rendered.has(path) && manifests.takesDeployRules(path);
          const parsed = manifests.parseManifests(name, path, rendered().files.read(path));
          objects.push(...(ruled ? parsed.map((object) => manifests.withDeployRules(object, rules)) : parsed));
          applied.push(ruled ? parsed.map((object) => manifests.withDeployRules(object, rules)) : parsed);
        }
      } else if (step.kind === 'apply') applied.push([...step.objects]);
      else if (step.kind === 'create-once') applied.push([step.make()]);
    }
    const paths = applied.map((group, index) => {
      const path = join(out, `${name}-${index}.yaml`);
      writeFileSync(path, group.map((object) => stringify(atServed(object))).join('---\n'));
      return path;
    });
    const apps = objects
      .map((object) => object.spec?.template?.metadata?.labels?.app)
      .filter((app) => typeof app === 'string');
    steps.push({ name, paths, apps: [...new Set(apps)] });
  }
  return { configMap, steps };
}

/** check_pod_ready_status: pods labelled app=X in all namespaces, at least one, every one ready (or done). */
async function podsReady(kubeconfig, app) {
  const { stdout } = await run(
    kubectl,
    ['--kubeconfig', kubeconfig, 'get', 'pods', '--all-namespaces', '-l', `app=${app}`, '-o', 'json'],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const pods = JSON.parse(stdout).items;
  return (
    pods.length > 0 &&
    pods.every(
      (pod) =>
        pod.status?.phase === 'Succeeded' ||
        ((pod.status?.containerStatuses ?? []).length > 0 && pod.status.containerStatuses.every((c) => c.ready)),
    )
  );
}

async function openpaiWay(kubeconfig, plan) {
  await openpaiLabels(kubectl, kubeconfig, names, jobs);
  await run(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', plan.configMap]);
  for (const step of plan.steps) {
    for (const path of step.paths) await run(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', path]);
    if (step.apps.length === 0) continue;
    await sleep(10_000);
    for (const app of step.apps) while (!(await podsReady(kubeconfig, app))) await sleep(10_000);
  }
}

async function ours(kubeconfig) {
  const phases = {};
  for (const command of [
    ['cluster', 'label'],
    ['config', 'push'],
    ['service', 'start', ...treeFlags, '--timeout', '10m'],
  ]) {
    const result = await paiDeploy(...command, '--kubeconfig', kubeconfig);
    for (const line of result.stderr.split('\n').filter(Boolean)) {
      const event = JSON.parse(line);
      if (event.event === 'end' && event.elapsedMs !== undefined && !event.host)
        phases[event.title] = (phases[event.title] ?? 0) + event.elapsedMs;
    }
  }
  return phases;
}

async function reset(kubeconfig) {
  // A cluster never configured has no services to delete.
  await paiDeploy('service', 'delete', ...treeFlags, '--yes', '--kubeconfig', kubeconfig).catch((error) => {
    if (!String(error.stderr).includes('no stored OpenPAI configuration')) throw error;
  });
  await run(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'configmap', 'pai-configuration', '--ignore-not-found']);
  await unlabel(kubectl, kubeconfig);
}

async function timed(step) {
  const started = performance.now();
  const inner = await step();
  return { ms: performance.now() - started, inner };
}

const fmt = (ms) => `${(ms / 1000).toFixed(1)} s`;
try {
  for (const version of versions) {
    const up = spawnSync(testenv, ['up', '--version', version, '--nodes-file', cluster.nodesFile], {
      encoding: 'utf8',
      env: { ...process.env, PAI_DEPLOY_K8S_TESTENV_ROOT: dir },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (up.status !== 0) {
      console.log(
        `services benchmark at ${version} skipped: the control plane did not start\n${up.stderr.slice(-2000)}`,
      );
      continue;
    }
    const env = JSON.parse(up.stdout);
    try {
      const plan = await openpaiPlan(env.kubeconfig);
      const mine = [];
      const theirs = [];
      let phases = {};
      for (let i = 0; i < runs; i++) {
        await reset(env.kubeconfig);
        const measured = await timed(() => ours(env.kubeconfig));
        mine.push(measured.ms);
        phases = measured.inner;
        await reset(env.kubeconfig);
        theirs.push((await timed(() => openpaiWay(env.kubeconfig, plan))).ms);
      }
      await reset(env.kubeconfig);
      await ours(env.kubeconfig);
      const again = await timed(() => paiDeploy('service', 'start', ...treeFlags, '--kubeconfig', env.kubeconfig));
      console.log(
        `labels + config push + start of ${plan.steps.length} fixture services on ${count} kwok nodes, Kubernetes ${env.kubernetesVersion} (median of ${runs}):`,
      );
      console.log(
        `  pai-deploy      ${fmt(median(mine))}  (${Object.entries(phases)
          .map(([t, ms]) => `${t} ${fmt(ms)}`)
          .join('; ')})`,
      );
      console.log(`  OpenPAI's way   ${fmt(median(theirs))}  → ${(median(theirs) / median(mine)).toFixed(1)}x`);
      console.log(`  pai-deploy service start again, nothing to change  ${fmt(again.ms)}`);
    } finally {
      spawnSync(testenv, ['down', env.stateDir], { stdio: 'ignore' });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
