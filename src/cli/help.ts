/** Help texts live apart from the commands so `--help` loads no heavy module. */
export const commandNames = ['validate', 'render', 'plan', 'config init', 'config import-csv'] as const;

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
  pai-deploy plan -l layout.yaml -c config.yaml --work-dir /tmp/pai1 --format json
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
