import { createHash, randomBytes } from 'node:crypto';
import { renderCluster } from '../../render/render-cluster.js';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readAsset } from '../../assets.js';
import { PaiDeployError, UsageError } from '../../errors.js';
import {
  applyEvent,
  emptyProgress,
  hostCounters,
  parseEventLine,
  type HostFailure,
  type PlaybookProgress,
} from '../../kubespray/ansible-events.js';
import { DEVBOX_IMAGE } from '../../kubespray/devbox.js';
import { rewriteKubeconfig } from '../../kubespray/kubeconfig.js';
import { removeNodeFixes } from '../../kubespray/openpai-fixes.js';
import { IN_CONTAINER } from '../../kubespray/runner-layout.js';
import { planPlaybookRun, runnerPaths, type PlaybookRequest, type PlaybookRun } from '../../kubespray/playbook-run.js';
import type { WorkDir } from '../../model/work-dir.js';
import type { DevboxEngine } from '../../ports/ports.js';
import type { Phase, PhaseContext } from '../phase.js';
import { requireCluster, type ValidateData } from './validate.js';

export interface KubesprayData extends ValidateData {
  /** The verified kubespray tree (set by the kubespray-source phase). */
  kubesprayDir?: string;
  kubespray?: { progress: PlaybookProgress; log: string; kubeconfig?: string };
}

export interface KubesprayPhaseOptions {
  request: PlaybookRequest;
  /** --devbox-image; else config.yaml's devbox_image; else pai-deploy's own image. */
  image: string | undefined;
  network: string;
  forks: number;
  /** reset.yml wipes the cluster: ask for its id first (a terminal is needed; `--yes` skips the question). */
  confirmReset: boolean;
  /**
   * Part of a resumable deploy: a rerun skips the playbook when its inputs are unchanged since it succeeded. The
   * `kubespray` commands always run it.
   */
  resumable?: boolean;
  now?: () => Date;
  /** Phases whose results this playbook undoes (reset.yml: the checks and labels of the cluster it removes). */
  invalidates?: readonly string[];
}

/** A playbook that ended with failed or unreachable hosts: the task, each host and the cause, and the log. */
export class PlaybookFailedError extends PaiDeployError {
  readonly failures: HostFailure[];
  constructor(playbook: string, exitCode: number, failures: HostFailure[], log: string) {
    const lines = failures
      .slice(0, 10)
      .map((failure) => `  ${failure.host}: ${failure.kind} in "${taskWhere(failure)}": ${failure.cause}`);
    if (failures.length > 10) lines.push(`  … and ${failures.length - 10} more`);
    super(
      failures.length > 0
        ? `kubespray ${playbook}.yml failed on ${new Set(failures.map((failure) => failure.host)).size} host(s):\n${lines.join('\n')}`
        : `kubespray ${playbook}.yml failed (ansible-playbook exit code ${exitCode}) before any host reported a failure`,
      {
        hint: `The full Ansible output is in ${log}. Fix the cause and run again: kubespray continues where it can.`,
      },
    );
    this.failures = failures;
  }
}

function taskWhere(failure: HostFailure): string {
  return failure.role ? `${failure.task} (role ${failure.role})` : failure.task;
}

/** Progress lines at most this often: a kubespray run prints thousands of results. */
const UPDATE_EVERY_MS = 200;

/**
 * Runs one kubespray playbook in a fresh dev-box container: the overlay and the run's files written, the container
 * started with the work dir's inventory, state and known_hosts mounted, live progress from the event callback, the
 * full output in logs/, and on success of cluster.yml the admin kubeconfig copied into the work dir.
 */
