/** Help texts live apart from the commands so `--help` loads no heavy module. */
export const commandNames = ['validate', 'render', 'plan', 'check', 'ssh setup-keys', 'config init', 'config import-csv'] as const;

const inputOptions = `Input (one of):
  -l, --layout FILE        OpenPAI layout.yaml (machine-sku, machine-list)
      --master-csv FILE    OpenPAI v1.0 master.csv (hostname,ip per line), with --worker-csv
      --worker-csv FILE    OpenPAI v1.0 worker.csv
  -c, --config FILE        OpenPAI config.yaml (SSH user/key, registry, docker and kubespray knobs)
CSV hardware (machines from CSV lists carry none):
      --master-mem Q       memory of the master, default 40Gi;  --master-vcores N, default 4
      --worker-mem Q       memory of each worker, default 16Gi; --worker-vcores N, default 4
      --worker-device T    device type of each worker, e.g. nvidia.com/gpu (default: none)
      --worker-device-count N, --worker-device-model M`;

export const mainHelp = `pai-deploy: from a list of machines to a running OpenPAI cluster (kubespray release-2.11).

Usage: pai-deploy <command> [options]

Commands:
  validate            check layout.yaml and config.yaml offline, as kubespray 2.11 and OpenPAI would
  render              write the kubespray inventory and OpenPAI's cluster configuration to a directory
  plan                validate, render into the cluster's work dir and print what quick-start would do
  check               pre-flight checks on every machine over SSH, all machines at once
  ssh setup-keys      install the dev-box's public key on machines that accept the password
  config init         write a commented example layout.yaml and config.yaml
  config import-csv   turn OpenPAI v1.0's master.csv and worker.csv into a layout.yaml

Options:
  -h, --help          help for pai-deploy or a command
  -V, --version       print the version

Examples:
  pai-deploy config init --dir mycluster
  pai-deploy validate -l mycluster/layout.yaml -c mycluster/config.yaml
  pai-deploy validate -l layout.yaml -c config.yaml --format json > findings.json
  pai-deploy render -l layout.yaml -c config.yaml --out ./rendered
  pai-deploy plan -l examples/layout.yaml -c examples/config.yaml
  pai-deploy check -l layout.yaml -c config.yaml --format junit --output check.xml

Exit codes: 0 fine, 1 findings or failed work, 2 bad usage or unreadable input, 130 interrupted.
Colour is used on a terminal only, and never when NO_COLOR is set.
`;

