import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPlan } from '../../actions/cluster-plan.js';
import { deployAction, type DeployData, type DeployOptions } from '../../actions/deploy.js';
import { UsageError } from '../../errors.js';
import { workDirFor } from '../../model/work-dir.js';
import { runAction, type ActionResult } from '../../phase/manager.js';
import type { Action } from '../../phase/phase.js';
import { defaultCheckPhaseOptions } from '../../phase/phases/check.js';
import { requireCluster } from '../../phase/phases/validate.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { formatFindings } from '../format/findings.js';
import { formatPlan } from '../format/plan.js';

export interface QuickStartFlags extends ClusterInputFlags {
  workDir?: string;
  yes?: boolean;
  dryRun?: boolean;
  from?: string;
  only?: string;
  force?: boolean;
  kubesprayDir?: string;
  kubesprayClone?: string;
  allowUnpinnedKubespray?: boolean;
  devboxImage?: string;
  devboxNetwork?: string;
  forks?: number;
  openpaiSrc?: string;
  openpaiClone?: string;
  allowUnknownOpenpai?: boolean;
  timeout?: number;
  format?: 'text' | 'json';
}

/**
 * `pai-deploy quick-start`: the whole deployment from a layout and a config — validate, pre-flight, render,
 * kubespray, labels and configuration, OpenPAI's services — resumable: a rerun skips the phases that finished with
 * the same inputs and runs the failed or interrupted one again (`--from`, `--only`, `--force`).
 */
export async function runQuickStart(flags: QuickStartFlags, env: CommandEnv): Promise<void> {
  const given = flags.layout !== undefined || flags.masterCsv !== undefined || flags.config !== undefined;
  const inCwd = existsSync(join(env.cwd, 'layout.yaml')) && existsSync(join(env.cwd, 'config.yaml'));
  if (!given && !inCwd) {
    // No files: the wizard asks for them on a terminal; without one it never prompts, it says how to script it.
    const wizard = await import('../wizard/index.js');
    if (env.io.interactive !== true || flags.yes === true) {
      throw new UsageError(
        'quick-start: no layout.yaml and config.yaml to deploy from, and no terminal to ask on',
        wizard.scriptedRunHelp(),
      );
    }
    const written = await wizard.runQuickStartWizard(
      env.io,
      {
        ports: env.ports,
        cwd: env.cwd,
        signal: env.signal,
        env: env.env,
        ...(flags.workDir ? { workDir: flags.workDir } : {}),
      },
      { dir: env.cwd },
    );
    if (written === undefined) {
      await env.io.result('quick-start: nothing was written\n');
      return;
    }
    flags = { ...flags, layout: written.layoutPath, config: written.configPath };
  }
  const action = deployAction(
    clusterSources('quick-start', flags, env),
    {
      report: async (validation) => {
        if (!validation.valid || validation.warnings.length > 0)
          await env.io.result(formatFindings(validation, stdoutStyle(env)));
      },
    },
    deployOptions(flags, env),
  );
  const runOptions = {
    io: env.io,
    ports: env.ports,
    signal: env.signal,
    ...(flags.from !== undefined ? { from: flags.from } : {}),
    ...(flags.only !== undefined ? { only: flags.only } : {}),
    force: flags.force === true,
  };
  if (flags.dryRun === true) {
    const result = await runAction(action, { ...runOptions, dryRun: true });
    return showPlan(action, result, flags, env);
  }
  if (flags.yes !== true) {
    const ok = await env.io.request<boolean>({
      kind: 'confirm',
      code: 'quick-start.confirm',
      text: 'Deploy now? This installs Kubernetes on every machine of the layout and starts OpenPAI',
      flag: '--yes',
    });
    if (!ok) {
      await env.io.result('quick-start: nothing was done\n');
      return;
    }
  }
  const result = await runAction(action, { ...runOptions, dryRun: false });
  await env.io.result(summary(action.data, result, flags, env));
}