export function kubesprayPhase<D extends KubesprayData>(
  options: KubesprayPhaseOptions & {
    /** Day-2: the request's hosts computed by an earlier phase (the machines to add); none skips the phase. */
    hostsFrom?: (data: D) => string[];
  },
): Phase<D> {
  let planned: PlaybookRun | undefined;
  let request: PlaybookRequest = options.request;
  return {
    id: 'kubespray',
    title: `Run kubespray ${options.request.playbook}.yml in a dev-box container`,
    ...(options.invalidates ? { invalidates: options.invalidates } : {}),
    shouldRun: (ctx) =>
      options.hostsFrom === undefined || options.hostsFrom(ctx.data).length > 0 ? true : 'no machines to run it on',
    async prepare(ctx) {
      const { spec } = requireCluster(ctx.data);
      request = options.hostsFrom ? { ...options.request, hosts: options.hostsFrom(ctx.data) } : options.request;
      const workDir = requireWorkDir(ctx);
      planned = planPlaybookRun({
        spec,
        workDir,
        kubesprayDir: requireKubesprayDir(ctx),
        image: options.image ?? spec.config.devboxImage ?? DEVBOX_IMAGE,
        network: options.network,
        forks: options.forks,
        request,
        token: randomBytes(6).toString('hex'),
        startedAt: (options.now ?? (() => new Date()))(),
      });
    },
    // Unchanged since the playbook last succeeded: the same inventory and variables (the rendered files), the same
    // kubespray tree, image and request. A changed machine or setting renders differently and runs it again.
    inputs: (ctx) =>
      options.resumable !== true
        ? undefined
        : {
            rendered: renderCluster(requireCluster(ctx.data).spec)
              .filter((file) => file.path.startsWith('inventory/'))
              .map((file) => ({ path: file.path, sha256: createHash('sha256').update(file.content).digest('hex') })),
            kubesprayDir: requireKubesprayDir(ctx),
            image: planned?.container.image,
            request,
            forks: options.forks,
          },
    async run(ctx) {
      const run = planned!;
      const workDir = requireWorkDir(ctx);
      const mounts = run.container.mounts
        .map((mount) => `${mount.source} → ${mount.target}${mount.readOnly ? ' (ro)' : ''}`)
        .join(', ');
      const fixes = request.playbook === 'remove-node' ? planFixes(ctx, requireKubesprayDir(ctx)) : [];
      if (ctx.dryRun) {
        for (const fix of fixes)
          await ctx.wet(
            'dev-box',
            `mount OpenPAI's fix of ${fix.path} over the original (${fix.why})`,
            async () => undefined,
          );
        await ctx.wet('dev-box', `start container ${run.container.name} mounting ${mounts}`, async () => undefined);
        await ctx.wet('dev-box', `run ${run.display}`, async () => undefined);
        return;
      }
      if (request.playbook === 'reset' && options.confirmReset) await confirmReset(ctx);
      const devbox = await ctx.ports.devbox();
      await removeLeftovers(ctx, devbox, run);
      await ensureImage(ctx, devbox, run.container.image);
      const paths = runnerPaths(workDir);
      for (const dir of ['fact-cache', 'credentials', 'artifacts'])
        mkdirSync(join(paths.state, dir), { recursive: true, mode: 0o700 });
      await ctx.ports.writeFiles(
        paths.overlay,
        [
          ...run.overlayFiles,
          {
            path: 'callback_plugins/pai_deploy_events.py',
            content: readAsset('kubespray-overlays/release-2.11/callback_plugins/pai_deploy_events.py'),
            mode: 0o644,
            description: 'the event callback',
          },
        ],
        ctx.signal,
      );
      if (fixes.length > 0) {
        await ctx.ports.writeFiles(
          join(paths.overlay, 'fixes'),
          fixes.map((fix) => ({ path: fix.path, content: fix.text, mode: 0o644, description: `fixed ${fix.path}` })),
          ctx.signal,
        );
        for (const fix of fixes) {
          run.container.mounts.push({
            source: join(paths.overlay, 'fixes', fix.path),
            target: `${IN_CONTAINER.kubespray}/${fix.path}`,
            readOnly: true,
          });
        }
      }
      if (!existsSync(workDir.knownHosts)) {
        throw new PaiDeployError(`${workDir.knownHosts} does not exist: the machines' host keys are not known yet`, {
          hint: 'Run `pai-deploy check` first: it records the host keys Ansible then trusts.',
        });
      }
      mkdirSync(workDir.logs, { recursive: true, mode: 0o700 });
      const logPath = join(workDir.logs, run.logName);
      const log = createWriteStream(logPath, { mode: 0o600, flags: 'wx' });
      const progress = emptyProgress();
      ctx.data.kubespray = { progress, log: logPath };
      const span = ctx.io.span(`ansible-playbook ${request.playbook}.yml`, { phase: 'kubespray' });
      let lastUpdate = 0;
      try {
        if (run.secrets) {
          await ctx.ports.writeFiles(
            paths.secrets,
            [{ path: 'vars.yml', content: run.secrets, mode: 0o600, description: 'passwords for this run' }],
            ctx.signal,
          );
        }
        log.write(`# ${run.display}\n`);
        const token = run.container.env['PAI_DEPLOY_EVENT_TOKEN']!;
        const { exitCode } = await devbox.run(run.container, {
          signal: ctx.signal,
          onLine(line, stream) {
            const event = parseEventLine(line, token);
            if (!event) {
              log.write(stream === 'stderr' ? `[stderr] ${line}\n` : `${line}\n`);
              return;
            }
            const failuresBefore = progress.failures.length;
            applyEvent(progress, event);
            // A failed host is said the moment it fails, not 30 minutes later in the summary: the admin can start
            // on the cause (or stop the run) while kubespray carries on with the other hosts.
            for (const failure of progress.failures.slice(failuresBefore)) {
              ctx.io.notify({
                level: 'warn',
                code: `kubespray.host-${failure.kind}`,
                phase: 'kubespray',
                host: failure.host,
                text: `${failure.kind} in "${taskWhere(failure)}": ${failure.cause}`,
                data: { task: failure.task, role: failure.role, cause: failure.cause, rc: failure.rc ?? null },
              });
            }
            ctx.io.notify({
              level: 'debug',
              code: 'kubespray.event',
              phase: 'kubespray',
              text: event.event,
              data: { event },
            });
            const now = Date.now();
            if (now - lastUpdate >= UPDATE_EVERY_MS || event.event === 'failed' || event.event === 'unreachable') {
              lastUpdate = now;
              span.update(progressLine(progress));
            }
          },
        });
        if (exitCode !== 0) {
          span.end('failed', progressLine(progress));
          throw new PlaybookFailedError(request.playbook, exitCode, progress.failures, logPath);
        }
        span.end('ok', recapLine(progress));
      } catch (error) {
        if (!(error instanceof PlaybookFailedError)) span.end('failed', progressLine(progress));
        throw error;
      } finally {
        // The passwords exist only while the run does.
        rmSync(paths.secrets, { recursive: true, force: true });
        await new Promise<void>((resolve) => log.end(resolve));
      }
      const outputs: Record<string, string | number> = { log: logPath, hosts: progress.hosts.size };
      if (request.playbook === 'cluster' && narrowing(request.passThrough)) {
        ctx.io.notify({
          level: 'info',
          code: 'kubespray.partial-run',
          phase: 'kubespray',
          text: `a partial run (${narrowing(request.passThrough)}): no kubeconfig fetched`,
        });
      } else if (request.playbook === 'cluster') {
        const kubeconfig = await copyKubeconfig(ctx, workDir);
        ctx.data.kubespray.kubeconfig = kubeconfig;
        outputs['kubeconfig'] = kubeconfig;
      }
      ctx.setOutputs(outputs);
    },
  };
}

