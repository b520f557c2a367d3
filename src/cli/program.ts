import { Command, Option } from './commander.js';
import type { CommandEnv } from './command-env.js';
import { defaultCsvSkus } from '../config/csv-layout.js';
import { CHECK_DEFAULTS } from '../phase/phases/check-defaults.js';
import { duration, list, path, positiveInteger } from './options.js';
import { DEVBOX_IMAGE } from '../kubespray/devbox.js';

/**
 * Every command, declared once: flags (typed, with defaults), help (generated from these declarations, with the
 * examples) and the handler, imported only when the command runs so `--help` loads nothing heavy.
 */
export type Handler = (flags: never, env: CommandEnv, args: string[]) => Promise<void>;
export type Dispatch = (load: () => Promise<Handler>) => (...args: unknown[]) => Promise<void>;

const EXIT_CODES = `Exit codes: 0 fine, 1 findings, failed checks or a failed phase, 2 bad usage or an unreadable input,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP).`;

const seconds = (ms: number) => `${ms / 1000}s`;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/** The release trees, the dev-box and the service timeout: the flags of every action that deploys (quick-start, machine). */
function deployTreeOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--kubespray-dir <dir>', 'a kubespray release-2.11 checkout or unpacked tarball').argParser(path),
    )
    .addOption(new Option('--kubespray-clone <url>', 'where to clone the pinned kubespray commit from'))
    .option('--allow-unpinned-kubespray', 'run a kubespray tree other than the pinned commit (a loud warning)')
    .addOption(new Option('--devbox-image <image>', 'the dev-box image (Ansible 2.7.x, Python <= 3.7, ssh, rsync)'))
    .addOption(new Option('--devbox-network <name>', "the dev-box container's docker network"))
    .addOption(new Option('--forks <n>', 'parallel Ansible connections').argParser(positiveInteger))
    .addOption(new Option('--openpai-src <dir>', "OpenPAI's source tree of the release").argParser(path))
    .addOption(new Option('--openpai-clone <url>', 'where to clone the OpenPAI release from'))
    .option('--allow-unknown-openpai', 'deploy a release pai-deploy does not know, or another tree (a loud warning)')
    .addOption(
      new Option('--timeout <duration>', 'how long one OpenPAI service may take to get ready').argParser(duration),
    );
}

function inputOptions(command: Command): Command {
  command
    .optionsGroup('Input (one of; default ./layout.yaml and ./config.yaml when present):')
    .addOption(new Option('-l, --layout <file>', 'OpenPAI layout.yaml (machine-sku, machine-list)').argParser(path))
    .addOption(
      new Option('--master-csv <file>', 'OpenPAI v1.0 master.csv (hostname,ip per line), with --worker-csv').argParser(
        path,
      ),
    )
    .addOption(new Option('--worker-csv <file>', 'OpenPAI v1.0 worker.csv').argParser(path))
    .addOption(
      new Option(
        '-c, --config <file>',
        'OpenPAI config.yaml (SSH user/key, registry, docker and kubespray knobs)',
      ).argParser(path),
    )
    .optionsGroup('Hardware of machines from CSV lists (the lists carry none):');
  return csvHardwareOptions(command);
}

/** The SKUs given to machines that come from OpenPAI v1.0's CSV lists. */
function csvHardwareOptions(command: Command): Command {
  return command
    .addOption(new Option('--master-mem <quantity>', 'memory of the master').default(defaultCsvSkus.masterMem))
    .addOption(
      new Option('--master-vcores <n>', 'CPU cores of the master')
        .argParser(positiveInteger)
        .default(defaultCsvSkus.masterVcores),
    )
    .addOption(new Option('--worker-mem <quantity>', 'memory of each worker').default(defaultCsvSkus.workerMem))
    .addOption(
      new Option('--worker-vcores <n>', 'CPU cores of each worker')
        .argParser(positiveInteger)
        .default(defaultCsvSkus.workerVcores),
    )
    .addOption(new Option('--worker-device <type>', 'device type of each worker, e.g. nvidia.com/gpu (default: none)'))
    .addOption(
      new Option('--worker-device-count <n>', 'devices per worker')
        .argParser(positiveInteger)
        .default(defaultCsvSkus.workerDeviceCount),
    )
    .addOption(new Option('--worker-device-model <model>', 'device model, e.g. V100'))
    .optionsGroup('Options:');
}

function formatOption(choices: readonly string[]): Option {
  return new Option('--format <format>', 'output format').choices(choices).default('text');
}

const limitOption = () =>
  new Option(
    '--limit <hosts>',
    'only these machines: host names or IPs, comma-separated or repeated; * globs, !name excludes',
  ).argParser(list);
const workDirOption = () =>
  new Option(
    '--work-dir <dir>',
    "the cluster's work dir (default: $PAI_DEPLOY_HOME/clusters/<cluster_id>, PAI_DEPLOY_HOME defaulting to ~/.pai-deploy)",
  ).argParser(path);