export const commandHelp: Record<(typeof commandNames)[number], string> = {
  validate: `Usage: pai-deploy validate (-l layout.yaml | --master-csv F --worker-csv F) -c config.yaml [--format text|json]

Checks the inputs without touching a machine: YAML syntax and types, unknown keys (with "did you mean"),
OpenPAI's layout rules, every kubespray release-2.11 assertion decidable offline (on the effective values:
kubespray defaults < OpenPAI defaults < config.yaml < openpai_kubespray_extra_var), network ranges and SSH access.

${inputOptions}
Output:
      --format text|json   text reads like a compiler (file:line:col severity [code] message);
                           json prints {"valid", "errors": [...], "warnings": [...]}
      --strict             exit 1 on warnings too

Examples:
  pai-deploy validate -l layout.yaml -c config.yaml
  pai-deploy validate --master-csv master.csv --worker-csv worker.csv -c config.yaml --worker-device nvidia.com/gpu --worker-device-count 4
  pai-deploy validate -l layout.yaml -c config.yaml --format json | jq '.errors[].code'

Exit codes: 0 valid, 1 errors found, 2 bad usage or unreadable file.
`,
  render: `Usage: pai-deploy render (-l layout.yaml | --master-csv F --worker-csv F) -c config.yaml --out DIR

Validates, then writes (all files or none; invalid input leaves DIR absent or untouched):
  DIR/inventory/hosts.yml                  kubespray 2.11 inventory (no passwords)
  DIR/inventory/openpai.yml                kubespray extra vars, used as -e @openpai.yml
  DIR/cluster-cfg/layout.yaml              OpenPAI layout
  DIR/cluster-cfg/config.yaml              OpenPAI config, as written
  DIR/cluster-cfg/services-configuration.yaml
Files holding a secret are mode 0600. The same input always gives the same bytes.

${inputOptions}
  -o, --out DIR            output directory (created if missing)
      --format text|json   json prints {"valid", "errors", "warnings", "files": [...]}

Examples:
  pai-deploy render -l layout.yaml -c config.yaml --out ./rendered
  ansible-inventory -i ./rendered/inventory/hosts.yml --graph
`,
  plan: `Usage: pai-deploy plan (-l layout.yaml | --master-csv F --worker-csv F) -c config.yaml [--work-dir DIR]

Validates, renders into the cluster's work dir and prints what quick-start would do with these inputs:
machines per role, the kubespray commit, the dev-box image, the files written and the OpenPAI services in
start order. Contacts no machine and no network.

${inputOptions}
      --work-dir DIR       the cluster's work dir (default: $PAI_DEPLOY_HOME/clusters/<cluster_id>,
                           PAI_DEPLOY_HOME defaulting to ~/.pai-deploy)
      --format text|json

Examples:
  pai-deploy plan -l examples/layout.yaml -c examples/config.yaml
  pai-deploy check -l layout.yaml -c config.yaml --format junit --output check.xml
  pai-deploy plan -l layout.yaml -c config.yaml --work-dir /tmp/pai1 --format json
`,
  check: `Usage: pai-deploy check (-l layout.yaml | --master-csv F --worker-csv F) -c config.yaml [options]

Connects to every machine over SSH (one connection each, no PTY, bounded concurrency) and checks what OpenPAI and
kubespray 2.11 need: SSH and sudo without passwords, OS, hostname, systemd, the layout IP and that it is static,
time sync and clock skew, docker and its version, daemon.json, the NVIDIA runtime as docker's default in
daemon.json, GPU driver and count, CPU and memory against the layout, free ports, leftovers of an earlier
Kubernetes, kubeadm's prerequisites; and on the dev-box: Docker engine, free disk, not part of the cluster. Check
ids: requirement-checks/checks.yaml.

${inputOptions}
Host keys:
      --work-dir DIR           the cluster's work dir; its known_hosts records keys on first contact (printed
                               with their fingerprints); a later change fails ssh.host-key and is never retried
      --known-hosts FILE       use a pre-seeded known_hosts instead: unknown keys fail ...
      --accept-new-host-keys   ... unless this is given (then they are recorded in FILE)
Connections:
      --concurrency N          machines checked at once (default 20)
      --connect-timeout S      SSH handshake timeout (default 10); --connect-attempts N (default 3, with back-off)
      --command-timeout S      per command (default 30); --machine-timeout S per machine (default 300)
      --max-clock-offset S     largest clock difference to the dev-box that passes (default 1)
  Key auth uses ssh_key_file_path (passphrase from PAI_DEPLOY_SSH_PASSPHRASE) and ssh-agent (SSH_AUTH_SOCK);
  password auth and sudo use config.yaml's password, fed on stdin, never on a command line.
Selection and verdict:
      --only IDS, --skip IDS   check ids or globs, comma-separated or repeated (e.g. --skip 'kubeadm.*')
                               machines are asked only what the selected checks read
      --ignore IDS             turn these errors into warnings (like kubeadm's --ignore-preflight-errors)
      --strict                 exit 1 on warnings too
Output:
      --format text|json|junit, -o/--output FILE, -v/--verbose (show skipped checks)

Examples:
  pai-deploy check -l layout.yaml -c config.yaml
  pai-deploy check -l layout.yaml -c config.yaml --format json --output check.json
  pai-deploy check -l layout.yaml -c config.yaml --only 'docker.*,gpu.*' --ignore docker.version
  pai-deploy check -l layout.yaml -c config.yaml --only 'ssh.*'      # reachability and logins only
  pai-deploy check -l layout.yaml -c config.yaml --known-hosts ~/.ssh/known_hosts --format junit -o check.xml

Exit codes: 0 nothing failed, 1 a check failed or a machine was unreachable, 2 bad usage or invalid config.
`,
  'ssh setup-keys': `Usage: pai-deploy ssh setup-keys (-l layout.yaml | --master-csv F --worker-csv F) -c config.yaml [--public-key FILE]

Logs in to every machine with config.yaml's password and appends the dev-box's public key to the user's
~/.ssh/authorized_keys (once), so that ssh.key-auth passes. The public key defaults to ssh_key_file_path + ".pub".
Host keys are handled as by \`check\` (the cluster's known_hosts, trust on first use).

${inputOptions}
      --public-key FILE        the public key to install
      --work-dir DIR, --known-hosts FILE, --accept-new-host-keys, --concurrency N, --format text|json

Examples:
  pai-deploy ssh setup-keys -l layout.yaml -c config.yaml
  pai-deploy ssh setup-keys -l layout.yaml -c config.yaml --public-key ~/.ssh/id_ed25519.pub
`,
  'config init': `Usage: pai-deploy config init [--dir DIR] [--force]

Writes DIR/layout.yaml and DIR/config.yaml (default DIR: the current directory), commented examples of every
key. Existing files are kept unless --force is given.

Examples:
  pai-deploy config init --dir mycluster
`,
  'config import-csv': `Usage: pai-deploy config import-csv --master-csv F --worker-csv F [-o layout.yaml] [hardware options]

Turns OpenPAI v1.0's lists (hostname,ip per line; a BOM, CRLF and blank lines are fine) into a v1.5+ layout.yaml.
The first line of master.csv is the master. The lists carry no hardware, so SKUs come from the options below:
review them before deploying.

      --master-csv FILE, --worker-csv FILE
  -o, --out FILE           where to write the layout (default: stdout)
      --force              overwrite an existing --out file
      --master-mem Q, --master-vcores N, --worker-mem Q, --worker-vcores N
      --worker-device T, --worker-device-count N, --worker-device-model M

Examples:
  pai-deploy config import-csv --master-csv master.csv --worker-csv worker.csv -o layout.yaml
  pai-deploy config import-csv --master-csv m.csv --worker-csv w.csv --worker-device nvidia.com/gpu --worker-device-count 8
`,
};