/** The dev-box image on the engine: pulled with progress when missing, except pai-deploy's own (built, never pulled). */
async function ensureImage(ctx: PhaseContext<KubesprayData>, devbox: DevboxEngine, image: string): Promise<void> {
  if (!(await devbox.imageExists(image, ctx.signal))) {
    // pai-deploy's own image is built on the machine, never published: pulling it could only find an impostor.
    if (image === DEVBOX_IMAGE) {
      throw new PaiDeployError(`the dev-box image ${image} is not on this Docker engine`, {
        hint: 'Build it with `pai-deploy devbox build`, or name another with --devbox-image.',
      });
    }
    const pulling = ctx.io.span(`Pull the dev-box image ${image}`, { phase: 'kubespray' });
    try {
      await devbox.pull(image, (percent) => pulling.update(`${percent}%`), ctx.signal);
    } catch (error) {
      pulling.end('failed');
      throw new PaiDeployError(
        `the dev-box image ${image} is not on this engine and could not be pulled: ${error instanceof Error ? error.message : String(error)}`,
        {
          hint: 'Pull or build it yourself (pai-deploy devbox build --tag ...), or name another with --devbox-image.',
          cause: error,
        },
      );
    }
    pulling.end('ok');
  }
}

async function confirmReset(ctx: PhaseContext<KubesprayData>): Promise<void> {
  const id = requireCluster(ctx.data).spec.config.clusterId;
  const answer = await ctx.io.request<string>({
    kind: 'input',
    code: 'kubespray.reset-confirm',
    text: `reset.yml removes Kubernetes from every machine of cluster "${id}"; type the cluster id to go on`,
    flag: '--yes',
  });
  if (answer.trim() !== id) {
    throw new UsageError(
      `"${answer.trim()}" is not the cluster id "${id}": nothing was reset`,
      'Type the id exactly, or pass --yes.',
    );
  }
}

/** ansible-playbook arguments that run less than the whole playbook (kubespray then writes no admin.conf). */
const NARROWING = new Set([
  '-t',
  '--tags',
  '--skip-tags',
  '-l',
  '--limit',
  '-C',
  '--check',
  '--start-at-task',
  '--step',
  '--list-tasks',
  '--list-hosts',
  '--list-tags',
  '--syntax-check',
]);