export function buildProgram(dispatch: Dispatch, version: () => string): Command {
  const program = new Command('pai-deploy')
    .description('from a list of machines to a running OpenPAI cluster (kubespray release-2.11)')
    .version(version(), '-V, --version', 'print the version')
    .addOption(
      new Option(
        '--progress <mode>',
        'progress display: a live view on a terminal, plain lines, or JSON lines on stderr',
      )
        .choices(['auto', 'plain', 'json'])
        .default('auto'),
    )
    .option('-v, --verbose', 'more detail: every progress update, debug messages, skipped checks')
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .showHelpAfterError('(run with --help for the usage and examples)')
    .addHelpText(
      'after',
      examples(
        'pai-deploy config init --dir mycluster',
        'pai-deploy validate -l mycluster/layout.yaml -c mycluster/config.yaml',
        'pai-deploy validate -l layout.yaml -c config.yaml --format json > findings.json',
        'pai-deploy render -l layout.yaml -c config.yaml --out ./rendered',
        'pai-deploy plan -l examples/layout.yaml -c examples/config.yaml',
        'pai-deploy check -l layout.yaml -c config.yaml --format junit --output check.xml',
        'pai-deploy config import-csv --master-csv master.csv --worker-csv worker.csv -o layout.yaml',
        'pai-deploy help config import-csv',
      ) + `\n${EXIT_CODES}\nColour only on a terminal, never with NO_COLOR (FORCE_COLOR=1 forces it).\n`,
    );

  inputOptions(
    program
      .command('validate')
      .summary('check layout.yaml and config.yaml offline, as kubespray 2.11 and OpenPAI would')
      .description(
        `${'check layout.yaml and config.yaml offline, as kubespray 2.11 and OpenPAI would'}.\n\n` +
          'Checks the inputs without touching a machine: YAML syntax and types, unknown keys (with "did you mean"), ' +
          "OpenPAI's layout rules, every kubespray release-2.11 assertion decidable offline (on the effective values: " +
          'kubespray defaults < OpenPAI defaults < config.yaml < openpai_kubespray_extra_var), network ranges and SSH access.\n',
      ),
  )
    .addOption(formatOption(['text', 'json', 'github', 'junit', 'sarif']))
    .addOption(
      new Option(
        '-o, --output <file>',
        'write the report to FILE, in one step (the findings as text still go to stdout)',
      ).argParser(path),
    )
    .option('--strict', 'exit 1 on warnings too')
    .addHelpText(
      'after',
      examples(
        'pai-deploy validate -l layout.yaml -c config.yaml',
        'pai-deploy validate -l layout.yaml -c config.yaml --format github      # annotations in GitHub Actions',
        'pai-deploy validate -l layout.yaml -c config.yaml --format sarif -o pai-deploy.sarif',
        'pai-deploy validate --master-csv master.csv --worker-csv worker.csv -c config.yaml --worker-device nvidia.com/gpu --worker-device-count 4',
        "pai-deploy validate -l layout.yaml -c config.yaml --format json | jq '.errors[].code'",
      ) + '\nExit codes: 0 valid, 1 errors found (or warnings with --strict), 2 bad usage or unreadable file.\n',
    )
    .action(dispatch(async () => (await import('./commands/validate.js')).runValidate));

  inputOptions(
    program
      .command('render')
      .summary('write the kubespray inventory and OpenPAI cluster configuration to a directory')
      .description(
        `${'write the kubespray inventory and OpenPAI cluster configuration to a directory'}.\n\n` +
          'Validates, then writes (all files or none; invalid input leaves DIR absent or untouched):\n' +
          '  DIR/inventory/hosts.yml  kubespray 2.11 inventory (no passwords)\n' +
          '  DIR/inventory/openpai.yml  kubespray extra vars, used as -e @openpai.yml\n' +
          '  DIR/cluster-cfg/layout.yaml  OpenPAI layout\n' +
          '  DIR/cluster-cfg/config.yaml  OpenPAI config, as written\n' +
          '  DIR/cluster-cfg/services-configuration.yaml\n' +
          'Files holding a secret are mode 0600. The same input always gives the same bytes.\n' +
          'An existing DIR is replaced in one step: a complete new DIR is staged beside it and swapped in under a\n' +
          'lock, so a failure or Ctrl-C leaves the old DIR as it was; what else it held (kubespray writes\n' +
          'inventory/credentials/ and inventory/artifacts/) is carried over.\n',
      ),
  )
    .addOption(
      new Option('-o, --out <dir>', 'output directory (created if missing)').argParser(path).makeOptionMandatory(),
    )
    .addOption(formatOption(['text', 'json']))
    .option('--dry-run', 'validate and render, print what would be written, write nothing')
    .addHelpText(
      'after',
      examples(
        'pai-deploy render -l layout.yaml -c config.yaml --out ./rendered',
        'pai-deploy render -l layout.yaml -c config.yaml --out ./rendered --dry-run',
        'ansible-inventory -i ./rendered/inventory/hosts.yml --graph',
      ),
    )
    .action(dispatch(async () => (await import('./commands/render.js')).runRender));

  inputOptions(
    program
      .command('plan')
      .summary('print what a deployment would do with these inputs (a dry run: nothing is written or contacted)')
      .description(
        `${'print what a deployment would do with these inputs (a dry run: nothing is written or contacted)'}.\n\n` +
          'Runs the deploy action as a dry run: validate, render into the work dir, pre-flight checks, kubespray and the ' +
          'OpenPAI services, each phase describing what it would do instead of doing it. Prints machines per role, the ' +
          'kubespray commit, the dev-box image, the files that would be written, every step and the services in start ' +
          'order. Writes nothing and contacts no machine.\n',
      ),
  )
    .addOption(workDirOption())
    .addOption(limitOption())
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy plan -l examples/layout.yaml -c examples/config.yaml',
        'pai-deploy plan -l layout.yaml -c config.yaml --work-dir /tmp/pai1 --format json',
      ),
    )
    .action(dispatch(async () => (await import('./commands/plan.js')).runPlan));

  deployTreeOptions(
    inputOptions(
      program
        .command('quick-start')
        .summary('the whole deployment: validate, pre-flight, kubespray, labels, configuration, OpenPAI services')
        .description(
          `${'the whole deployment: validate, pre-flight, kubespray, labels, configuration, OpenPAI services'}.\n\n` +
            'Runs every phase of the deployment in order: validate → render into the work dir → pre-flight checks ' +
            '→ kubespray cluster.yml in a dev-box → kubeconfig and node check → labels, hived configuration and ' +
            'config push → OpenPAI services, then says where the web portal, the admin login, the kubeconfig and ' +
            'the logs are. Resumable: a rerun skips the phases that finished with the same inputs (a changed ' +
            'machine runs again exactly what depends on it) and runs the failed or interrupted one again. Asks ' +
            'before it starts unless --yes; without a terminal it never asks.\n',
        ),
    )
      .addOption(workDirOption())
      .option('-y, --yes', 'do not ask before deploying')
      .option('--dry-run', 'print every phase and step it would run; touch no machine, engine or cluster')
      .addOption(new Option('--from <phase>', 'start at this phase (the earlier ones as they are)'))
      .addOption(new Option('--only <phase>', 'run this phase only'))
      .option('--force', 'run every phase, even those finished with the same inputs'),
  )
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy quick-start -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy quick-start -l layout.yaml -c config.yaml --yes',
        'pai-deploy quick-start -l layout.yaml -c config.yaml --yes --from kubespray',
      ),
    )
    .action(dispatch(async () => (await import('./commands/quick-start.js')).runQuickStart));

  const machine = program
    .command('machine')
    .description('day-2: add machines to the running cluster or take them out (plans against the stored layout)')
    .addHelpText(
      'after',
      examples(
        'pai-deploy machine add -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy machine remove --hosts pai-worker-03 -l layout.yaml -c config.yaml --dry-run',
      ),
    );
  deployTreeOptions(
    inputOptions(
      machine
        .command('add')
        .summary('join the machines the layout adds: pre-flight, kubespray scale.yml, labels, configuration')
        .description(
          'join the machines the layout adds: pre-flight, kubespray scale.yml, labels, configuration.\n\n' +
            'Compares the layout with the one stored in the cluster (ConfigMap pai-configuration) and shows the plan: ' +
            'the machines to add, SKU changes. A machine the layout leaves out, or gives another IP or role, is ' +
            'refused with the command that does it. Then only the new machines are checked over SSH and joined with ' +
            'kubespray scale.yml --limit; once they are Ready nodes every node is labelled, the hived configuration is ' +
            'computed from the live nodes and the configuration merged into the cluster (keys it was not given stay), ' +
            'and the OpenPAI services are applied: only those whose objects changed are touched. The stored layout ' +
            'changes only after the nodes joined; a rerun resumes. Asks first unless --yes.\n',
        ),
    )
      .addOption(workDirOption())
      .option('-y, --yes', 'do not ask before adding')
      .option('--dry-run', 'show the plan and every step; change no machine, engine or cluster')
      .option('--force', 'run every phase, even those finished with the same inputs'),
  )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        "the cluster's kubeconfig (default: the work dir's kube/config, else $KUBECONFIG, else ~/.kube/config)",
      ).argParser(path),
    )
    .addOption(new Option('--context <name>', 'a context of the kubeconfig other than its current one'))
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy machine add -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy machine add -l layout.yaml -c config.yaml --yes',
      ),
    )
    .action(dispatch(async () => (await import('./commands/machine.js')).runMachineAdd));

  deployTreeOptions(
    inputOptions(
      machine
        .command('remove')
        .summary(
          'take machines out of the cluster: drain, kubespray remove-node.yml, delete the nodes, update the layout',
        )
        .description(
          'take machines out of the cluster: drain, kubespray remove-node.yml, delete the nodes, update the layout.\n\n' +
            'The layout given is the one the cluster has (pai-deploy config pull writes it). Refuses the master and ' +
            'the last worker. Cordons the nodes and evicts their pods through the Eviction API (PodDisruptionBudgets ' +
            'respected, up to --drain-timeout), runs kubespray remove-node.yml on them, deletes their Node objects, ' +
            'rewrites layout.yaml without them (the old file kept beside it), then labels, recomputes the hived ' +
            'configuration and pushes it, and applies the OpenPAI services (only those whose configuration changed ' +
            'roll). A rerun after a failure resumes. Asks first unless --yes.\n',
        ),
    )
      .addOption(
        new Option('--hosts <names>', 'the machines to remove, comma-separated').argParser(list).makeOptionMandatory(),
      )
      .addOption(
        new Option('--drain-timeout <duration>', "how long a node's pods may take to leave it (default 5m)").argParser(
          duration,
        ),
      )
      .addOption(workDirOption())
      .option('-y, --yes', 'do not ask before removing')
      .option('--dry-run', 'show the plan and every step; change no machine, engine or cluster')
      .option('--force', 'run every phase, even those finished with the same inputs'),
  )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        "the cluster's kubeconfig (default: the work dir's kube/config, else $KUBECONFIG, else ~/.kube/config)",
      ).argParser(path),
    )
    .addOption(new Option('--context <name>', 'a context of the kubeconfig other than its current one'))
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy machine remove --hosts pai-worker-03 -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy machine remove --hosts pai-worker-03,pai-worker-04 -l layout.yaml -c config.yaml --yes',
      ),
    )
    .action(dispatch(async () => (await import('./commands/machine.js')).runMachineRemove));

  inputOptions(
    program
      .command('check')
      .summary('pre-flight checks on every machine over SSH, all machines at once')
      .description(
        `${'pre-flight checks on every machine over SSH, all machines at once'}.\n\n` +
          'Connects to every machine over SSH (one connection each, no PTY, bounded concurrency) and checks what OpenPAI and ' +
          'kubespray 2.11 need: SSH and sudo without passwords, OS, hostname, systemd, the layout IP and that it is static, ' +
          "time sync and clock skew, docker and its version, daemon.json, the NVIDIA runtime as docker's default in " +
          'daemon.json, GPU driver and count, CPU and memory against the layout, free ports, leftovers of an earlier ' +
          "Kubernetes, kubeadm's prerequisites; and on the dev-box: Docker engine, free disk, not part of the cluster. " +
          'Check ids: requirement-checks/checks.yaml. Key auth uses ssh_key_file_path (passphrase from ' +
          "PAI_DEPLOY_SSH_PASSPHRASE) and ssh-agent (SSH_AUTH_SOCK); password auth and sudo use config.yaml's password, " +
          'fed on stdin, never on a command line.\n',
      ),
  )
    .optionsGroup('Host keys:')
    .addOption(workDirOption())
    .addOption(
      new Option(
        '--known-hosts <file>',
        "a pre-seeded known_hosts instead of the work dir's: unknown keys fail ...",
      ).argParser(path),
    )
    .option('--accept-new-host-keys', '... unless this is given (then they are recorded in the file)')
    .optionsGroup('Connections:')
    .addOption(
      new Option('--concurrency <n>', 'machines checked at once')
        .argParser(positiveInteger)
        .default(CHECK_DEFAULTS.concurrency),
    )
    .addOption(
      new Option('--connect-timeout <duration>', 'SSH handshake timeout')
        .argParser(duration)
        .default(CHECK_DEFAULTS.connectTimeoutMs, seconds(CHECK_DEFAULTS.connectTimeoutMs)),
    )
    .addOption(
      new Option('--connect-attempts <n>', 'attempts per machine, with back-off')
        .argParser(positiveInteger)
        .default(CHECK_DEFAULTS.connectAttempts),
    )
    .addOption(
      new Option('--command-timeout <duration>', 'per command')
        .argParser(duration)
        .default(CHECK_DEFAULTS.commandTimeoutMs, seconds(CHECK_DEFAULTS.commandTimeoutMs)),
    )
    .addOption(
      new Option('--machine-timeout <duration>', 'per machine, all included')
        .argParser(duration)
        .default(CHECK_DEFAULTS.machineTimeoutMs, seconds(CHECK_DEFAULTS.machineTimeoutMs)),
    )
    .addOption(
      new Option('--max-clock-offset <duration>', 'largest clock difference to the dev-box that passes')
        .argParser(duration)
        .default(CHECK_DEFAULTS.maxClockOffsetMs, seconds(CHECK_DEFAULTS.maxClockOffsetMs)),
    )
    .optionsGroup('Selection and verdict:')
    .addOption(limitOption())
    .addOption(
      new Option(
        '--only <ids>',
        "check ids or globs, comma-separated or repeated (e.g. --only 'docker.*'); machines are asked only what the selected checks read",
      ).argParser(list),
    )
    .addOption(new Option('--skip <ids>', 'check ids or globs to leave out').argParser(list))
    .addOption(
      new Option(
        '--ignore <ids>',
        "turn these errors into warnings (like kubeadm's --ignore-preflight-errors)",
      ).argParser(list),
    )
    .option('--strict', 'exit 1 on warnings too')
    .optionsGroup('Output:')
    .addOption(formatOption(['text', 'json', 'junit', 'github', 'sarif']))
    .addOption(
      new Option('-o, --output <file>', 'write the report to FILE (a summary still goes to stdout)').argParser(path),
    )
    .addHelpText(
      'after',
      examples(
        'pai-deploy check -l layout.yaml -c config.yaml',
        'pai-deploy check -l layout.yaml -c config.yaml --format json --output check.json',
        "pai-deploy check -l layout.yaml -c config.yaml --only 'docker.*,gpu.*' --ignore docker.version",
        "pai-deploy check -l layout.yaml -c config.yaml --only 'ssh.*'      # reachability and logins only",
        "pai-deploy check -l layout.yaml -c config.yaml --limit 'pai-worker-*' --command-timeout 2m",
        'pai-deploy check -l layout.yaml -c config.yaml --known-hosts ~/.ssh/known_hosts --format junit -o check.xml',
      ) +
        '\nExit codes: 0 nothing failed, 1 a check failed, a machine was unreachable or the config is invalid, 2 bad usage.\n',
    )
    .action(dispatch(async () => (await import('./commands/check.js')).runCheck));

  const ssh = program
    .command('ssh')
    .description('SSH set-up of the machines')
    .addHelpText('after', examples('pai-deploy ssh setup-keys -l layout.yaml -c config.yaml'));
  inputOptions(
    ssh
      .command('setup-keys')
      .summary("install the dev-box's public key on machines that accept the password")
      .description(
        `${"install the dev-box's public key on machines that accept the password"}.\n\n` +
          "Logs in to every machine with config.yaml's password and appends the dev-box's public key to the user's " +
          '~/.ssh/authorized_keys (once), so that ssh.key-auth passes. The public key defaults to ssh_key_file_path + ".pub". ' +
          "Host keys are handled as by `check` (the cluster's known_hosts, trust on first use).\n",
      ),
  )
    .addOption(new Option('--public-key <file>', 'the public key to install').argParser(path))
    .addOption(workDirOption())
    .addOption(new Option('--known-hosts <file>', 'a pre-seeded known_hosts file').argParser(path))
    .option('--accept-new-host-keys', 'record unknown host keys in --known-hosts')
    .addOption(new Option('--concurrency <n>', 'machines at once').argParser(positiveInteger).default(20))
    .addOption(limitOption())
    .addOption(formatOption(['text', 'json']))
    .option('--dry-run', 'say which machines would get the key; change nothing')
    .addHelpText(
      'after',
      examples(
        'pai-deploy ssh setup-keys -l layout.yaml -c config.yaml',
        'pai-deploy ssh setup-keys -l layout.yaml -c config.yaml --public-key ~/.ssh/id_ed25519.pub --limit pai-worker-03',
      ),
    )
    .action(dispatch(async () => (await import('./commands/ssh-setup-keys.js')).runSshSetupKeys));

  const kubespray = program
    .command('kubespray')
    .description('run the pinned kubespray release-2.11 in a dev-box container')
    .addHelpText(
      'after',
      examples(
        'pai-deploy kubespray run -l layout.yaml -c config.yaml --kubespray-dir ./kubespray',
        'pai-deploy kubespray run -l layout.yaml -c config.yaml --kubespray-dir ./kubespray --dry-run',
      ),
    );
  const playbookCommand = (name: string, summary: string, details: string, parent: Command = kubespray) =>
    inputOptions(
      parent
        .command(name)
        .summary(summary)
        .description(`${summary}.\n\n${details}`)
        .argument(
          '[ansible-args...]',
          'arguments after -- go to ansible-playbook unchanged (e.g. -- --tags preinstall -vvv)',
        ),
    )
      .addOption(workDirOption())
      .addOption(
        new Option(
          '--kubespray-dir <dir>',
          'a kubespray release-2.11 checkout or unpacked tarball (default: the pinned commit, cloned into the work dir)',
        ).argParser(path),
      )
      .addOption(
        new Option('--kubespray-clone <url>', 'where to clone the pinned commit from (a URL or a local mirror)'),
      )
      .option('--allow-unpinned-kubespray', 'run a kubespray tree other than the pinned commit (a loud warning)')
      .addOption(new Option('--devbox-image <image>', 'the dev-box image (Ansible 2.7.x, Python <= 3.7, ssh, rsync)'))
      .addOption(new Option('--devbox-network <name>', "the dev-box container's docker network").default('host'))
      .addOption(new Option('--forks <n>', 'parallel Ansible connections').argParser(positiveInteger).default(20))
      .option('--dry-run', 'print the container, mounts and command it would run; change nothing');
  playbookCommand(
    'run',
    'install Kubernetes on every machine (kubespray cluster.yml)',
    'Validates and renders into the work dir, then runs cluster.yml in a fresh dev-box container with the ' +
      "inventory, the work dir's known_hosts (from `check`) and the SSH key mounted read-only. Progress shows play, " +
      "task and hosts; the full output goes to the work dir's logs/. On success the admin kubeconfig is copied to " +
      'kube/config.\n',
  )
    .addHelpText(
      'after',
      examples(
        'pai-deploy kubespray run -l layout.yaml -c config.yaml --kubespray-dir ./kubespray',
        'pai-deploy kubespray run --kubespray-dir ./kubespray -- --tags preinstall -vvv',
      ),
    )
    .action(dispatch(async () => (await import('./commands/kubespray.js')).runKubesprayRun));
  playbookCommand('scale', 'add machines to the cluster (kubespray scale.yml)', 'Runs scale.yml, limited to --limit.\n')
    .addOption(limitOption())
    .addHelpText('after', examples('pai-deploy kubespray scale --kubespray-dir ./kubespray --limit pai-worker-05'))
    .action(dispatch(async () => (await import('./commands/kubespray.js')).runKubesprayScale));
  playbookCommand(
    'remove-node',
    'drain and remove machines from the cluster (kubespray remove-node.yml)',
    'Runs remove-node.yml with node=<hosts> and its confirmation variable set.\n',
  )
    .addOption(new Option('--hosts <names>', 'the machines to remove, comma-separated').argParser(list))
    .addHelpText(
      'after',
      examples('pai-deploy kubespray remove-node --kubespray-dir ./kubespray --hosts pai-worker-03'),
    )
    .action(dispatch(async () => (await import('./commands/kubespray.js')).runKubesprayRemoveNode));
  playbookCommand(
    'reset',
    'remove Kubernetes from every machine (kubespray reset.yml)',
    'Asks for the cluster id first, unless --yes.\n',
  )
    .option('--yes', 'do not ask for the cluster id')
    .addHelpText('after', examples('pai-deploy kubespray reset --kubespray-dir ./kubespray --yes'))
    .action(dispatch(async () => (await import('./commands/kubespray.js')).runKubesprayReset));

  const devbox = program
    .command('devbox')
    .description('the dev-box image kubespray runs in')
    .addHelpText('after', examples('pai-deploy devbox build', 'pai-deploy devbox check --devbox-image my/devbox:2.7'));
  devbox
    .command('build')
    .summary("build the dev-box image from devbox/Dockerfile (Ansible 2.7.12 and kubespray 2.11's pins)")
    .description(
      "build the dev-box image from pai-deploy's devbox/Dockerfile with the local Docker engine: Ubuntu 18.04's " +
        "Python 3.6 by default, Ansible 2.7.12 and kubespray 2.11's pinned requirements in a venv, ssh, rsync, " +
        "sshpass, git; then the image's tools are checked against the dev-box contract.",
    )
    .addOption(new Option('--tag <image>', 'the tag to build').default(DEVBOX_IMAGE))
    .addOption(
      new Option(
        '--base <image>',
        'the base image (a prepared one with ssh, rsync and Python <= 3.7 needs no apt-get)',
      ),
    )
    .addOption(new Option('--python <path>', 'the Python in the base the Ansible venv is made with'))
    .option('--dry-run', 'say what would be built')
    .addHelpText(
      'after',
      examples('pai-deploy devbox build', 'pai-deploy devbox build --base ubuntu:18.04 --tag my/devbox:2.7'),
    )
    .action(dispatch(async () => (await import('./commands/devbox.js')).runDevboxBuild));
  devbox
    .command('check')
    .summary('check that an image keeps the dev-box contract (Ansible 2.7.8+ not 2.8, Python <= 3.7, ssh, rsync)')
    .addOption(new Option('--devbox-image <image>', 'the image to check').default(DEVBOX_IMAGE))
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples('pai-deploy devbox check', 'pai-deploy devbox check --devbox-image my/devbox:2.7 --format json'),
    )
    .action(dispatch(async () => (await import('./commands/devbox.js')).runDevboxCheck));

  program
    .command('k8s')
    .description("the finished cluster's Kubernetes access")
    .addHelpText('after', examples('pai-deploy k8s set-env --cluster-id pai --use'))
    .command('set-env')
    .summary("merge the cluster's admin kubeconfig into ~/.kube/config as a named context")
    .description(
      "merge the cluster's admin kubeconfig (the work dir's kube/config, from `kubespray run`) into your kubeconfig " +
        "($KUBECONFIG's first file, else ~/.kube/config) as a cluster, user and context named after the cluster " +
        'id; other contexts are left alone, the previous file is kept as a backup.',
    )
    .addOption(workDirOption())
    .addOption(new Option('--cluster-id <id>', 'the cluster (names its work dir and the context)').default('pai'))
    .addOption(new Option('--kubeconfig <file>', 'the kubeconfig to merge into').argParser(path))
    .addOption(new Option('--context <name>', 'the context name (default: the cluster id)'))
    .option('--use', 'make it the current context')
    .option('--dry-run', 'say what would change; write nothing')
    .addHelpText('after', examples('pai-deploy k8s set-env --cluster-id pai --use', 'kubectl --context pai get nodes'))
    .action(dispatch(async () => (await import('./commands/k8s-set-env.js')).runK8sSetEnv));

  const kubeOptions = (command: Command): Command =>
    command
      .addOption(workDirOption())
      .addOption(
        new Option(
          '--kubeconfig <file>',
          "the cluster's kubeconfig (default: the work dir's kube/config from `kubespray run`, else $KUBECONFIG, else ~/.kube/config)",
        ).argParser(path),
      )
      .addOption(new Option('--context <name>', 'a context of the kubeconfig other than its current one'));

  const cluster = program
    .command('cluster')
    .description('the finished cluster: status and node labels through the Kubernetes API, and reset')
    .addHelpText(
      'after',
      examples(
        'pai-deploy cluster status -l layout.yaml -c config.yaml',
        'pai-deploy cluster label -l layout.yaml -c config.yaml --dry-run',
      ),
    );
  playbookCommand(
    'reset',
    'remove Kubernetes from every machine, keeping the configuration to rebuild (kubespray reset.yml)',
    'Runs reset.yml after you type the cluster id (or --yes). The work dir keeps the rendered configuration, ' +
      "known_hosts and kubespray's state; its kubeconfig is moved aside, and the pre-flight checks and node labels " +
      'are forgotten, so `pai-deploy quick-start` rebuilds the cluster from the same files.\n',
    cluster,
  )
    .option('--yes', 'do not ask for the cluster id')
    .addHelpText(
      'after',
      examples(
        'pai-deploy cluster reset -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy cluster reset -l layout.yaml -c config.yaml --yes && pai-deploy quick-start -l layout.yaml -c config.yaml --yes',
      ),
    )
    .action(dispatch(async () => (await import('./commands/kubespray.js')).runClusterReset));
  kubeOptions(
    inputOptions(
      cluster
        .command('status')
        .summary('the API version, nodes against the layout, and the stored configuration')
        .description(
          'the API server and its version; every node: Ready (or why not), its pai-master/worker/storage labels, ' +
            'allocatable devices and what `cluster label` would change; layout machines without a node; the ' +
            'configuration stored in the cluster (its cluster id, OpenPAI release) and which files differ from the local ones. ' +
            'Writes nothing.',
        ),
    ),
  )
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy cluster status -l layout.yaml -c config.yaml',
        "pai-deploy cluster status -l layout.yaml -c config.yaml --format json | jq '.nodes[] | select(.ready | not)'",
        'pai-deploy cluster status -l layout.yaml -c config.yaml --kubeconfig ~/.kube/config --context pai',
      ),
    )
    .action(dispatch(async () => (await import('./commands/cluster.js')).runClusterStatus));
  kubeOptions(
    inputOptions(
      cluster
        .command('label')
        .summary('set the pai-master, pai-worker, pai-storage and pai-computing-device labels from the layout')
        .description(
          "labels every layout machine's node as OpenPAI's services expect: pai-master, pai-worker, pai-storage " +
            "(true, or removed where the layout no longer says so) and pai-computing-device (the device type of the machine's sku, with / as _). " +
            'Every machine must be a Ready node. One request per node that needs one, 16 at a time; none when nothing ' +
            'changes. Labels you set yourself (no-nodeexporter, ...) and nodes the layout does not name are left alone.',
        ),
    ),
  )
    .option('--dry-run', 'show what would change against the live nodes; write nothing')
    .addHelpText(
      'after',
      examples(
        'pai-deploy cluster label -l layout.yaml -c config.yaml',
        'pai-deploy cluster label -l layout.yaml -c config.yaml --dry-run',
      ),
    )
    .action(dispatch(async () => (await import('./commands/cluster.js')).runClusterLabel));

  const openpaiOptions = (command: Command): Command =>
    command
      .addOption(
        new Option(
          '--openpai-src <dir>',
          "OpenPAI's source tree of the release docker_image_tag names: a checkout or an unpacked tarball (default: the release, cloned into the work dir)",
        ).argParser(path),
      )
      .addOption(new Option('--openpai-clone <url>', 'where to clone the release from (a URL or a local mirror)'))
      .option(
        '--allow-unknown-openpai',
        'deploy a release pai-deploy does not know, or a tree that is not the release (a loud warning)',
      )
      .addOption(
        new Option('-n, --name <service>', 'only this service (repeat, or a comma-separated list)').argParser(list),
      );

  const service = program
    .command('service')
    .description("OpenPAI's services from its release tree: plan, start, stop, delete, status")
    .addHelpText(
      'after',
      examples(
        'pai-deploy service plan -l layout.yaml -c config.yaml',
        'pai-deploy service start -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy service status -l layout.yaml -c config.yaml -n rest-server',
      ),
    );
  openpaiOptions(
    inputOptions(
      service
        .command('plan')
        .summary('the services in start order, and which are skipped and why')
        .description(
          'reads the OpenPAI tree (verified against the release) and the local layout and config, builds the ' +
            "cluster object model and lists the services in layers: each starts after its service.yaml's " +
            'prerequisites; the services of one layer start together. Contacts no cluster.',
        ),
    ),
  )
    .addOption(workDirOption())
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy service plan -l layout.yaml -c config.yaml',
        'pai-deploy service plan -l layout.yaml -c config.yaml --openpai-src ~/src/pai --format json',
      ),
    )
    .action(dispatch(async () => (await import('./commands/service.js')).runServicePlan));
  const operations = [
    {
      name: 'start',
      summary: 'start the services in dependency order and wait until each is ready',
      details:
        "renders each service's templates with the cluster object model built from the configuration stored in " +
        'the cluster (config push), applies its objects (server-side apply where the server has it, else ' +
        "kubectl's client-side apply), runs what its start.sh did besides (registry secret, ConfigMaps from " +
        'folders, the job SSH key created once, device plugins) and waits until its workloads are ready; when ' +
        'one is not, which pods and why. A rerun on a healthy cluster changes nothing.',
      dryRun: 'server-side dry run: what would be created or changed, touching nothing',
      example: [
        'pai-deploy service start -l layout.yaml -c config.yaml',
        'pai-deploy service start -l layout.yaml -c config.yaml -n rest-server,webportal --timeout 20m',
      ],
    },
    {
      name: 'stop',
      summary: "remove the services' workloads, in reverse order; data stays",
      details: 'what each stop.sh did, in reverse dependency order; waits until the workloads and their pods are gone.',
      dryRun: 'say what would be deleted; delete nothing',
      example: ['pai-deploy service stop -l layout.yaml -c config.yaml -n webportal'],
    },
    {
      name: 'delete',
      summary: 'stop the services and delete their data (databases, internal storage, frameworks and their CRD)',
      details:
        'stop, then the clean-ups each delete.sh ran, in reverse order. Asks for the cluster id first (or --yes).',
      dryRun: 'say what would be deleted; delete nothing',
      example: ['pai-deploy service delete -l layout.yaml -c config.yaml --yes'],
    },
  ] as const;
  for (const operation of operations) {
    const command = kubeOptions(
      openpaiOptions(
        inputOptions(
          service
            .command(operation.name)
            .summary(operation.summary)
            .description(`${operation.summary}.\n\n${operation.details}`),
        ),
      ),
    )
      .option('--dry-run', operation.dryRun)
      .addOption(
        new Option('--timeout <duration>', 'how long one service may take to get ready or gone')
          .argParser(duration)
          .default(10 * 60_000, '10m'),
      )
      .addOption(formatOption(['text', 'json']));
    if (operation.name === 'delete') command.option('-y, --yes', 'do not ask for the cluster id');
    command
      .addHelpText('after', examples(...operation.example))
      .action(dispatch(async () => (await import('./commands/service.js')).runServiceOperation(operation.name)));
  }
  kubeOptions(
    openpaiOptions(
      inputOptions(
        service
          .command('status')
          .summary("each service's workloads: ready, or how far and why not")
          .description(
            "reads each service's workloads (from its rendered manifests) and says whether each is ready " +
              '(Deployments available, DaemonSets ready on every node they run on, StatefulSets ready, Jobs ' +
              'complete). Writes nothing.',
          ),
      ),
    ),
  )
    .addOption(formatOption(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy service status -l layout.yaml -c config.yaml',
        'pai-deploy service status -l layout.yaml -c config.yaml --format json | jq \'.[] | select(.state != "ready")\'',
      ),
    )
    .action(dispatch(async () => (await import('./commands/service.js')).runServiceStatus));

  const config = program
    .command('config')
    .description('write, convert and describe layout.yaml and config.yaml; push it to and pull it from the cluster')
    .addHelpText(
      'after',
      examples(
        'pai-deploy config init --dir mycluster',
        'pai-deploy config import-csv --master-csv master.csv --worker-csv worker.csv -o layout.yaml',
        'pai-deploy config schema layout > layout.schema.json',
      ),
    );
  config
    .command('init')
    .description('write a commented example layout.yaml and config.yaml (with their JSON Schemas)')
    .addOption(new Option('-d, --dir <dir>', 'where to write them').argParser(path).default('.'))
    .option('--force', 'overwrite existing files')
    .addHelpText('after', examples('pai-deploy config init --dir mycluster'))
    .action(dispatch(async () => (await import('./commands/config-init.js')).runConfigInit));
  csvHardwareOptions(
    config
      .command('import-csv')
      .summary("turn OpenPAI v1.0's master.csv and worker.csv into a layout.yaml")
      .description(
        `${"turn OpenPAI v1.0's master.csv and worker.csv into a layout.yaml"}.\n\n` +
          "Turns OpenPAI v1.0's lists (hostname,ip per line; a BOM, CRLF and blank lines are fine) into a v1.5+ layout.yaml. " +
          'The first line of master.csv is the master. The lists carry no hardware, so SKUs come from the options below: ' +
          'review them before deploying.\n',
      )
      .addOption(new Option('--master-csv <file>', 'OpenPAI v1.0 master.csv').argParser(path).makeOptionMandatory())
      .addOption(new Option('--worker-csv <file>', 'OpenPAI v1.0 worker.csv').argParser(path).makeOptionMandatory())
      .addOption(new Option('-o, --output <file>', 'where to write the layout (default: stdout)').argParser(path))
      // The flag's name before --output became the common one; still accepted, no longer shown.
      .addOption(new Option('--out <file>').argParser(path).hideHelp())
      .option('--force', 'overwrite an existing --output file')
      .optionsGroup('Hardware (the lists carry none):'),
  )
    .addHelpText(
      'after',
      examples(
        'pai-deploy config import-csv --master-csv master.csv --worker-csv worker.csv -o layout.yaml',
        'pai-deploy config import-csv --master-csv m.csv --worker-csv w.csv --worker-device nvidia.com/gpu --worker-device-count 8',
      ),
    )
    .action(dispatch(async () => (await import('./commands/config-import-csv.js')).runConfigImportCsv));
  kubeOptions(
    inputOptions(
      config
        .command('push')
        .summary(
          'store layout.yaml, config.yaml and services-configuration.yaml in the cluster (ConfigMap pai-configuration)',
        )
        .description(
          "stores the cluster configuration where OpenPAI's services read it: ConfigMap pai-configuration in default " +
            '(layout.yaml, config.yaml, services-configuration.yaml as `render` writes them) and the cluster id in ' +
            'ConfigMap pai-cluster-id. Merges: keys stored before and not given here stay. Refuses a cluster whose stored ' +
            'id differs unless --force. Conditional on what it read: a push racing another fails and says so instead ' +
            'of losing either. Values never reach the output (they hold passwords).',
        ),
    ),
  )
    .addOption(
      new Option(
        '--services-configuration <file>',
        'push this services-configuration.yaml (hand-edited) instead of the rendered one',
      ).argParser(path),
    )
    .option('--force', 'push to a cluster whose stored cluster id differs (renames it)')
    .option('--dry-run', 'say which keys would change; the server validates the writes (dryRun=All), nothing is stored')
    .addHelpText(
      'after',
      examples(
        'pai-deploy config push -l layout.yaml -c config.yaml',
        'pai-deploy config push -l layout.yaml -c config.yaml --dry-run',
        'pai-deploy config push -l layout.yaml -c config.yaml --services-configuration ./services-configuration.yaml',
      ),
    )
    .action(dispatch(async () => (await import('./commands/cluster.js')).runConfigPush));
  kubeOptions(
    config
      .command('pull')
      .summary('write the configuration stored in the cluster into a directory')
      .description(
        'writes every key of ConfigMap pai-configuration as a file (0600: they hold passwords) into DIR, in one ' +
          'step (staged beside it and swapped in: a failure leaves DIR as it was). Refuses a cluster whose stored id ' +
          'is not --cluster-id.',
      )
      .addOption(new Option('-o, --out <dir>', 'where to write the files').argParser(path).makeOptionMandatory())
      .addOption(
        new Option('--cluster-id <id>', 'the cluster expected (and whose work dir has the kubeconfig)').default('pai'),
      )
      .option('--dry-run', 'say what would be written; write nothing'),
  )
    .addHelpText(
      'after',
      examples(
        'pai-deploy config pull --out ./pulled',
        'pai-deploy config pull --cluster-id lab --kubeconfig ~/.kube/config -o ./pulled',
      ),
    )
    .action(dispatch(async () => (await import('./commands/cluster.js')).runConfigPull));
  config
    .command('schema')
    .description('print the JSON Schema of layout.yaml or config.yaml (for editors and CI)')
    .addArgument(new Command().createArgument('<kind>', 'layout or config').choices(['layout', 'config']))
    .addHelpText(
      'after',
      examples(
        'pai-deploy config schema layout > layout.schema.json',
        'pai-deploy config schema config | jq .properties.ssh_port',
      ),
    )
    .action(dispatch(async () => (await import('./commands/config-schema.js')).runConfigSchema));

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Command().createArgument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples(
        'source <(pai-deploy completion bash)      # in ~/.bashrc',
        'source <(pai-deploy completion zsh)       # in ~/.zshrc',
        'pai-deploy completion fish | source       # in config.fish',
      ),
    )
    .action(
      dispatch(async () => {
        const { runCompletion } = await import('./commands/completion.js');
        // The script is generated from this very program, so completion can never drift from the commands.
        return (_flags: object, env: CommandEnv, args: string[]) => runCompletion(program, env, args);
      }),
    );

  program
    .command('version')
    .description("print pai-deploy's version, the kubespray commit and OpenPAI release it targets, and Node's version")
    .option('--json', 'as JSON')
    .addHelpText('after', examples('pai-deploy version', 'pai-deploy version --json | jq -r .kubespray.commit'))
    .action(dispatch(async () => (await import('./commands/version.js')).runVersion));

  // `help <command> [<subcommand>]`, for nested commands too (commander's own help command takes one word).
  program
    .command('help')
    .description('help for pai-deploy or a command, e.g. pai-deploy help config import-csv')
    .argument('[command...]', 'the command')
    .addHelpText('after', examples('pai-deploy help check', 'pai-deploy help config import-csv'))
    .action((words: string[]) => {
      let target: Command = program;
      for (const word of words) {
        const next = target.commands.find((sub) => sub.name() === word);
        if (!next) {
          target.error(`error: unknown command '${words.join(' ')}'`, {
            code: 'commander.unknownCommand',
            exitCode: 2,
          });
        }
        target = next;
      }
      target.help();
    });

  return program;
}
