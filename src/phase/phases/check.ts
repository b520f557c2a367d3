import { factsNeeded, checkCatalog } from '../../checks/catalog.js';
import {
  isSelected,
  machineTargets,
  runChecks,
  type CheckOptions,
  type CheckReport,
  type MachineReport,
} from '../../checks/run-checks.js';
import type { MachineTarget } from '../../checks/types.js';
import { selectByLimit } from '../../model/limit.js';
import { workDirFor } from '../../model/work-dir.js';
import { CHECK_DEFAULTS } from './check-defaults.js';
import { openClusterHosts, type HostAccess } from './cluster-hosts.js';
import type { Phase } from '../phase.js';
import { requireCluster, type ValidateData } from './validate.js';

export interface CheckData extends ValidateData {
  targets?: MachineTarget[];
  report?: CheckReport;
}

export interface CheckPhaseOptions extends HostAccess {
  checks: Omit<CheckOptions, 'workDir'>;
  /** --limit patterns. */
  limit: string[] | undefined;
  workDirOverride: string | undefined;
  /**
   * Part of a resumable deploy: a rerun skips the checks when their inputs are unchanged since they passed. The
   * `check` command always checks.
   */
  resumable?: boolean;
}

/** The check phase as `check` runs it with no flags given. */
export function defaultCheckPhaseOptions(
  env: NodeJS.ProcessEnv,
  workDirOverride: string | undefined,
  limit: string[] | undefined,
): CheckPhaseOptions {
  return {
    checks: {
      concurrency: CHECK_DEFAULTS.concurrency,
      commandTimeoutMs: CHECK_DEFAULTS.commandTimeoutMs,
      machineTimeoutMs: CHECK_DEFAULTS.machineTimeoutMs,
      only: [],
      skip: [],
      ignore: [],
      maxClockOffsetSeconds: CHECK_DEFAULTS.maxClockOffsetMs / 1000,
    },
    limit,
    workDirOverride,
    knownHostsFile: undefined,
    acceptNewHostKeys: false,
    connectTimeoutMs: CHECK_DEFAULTS.connectTimeoutMs,
    connectAttempts: CHECK_DEFAULTS.connectAttempts,
    retryDelayMs: CHECK_DEFAULTS.retryDelayMs,
    env,
  };
}

/** Pre-flight checks on every selected machine over SSH, plus the cluster-wide and dev-box checks. */
export function checkPhase<D extends CheckData>(
  options: CheckPhaseOptions & {
    /** Day-2: only these machines (the ones being added), computed by an earlier phase; none skips the phase. */
    limitTo?: (data: D) => string[];
  },
): Phase<D> {
  const finished: MachineReport[] = [];
  return {
    id: 'check',
    title: 'Pre-flight checks on every machine over SSH',
    async prepare(ctx) {
      const targets = selectByLimit(machineTargets(requireCluster(ctx.data).spec), options.limit);
      const only = options.limitTo?.(ctx.data);
      ctx.data.targets = only === undefined ? targets : targets.filter((target) => only.includes(target.hostname));
    },
    shouldRun: (ctx) =>
      options.limitTo === undefined || (ctx.data.targets ?? []).length > 0 ? true : 'no new machines to check',
    // A rerun of a deploy skips the checks when the machines, how they are reached and which checks run are the
    // same as when they last passed; a changed IP or SSH key checks again.
    inputs: (ctx) => {
      if (options.resumable !== true) return undefined;
      const { ssh } = requireCluster(ctx.data).spec.config;
      return {
        targets: (ctx.data.targets ?? []).map((target) => ({ hostname: target.hostname, ip: target.ip })),
        ssh: { user: ssh.user, port: ssh.port, keyFile: ssh.keyFile?.path, password: ssh.password !== undefined },
        checks: { only: options.checks.only, skip: options.checks.skip, ignore: options.checks.ignore },
      };
    },
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      const targets = ctx.data.targets ?? [];
      const workDir = workDirFor(spec.config.clusterId, options.workDirOverride, options.env);
      await ctx.useWorkDir(workDir);
      const ssh = spec.config.ssh;
      if (ctx.dryRun) {
        const selected = checkCatalog().filter((check) => isSelected(check.id, options.checks));
        const facts = factsNeeded(selected).size;
        for (const target of targets) {
          await ctx.wet(
            target.hostname,
            `connect over SSH as ${ssh.user}@${target.ip}:${ssh.port} and gather ${facts} facts (read-only)`,
            async () => undefined,
          );
        }
        return;
      }
      const hosts = await openClusterHosts(ctx, 'check', spec, workDir, options);
      const report = await runChecks(
        spec,
        targets,
        { ...options.checks, workDir: workDir.root },
        {
          hosts,
          devbox: () => ctx.ports.devbox(),
          io: ctx.io,
          signal: ctx.signal,
          onMachineReport: (report) => finished.push(report),
        },
      );
      ctx.data.report = report;
      ctx.setOutputs({ ...report.summary });
    },
    /**
     * Interrupted half-way, the machines already checked are not lost: their reports go to the work dir's logs, so
     * a rerun with --limit can pick up the rest.
     */
    // Writes the partial report of an interrupted check; never undoes a finished one (the checks change nothing).
    async cleanUp(ctx, cause) {
      if (cause.kind !== 'aborted' || finished.length === 0 || ctx.workDir === undefined || ctx.dryRun)
        return 'result-kept';
      const file = 'check-interrupted.json';
      const content = JSON.stringify({ interrupted: cause.reason, machines: finished }, null, 2) + '\n';
      await ctx.ports.writeFiles(
        ctx.workDir.logs,
        [{ path: file, content, mode: 0o600, description: 'partial check report' }],
        ctx.signal,
      );
      ctx.io.notify({
        level: 'warn',
        code: 'check.partial-report',
        phase: 'check',
        text: `interrupted after ${finished.length} of ${ctx.data.targets?.length ?? finished.length} machines; their reports are in ${ctx.workDir.logs}/${file}`,
      });
      return 'result-kept';
    },
  };
}