/** The deploy's options from quick-start's flags (machine add takes the same). */
export function deployOptions(flags: QuickStartFlags, env: CommandEnv): DeployOptions {
  return {
    workDirOverride: flags.workDir,
    env: env.env,
    cwd: env.cwd,
    check: defaultCheckPhaseOptions(env.env, flags.workDir, undefined),
    kubespray: {
      ...(flags.kubesprayDir !== undefined ? { dir: resolve(env.cwd, flags.kubesprayDir) } : {}),
      ...(flags.kubesprayClone !== undefined ? { cloneFrom: flags.kubesprayClone } : {}),
      allowUnpinned: flags.allowUnpinnedKubespray === true,
    },
    devbox: {
      ...(flags.devboxImage !== undefined ? { image: flags.devboxImage } : {}),
      ...(flags.devboxNetwork !== undefined ? { network: flags.devboxNetwork } : {}),
      ...(flags.forks !== undefined ? { forks: flags.forks } : {}),
    },
    openpai: {
      ...(flags.openpaiSrc !== undefined ? { dir: resolve(env.cwd, flags.openpaiSrc) } : {}),
      ...(flags.openpaiClone !== undefined ? { cloneFrom: flags.openpaiClone } : {}),
      allowUnknown: flags.allowUnknownOpenpai === true,
    },
    ...(flags.timeout !== undefined ? { serviceTimeoutMs: flags.timeout } : {}),
  };
}

async function showPlan(action: Action<DeployData>, result: ActionResult, flags: QuickStartFlags, env: CommandEnv) {
  const data = action.data;
  const { spec, vars } = requireCluster(data);
  const workDir = workDirFor(spec.config.clusterId, flags.workDir, env.env).root;
  const plan = buildPlan(spec, vars, workDir, data.files ?? [], action.phases, result.dryRun, result.records);
  await env.io.result(
    flags.format === 'json' ? JSON.stringify(plan, null, 2) + '\n' : formatPlan(plan, stdoutStyle(env)),
  );
}

/** Where the cluster is, how to log in, where everything was written, and how to go on. */
function summary(data: DeployData, result: ActionResult, flags: QuickStartFlags, env: CommandEnv): string {
  const { spec } = requireCluster(data);
  const workDir = workDirFor(spec.config.clusterId, flags.workDir, env.env);
  const master = spec.layout.machines.find((machine) => machine.master);
  const skipped =
    result.skipped.length > 0 ? `skipped (finished before, inputs unchanged): ${result.skipped.join(', ')}` : '';
  const services = data.services?.outcomes ?? [];
  const lines = [
    `OpenPAI cluster "${spec.config.clusterId}" is up.`,
    '',
    `  web portal     http://${master?.ip ?? '<master>'}/`,
    // The password itself is never printed: it is in a 0600 file of the work dir.
    `  admin user     admin — its password is rest-server.default-pai-admin-password in ${join(workDir.rendered, 'cluster-cfg', 'services-configuration.yaml')}; change it after the first login`,
    `  kubeconfig     ${workDir.kubeconfig} (pai-deploy k8s set-env --cluster-id ${spec.config.clusterId} --use adds context "${spec.config.clusterId}" to ~/.kube/config)`,
    `  logs           ${workDir.logs}`,
    `  services       ${services.filter((s) => s.outcome === 'changed' || s.outcome === 'unchanged').length} running, ${services.filter((s) => s.outcome === 'skipped').length} skipped (pai-deploy service status -l … -c …)`,
    ...(skipped ? [`  phases         ${skipped}`] : []),
    '',
    'Run the same command again to resume after a failure (finished phases are skipped; --from PHASE starts at one,',
    `--force runs all). To remove Kubernetes from the machines: pai-deploy kubespray reset -l … -c … (the work dir ${workDir.root} keeps the configuration to rebuild).`,
  ];
  return lines.join('\n') + '\n';
}