function narrowing(args: readonly string[]): string | undefined {
  return args.find((arg) => NARROWING.has(arg.split('=')[0]!));
}

/** OpenPAI's fixes for remove-node (src/kubespray/openpai-fixes.ts), on copies of the tree's files. */
function planFixes(
  ctx: PhaseContext<KubesprayData>,
  kubesprayDir: string,
): Array<{ path: string; text: string; why: string }> {
  const planned: Array<{ path: string; text: string; why: string }> = [];
  for (const fix of removeNodeFixes) {
    const file = join(kubesprayDir, fix.path);
    const result = existsSync(file) ? fix.apply(readFileSync(file, 'utf8')) : { skipped: `${fix.path} does not exist` };
    if ('text' in result) planned.push({ path: fix.path, text: result.text, why: fix.why });
    else
      ctx.io.notify({
        level: 'warn',
        code: 'kubespray.fix-not-applied',
        phase: 'kubespray',
        text: `OpenPAI's fix of ${fix.path} was not applied: ${result.skipped}`,
      });
  }
  return planned;
}

function requireKubesprayDir(ctx: PhaseContext<KubesprayData>): string {
  if (!ctx.data.kubesprayDir) throw new Error('internal: the kubespray phase runs after the kubespray-source phase');
  return ctx.data.kubesprayDir;
}

function requireWorkDir(ctx: PhaseContext<KubesprayData>): WorkDir {
  if (!ctx.workDir) throw new Error('internal: the kubespray phase needs the work dir claimed by the render phase');
  return ctx.workDir;
}

async function removeLeftovers(
  ctx: PhaseContext<KubesprayData>,
  devbox: DevboxEngine,
  run: PlaybookRun,
): Promise<void> {
  const labels = {
    'pai-deploy.cluster': run.container.labels['pai-deploy.cluster']!,
    'pai-deploy.work-dir': run.container.labels['pai-deploy.work-dir']!,
  };
  for (const name of await devbox.containersLabelled(labels, ctx.signal)) {
    // The work dir's lock is ours, so a container of this cluster is a leftover of a run that was killed.
    await devbox.removeContainer(name);
    ctx.io.notify({
      level: 'warn',
      code: 'kubespray.leftover-container',
      phase: 'kubespray',
      text: `removed the container ${name}, left by an earlier run of this cluster that did not finish`,
    });
  }
}

/** admin.conf → the work dir's kube/config (0600), the server rewritten to the master when it says localhost. */
async function copyKubeconfig(ctx: PhaseContext<KubesprayData>, workDir: WorkDir): Promise<string> {
  const source = join(workDir.artifacts, 'admin.conf');
  if (!existsSync(source)) {
    throw new PaiDeployError(`kubespray finished but wrote no ${source}`, {
      hint: 'kubeconfig_localhost must stay true in openpai.yml (pai-deploy renders it so): check openpai_kubespray_extra_var.',
    });
  }
  const master = requireCluster(ctx.data).spec.layout.machines.find((machine) => machine.master);
  const { text, servers } = rewriteKubeconfig(readFileSync(source, 'utf8'), master?.ip ?? '127.0.0.1');
  await ctx.ports.writeFiles(
    join(workDir.root, 'kube'),
    [{ path: 'config', content: text, mode: 0o600, description: 'admin kubeconfig' }],
    ctx.signal,
  );
  ctx.io.notify({
    level: 'info',
    code: 'kubespray.kubeconfig',
    phase: 'kubespray',
    text: `kubeconfig for ${servers.join(', ')} in ${workDir.kubeconfig}`,
  });
  return workDir.kubeconfig;
}

function progressLine(progress: PlaybookProgress): string {
  const counts = hostCounters(progress);
  const task = progress.task ? progress.task.task : 'starting';
  const bad = [
    counts.failed ? `${counts.failed} failed` : '',
    counts.unreachable ? `${counts.unreachable} unreachable` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${progress.play ?? ''} › ${task} — ${counts.hosts} hosts, ${counts.changed} changed${bad ? `, ${bad}` : ''} (task ${progress.tasksStarted})`;
}

function recapLine(progress: PlaybookProgress): string {
  const stats = Object.values(progress.stats ?? {});
  const sum = (key: 'ok' | 'changed' | 'failures' | 'unreachable') =>
    stats.reduce((total, host) => total + host[key], 0);
  return `${stats.length} hosts: ${sum('ok')} ok, ${sum('changed')} changed, ${sum('failures')} failed, ${sum('unreachable')} unreachable; ${progress.tasksStarted} tasks`;
}
