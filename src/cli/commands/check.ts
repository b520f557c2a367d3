import { basename, dirname } from 'node:path';
import { formatCheckJson, formatCheckJunit, formatCheckText, hasFailure, hasWarning } from '../format/check-report.js';
import { plainProgress, terminalProgress } from '../../checks/progress.js';
import { machineTargets, runChecks, type CheckOptions } from '../../checks/run-checks.js';
import { ExitCode } from '../../errors.js';
import { writeFilesAtomically } from '../../infra/fs/atomic-write.js';
import { validateCluster } from '../../rules/validate-cluster.js';
import { workDirFor } from '../../model/work-dir.js';
import { formatOption, optionalString, parseCommandArgs, positiveInt, type Parsed } from '../args.js';
import { clusterInputOptions, configPathFrom, layoutInputFrom } from '../cluster-options.js';
import type { CommandContext } from '../context.js';
import { formatFindings } from '../output.js';

export async function runCheck(argv: readonly string[], context: CommandContext): Promise<number> {
  const parsed = parseCommandArgs('check', argv, {
    ...clusterInputOptions,
    'work-dir': { type: 'string' },
    'known-hosts': { type: 'string' },
    'accept-new-host-keys': { type: 'boolean' },
    concurrency: { type: 'string' },
    'connect-timeout': { type: 'string' },
    'command-timeout': { type: 'string' },
    'machine-timeout': { type: 'string' },
    'connect-attempts': { type: 'string' },
    'max-clock-offset': { type: 'string' },
    only: { type: 'string', multiple: true },
    skip: { type: 'string', multiple: true },
    ignore: { type: 'string', multiple: true },
    strict: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    output: { type: 'string', short: 'o' },
  });
  const format = formatOption(parsed, 'check', ['text', 'json', 'junit']);
  const validation = await validateCluster(layoutInputFrom(parsed, 'check'), configPathFrom(parsed, 'check'));
  if (!validation.valid || !validation.input) {
    context.stderr.write(formatFindings(validation, context.style));
    context.stderr.write('check: the configuration is invalid; fix it first (pai-deploy validate)\n');
    return ExitCode.usage;
  }
  const input = validation.input;
  const clusterId = input.config.clusterId;
  const workDir = workDirFor(clusterId, optionalString(parsed, 'work-dir'), context.env);
  const knownHostsFile = optionalString(parsed, 'known-hosts');
  const options: CheckOptions = {
    concurrency: positiveInt(parsed, 'concurrency', 'check', 20),
    connectTimeoutMs: positiveInt(parsed, 'connect-timeout', 'check', 10) * 1000,
    commandTimeoutMs: positiveInt(parsed, 'command-timeout', 'check', 30) * 1000,
    machineTimeoutMs: positiveInt(parsed, 'machine-timeout', 'check', 300) * 1000,
    connectAttempts: positiveInt(parsed, 'connect-attempts', 'check', 3),
    retryDelayMs: 1000,
    knownHostsPath: knownHostsFile ?? workDir.knownHosts,
    // Trust on first use in the cluster's own known_hosts; a pre-seeded file is strict unless told otherwise.
    acceptNewHostKeys: knownHostsFile === undefined || parsed.values['accept-new-host-keys'] === true,
    only: list(parsed, 'only'),
    skip: list(parsed, 'skip'),
    ignore: list(parsed, 'ignore'),
    maxClockOffsetSeconds: Number(optionalString(parsed, 'max-clock-offset') ?? '1'),
    workDir: workDir.root,
    sshAgent: context.env['SSH_AUTH_SOCK'] || undefined,
    passphrase: context.env['PAI_DEPLOY_SSH_PASSPHRASE'] || undefined,
  };
  const hostnames = machineTargets(input).map((target) => target.hostname);
  const live = context.liveDisplay === true && format === 'text' && optionalString(parsed, 'output') === undefined ? await terminalProgress(hostnames) : undefined;
  const progress = live?.progress ?? plainProgress((text) => context.stderr.write(text));
  const report = await runChecks(input, options, progress);
  await live?.finish();
  const text = format === 'json' ? formatCheckJson(report) : format === 'junit' ? formatCheckJunit(report) : formatCheckText(report, context.style, parsed.values['verbose'] === true);
  const output = optionalString(parsed, 'output');
  if (output) {
    await writeFilesAtomically(dirname(output), [{ path: basename(output), content: text, mode: 0o644, description: 'check report' }]);
    context.stderr.write(`report written to ${output}\n`);
    if (format !== 'text') context.stdout.write(formatCheckText(report, context.style));
  } else {
    context.stdout.write(text);
  }
  const failed = hasFailure(report) || report.summary.unreachable > 0;
  return failed || (parsed.values['strict'] === true && hasWarning(report)) ? ExitCode.failed : ExitCode.ok;
}

function list(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name] as unknown;
  const items = Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
  return items.flatMap((item) => item.split(',')).map((item) => item.trim()).filter(Boolean);
}
