import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveUserPath } from '../../config/user-path.js';
import { jsonSchema, schemaFileName } from '../../config/json-schema.js';
import { InterruptedError } from '../../errors.js';
import type { Finding } from '../../findings/finding.js';
import { workDirFor } from '../../model/work-dir.js';
import type { IoHost, IoQuestion, IoVerdict } from '../../ports/io-host.js';
import type { FileToWrite, Ports } from '../../ports/ports.js';
import { initialAnswers, listAnswer, wholeNumber, type WizardAnswers } from './answers.js';
import { checkAnswers, findingsAt, promptText, type CandidatePaths, type Owned } from './check-answers.js';
import { csvFindingText, csvMachines, parsePastedMachines, PASTE_TEMPLATE, readCsv } from './machine-list.js';
import type { PythonInterpreter } from '../../checks/parsers/python.js';
import { describeHardware, sshProbe, type Hardware, type MachineProbe, type ProbeResult } from './probe.js';
import { choosePython } from './python-choice.js';
import { setupKeys } from './setup-keys.js';
import { planSkus, type SkuPlan } from './sku-plan.js';
import { summaryText } from './summary.js';

export interface WizardDeps {
  ports: Ports;
  /** Relative answers (CSV paths, the options' dir) are read from here. */
  cwd: string;
  /** The run's abort signal (Ctrl-C): the wizard stops at once and writes nothing. */
  signal: AbortSignal;
  /** Reads the machines' GPUs, CPUs and memory; default: over SSH with the pre-flight engine's facts (sshProbe). */
  probe?: MachineProbe;
  /** PAI_DEPLOY_HOME, SSH_AUTH_SOCK, PAI_DEPLOY_SSH_PASSPHRASE; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** quick-start's --work-dir, where the probe records host keys; default the cluster id's work dir. */
  workDir?: string;
}

export interface WizardOptions {
  /** Where layout.yaml and config.yaml (and their JSON Schemas) are written. */
  dir: string;
}

export interface WizardResult {
  layoutPath: string;
  configPath: string;
}

/**
 * `pai-deploy quick-start` without files, on a terminal: asks for the cluster, checks every answer on the spot with
 * the same rules as `pai-deploy validate` (the finding's message is shown under the prompt, the answer asked again),
 * reads the machines' hardware over SSH to prefill the SKUs, shows a summary, and only then writes layout.yaml and
 * config.yaml (0600) in one step. Resolves undefined when the user declines at the summary; Ctrl-C (or an abort of
 * the run) rejects with an InterruptedError. Either way nothing is written.
 *
 * Every question goes through the IoHost: a host without a terminal answers with the defaults and refuses the rest
 * with a UsageError naming --layout or --config (quick-start prints scriptedRunHelp() before it gets here).
 */
export async function runQuickStartWizard(
  io: IoHost,
  deps: WizardDeps,
  options: WizardOptions,
): Promise<WizardResult | undefined> {
  return new Wizard(io, deps, options).run();
}

type AskInput = {
  code: string;
  text: string;
  default?: string;
  flag: '--layout' | '--config';
  /** The fields the answer fills: findings there are shown under the prompt. */
  owned: readonly Owned[];
  /** Puts the answer into (a copy of) the answers. */
  apply: (answers: WizardAnswers, value: string) => void;
  /** How a finding reads under the prompt (default: its message and hint). */
  show?: (finding: Finding) => string;
  /** Refuses an answer before validation (a message), or accepts it as is (true). */
  precheck?: (value: string) => IoVerdict | undefined | Promise<IoVerdict | undefined>;
};

class Wizard {
  readonly #io: IoHost;
  readonly #deps: WizardDeps;
  readonly #paths: CandidatePaths;
  readonly #dir: string;
  readonly #env: NodeJS.ProcessEnv;
  #answers: WizardAnswers = initialAnswers();

  constructor(io: IoHost, deps: WizardDeps, options: WizardOptions) {
    this.#io = io;
    this.#deps = deps;
    this.#dir = resolve(deps.cwd, options.dir);
    this.#paths = { layoutPath: join(this.#dir, 'layout.yaml'), configPath: join(this.#dir, 'config.yaml') };
    this.#env = deps.env ?? process.env;
  }

  async run(): Promise<WizardResult | undefined> {
    this.#io.notify({
      level: 'info',
      code: 'wizard.intro',
      text:
        `No layout.yaml and config.yaml yet: a few questions write them to ${this.#dir}. Every answer is checked ` +
        'like `pai-deploy validate` checks the files; nothing is written before the summary, and Ctrl-C stops ' +
        'without writing anything.',
    });
    if (!(await this.#mayOverwrite())) return this.#declined();
    await this.#askClusterId();
    await this.#askLogin();
    await this.#askMachines();
    const hardware = await this.#probe();
    await this.#askSkus(hardware);
    await this.#askRegistry();
    await this.#askNetwork();
    await this.#askAdvanced();
    return this.#summaryAndWrite();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Asking

  #checkSignal(): void {
    const signal = this.#deps.signal;
    if (!signal.aborted) return;
    const reason: unknown = signal.reason;
    if (reason instanceof InterruptedError) throw reason;
    throw new InterruptedError(typeof reason === 'string' ? reason : 'SIGINT');
  }

  async #request<T>(question: IoQuestion<T>): Promise<T> {
    this.#checkSignal();
    const answer = await this.#io.request(question);
    this.#checkSignal();
    return answer;
  }

  /**
   * The answers a question's value is checked with: unanswered parts that other rules would complain about are
   * filled with neutral stand-ins (a login, a SKU for machines without one), so a finding under a prompt is about
   * that prompt's answer. Only findings at the question's own fields are shown anyway.
   */
  #candidate(apply?: (answers: WizardAnswers) => void): WizardAnswers {
    const answers = structuredClone(this.#answers);
    apply?.(answers);
    if (answers.ssh.keyFile === undefined && answers.ssh.password === undefined) answers.ssh.password = 'stand-in';
    if (answers.machines.some((machine) => machine.sku === undefined)) {
      const pending = 'wizard-pending';
      for (const machine of answers.machines) machine.sku ??= pending;
      if (!answers.skus.some((sku) => sku.name === pending))
        answers.skus.push({ name: pending, mem: '1Gi', vcores: 1, device: undefined });
    }
    return answers;
  }

  /** The errors (and warnings) `validate` would report at the owned fields if `apply` were answered. */
  async #findings(
    owned: readonly Owned[],
    apply?: (answers: WizardAnswers) => void,
  ): Promise<{ errors: Finding[]; warnings: Finding[] }> {
    const check = await checkAnswers(this.#candidate(apply), this.#paths, this.#deps.signal);
    return {
      errors: findingsAt(check.errors, owned, this.#paths),
      warnings: findingsAt(check.warnings, owned, this.#paths),
    };
  }

  async #input(question: AskInput): Promise<string> {
    const validate = async (value: string): Promise<IoVerdict> => {
      const early = await question.precheck?.(value);
      if (early !== undefined) return early;
      const { errors } = await this.#findings(question.owned, (answers) => question.apply(answers, value));
      return verdictOf(errors, question.show ?? promptText);
    };
    const value = await this.#request<string>({
      kind: 'input',
      code: question.code,
      text: question.text,
      ...(question.default !== undefined ? { default: question.default } : {}),
      flag: question.flag,
      validate,
    });
    question.apply(this.#answers, value);
    await this.#warn(question.owned);
    return value;
  }

  /** Warnings at the fields just answered are told once (they do not stop the answer). */
  async #warn(owned: readonly Owned[]): Promise<void> {
    const { warnings } = await this.#findings(owned);
    for (const warning of warnings) {
      this.#io.notify({ level: 'warn', code: `wizard.${warning.code}`, text: promptText(warning) });
    }
  }

  async #confirm(code: string, text: string, fallback: boolean, flag?: string): Promise<boolean> {
    return this.#request<boolean>({ kind: 'confirm', code, text, default: fallback, ...(flag ? { flag } : {}) });
  }

  // -------------------------------------------------------------------------------------------------------------
  // The questions

  async #mayOverwrite(): Promise<boolean> {
    const existing: string[] = [];
    for (const path of [this.#paths.layoutPath, this.#paths.configPath]) {
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        existing.push(path);
    }
    if (existing.length === 0) return true;
    return this.#confirm(
      'wizard.overwrite',
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; replace after the questions?`,
      false,
    );
  }

  async #askClusterId(): Promise<void> {
    await this.#input({
      code: 'wizard.cluster-id',
      text: 'Cluster id (lowercase letters, digits and "-"; names the work dir and the OpenPAI cluster)',
      default: this.#answers.clusterId,
      flag: '--config',
      owned: [{ file: 'config', path: 'cluster_id' }],
      apply: (answers, value) => {
        answers.clusterId = value.trim();
      },
    });
  }

  async #askLogin(): Promise<void> {
    const ssh = this.#answers.ssh;
    await this.#input({
      code: 'wizard.ssh-user',
      text: 'SSH user on every machine (it needs sudo)',
      ...(ssh.user !== '' ? { default: ssh.user } : {}),
      flag: '--config',
      owned: [{ file: 'config', path: 'user' }],
      apply: (answers, value) => {
        answers.ssh.user = value.trim();
      },
    });
    await this.#input({
      code: 'wizard.ssh-port',
      text: 'SSH port',
      default: String(ssh.port),
      flag: '--config',
      owned: [{ file: 'config', path: 'ssh_port' }],
      apply: (answers, value) => {
        answers.ssh.port = wholeNumber(value);
      },
    });
    const method = await this.#request<'key' | 'password'>({
      kind: 'select',
      code: 'wizard.ssh-auth',
      text: `How does pai-deploy log in as ${ssh.user}?`,
      choices: [
        { value: 'key', name: 'with an SSH key (its public half in ~/.ssh/authorized_keys on every machine)' },
        { value: 'password', name: 'with a password (kept only in config.yaml, mode 0600)' },
      ],
      default: ssh.password !== undefined && ssh.keyFile === undefined ? 'password' : 'key',
      flag: '--config',
    });
    if (method === 'key') {
      await this.#askKeyFile('wizard.ssh-key', 'Private key file');
      const sudoPassword = await this.#confirm(
        'wizard.sudo-password',
        `Does sudo ask ${ssh.user} for a password on the machines?`,
        ssh.password !== undefined,
        '--config',
      );
      ssh.password = sudoPassword ? await this.#askPassword('Password of the user for sudo') : undefined;
    } else {
      ssh.keyFile = undefined;
      ssh.password = await this.#askPassword(`Password of ${ssh.user} (SSH and sudo)`);
    }
  }

  async #askKeyFile(code: string, text: string, needPublic = false): Promise<string> {
    return this.#input({
      code,
      text,
      default: this.#answers.ssh.keyFile ?? guessKeyFile(),
      flag: '--config',
      owned: [{ file: 'config', path: 'ssh_key_file_path' }],
      apply: (answers, value) => {
        answers.ssh.keyFile = value.trim();
      },
      precheck: (value) => {
        if (value.trim() === '') return 'give the path of the private key, e.g. ~/.ssh/id_ed25519';
        if (!needPublic) return undefined;
        const pub = `${resolveUserPath(value.trim(), this.#dir)}.pub`;
        return existsSync(pub)
          ? undefined
          : `${pub} does not exist: the public key is installed on the machines\n  hint: Create the pair with ssh-keygen -t ed25519.`;
      },
    });
  }

  async #askPassword(text: string): Promise<string> {
    const value = await this.#request<string>({
      kind: 'password',
      code: 'wizard.ssh-password',
      text,
      flag: '--config',
      validate: async (given) => {
        if (given === '') return 'the password is empty';
        const { errors } = await this.#findings([{ file: 'config', path: 'password' }], (answers) => {
          answers.ssh.password = given;
        });
        return verdictOf(errors, promptText);
      },
    });
    return value;
  }

  async #askMachines(): Promise<void> {
    for (;;) {
      const method = await this.#request<'type' | 'paste' | 'csv'>({
        kind: 'select',
        code: 'wizard.machines',
        text: 'The machines: the master and the workers',
        choices: [
          { value: 'type', name: 'type them one by one' },
          { value: 'paste', name: 'paste a list, one "hostname ip" per line (opens your editor)' },
          { value: 'csv', name: "import OpenPAI v1.0's master.csv and worker.csv" },
        ],
        default: 'type',
        flag: '--layout',
      });
      const done =
        method === 'type'
          ? await this.#typeMachines()
          : method === 'paste'
            ? await this.#pasteMachines()
            : await this.#importCsv();
      if (done) break;
    }
    const master = this.#answers.machines.find((machine) => machine.role === 'master');
    const workers = this.#answers.machines.filter((machine) => machine.role === 'worker');
    this.#io.notify({
      level: 'info',
      code: 'wizard.machines',
      text: `master ${master?.hostname ?? '?'} (${master?.ip ?? '?'}), ${workers.length} worker${workers.length === 1 ? '' : 's'}: ${workers.map((worker) => worker.hostname).join(', ')}`,
    });
  }

  async #typeMachines(): Promise<boolean> {
    this.#answers.machines = [];
    const machine = async (index: number, role: 'master' | 'worker'): Promise<boolean> => {
      const label = role === 'master' ? 'Master' : `Worker ${index}`;
      const at = `machine-list[${index}]`;
      const hostname = await this.#input({
        code: `wizard.${role}-hostname`,
        text:
          role === 'master'
            ? 'Master hostname (runs Kubernetes control plane and OpenPAI services; becomes its node name)'
            : `${label} hostname (empty when all workers are in)`,
        flag: '--layout',
        owned: [{ file: 'layout', path: `${at}.hostname` }],
        show: typedMachineText,
        apply: (answers, value) => {
          if (role === 'worker' && value.trim() === '') return;
          answers.machines[index] = { hostname: value.trim(), ip: '', role, sku: undefined };
        },
        precheck: (value) => {
          if (role === 'master' || value.trim() !== '') return undefined;
          return index > 1 ? true : 'OpenPAI needs at least one worker: give its hostname';
        },
      });
      if (hostname.trim() === '') return false;
      await this.#input({
        code: `wizard.${role}-ip`,
        text: `${label} IPv4 address (static, on the cluster network)`,
        flag: '--layout',
        owned: [{ file: 'layout', path: `${at}.hostip` }],
        show: typedMachineText,
        apply: (answers, value) => {
          const entry = answers.machines[index];
          if (entry) entry.ip = value.trim();
        },
      });
      return true;
    };
    await machine(0, 'master');
    for (let index = 1; await machine(index, 'worker'); index++);
    return true;
  }

  async #pasteMachines(): Promise<boolean> {
    const owned: Owned[] = [{ file: 'layout', path: 'machine-list' }];
    const text = await this.#request<string>({
      kind: 'editor',
      code: 'wizard.machine-list',
      text: 'Machine list: one "hostname ip" per line, the master first',
      default: PASTE_TEMPLATE,
      postfix: '.txt',
      flag: '--layout',
      validate: async (value) => {
        const pasted = parsePastedMachines(value);
        if (pasted.problems.length > 0) return pasted.problems.join('\n');
        if (pasted.machines.length === 0) return true;
        const { errors } = await this.#findings(owned, (answers) => {
          answers.machines = pasted.machines;
        });
        return verdictOf(errors, (finding) => atLines(finding, pasted.lines));
      },
    });
    const pasted = parsePastedMachines(text);
    if (pasted.machines.length === 0) return false;
    this.#answers.machines = pasted.machines;
    await this.#warn(owned);
    return true;
  }

  async #importCsv(): Promise<boolean> {
    const read = async (value: string) => readCsv(resolve(this.#deps.cwd, value.trim()));
    const masterFile = await this.#request<string>({
      kind: 'input',
      code: 'wizard.master-csv',
      text: 'master.csv (OpenPAI v1.0: "hostname,ip" per line; the first line is the master)',
      default: 'master.csv',
      flag: '--master-csv',
      validate: async (value) => {
        const file = await read(value);
        return file.ok ? true : file.message;
      },
    });
    const owned: Owned[] = [{ file: 'layout', path: 'machine-list' }];
    const load = async (workerFile: string) => {
      const [master, worker] = await Promise.all([read(masterFile), read(workerFile)]);
      if (!master.ok) return { message: master.message };
      if (!worker.ok) return { message: worker.message };
      return csvMachines(
        { file: resolve(this.#deps.cwd, masterFile.trim()), text: master.text },
        { file: resolve(this.#deps.cwd, workerFile.trim()), text: worker.text },
      );
    };
    const workerFile = await this.#request<string>({
      kind: 'input',
      code: 'wizard.worker-csv',
      text: 'worker.csv',
      default: 'worker.csv',
      flag: '--worker-csv',
      validate: async (value) => {
        const csv = await load(value);
        if ('message' in csv) return csv.message;
        const errors = csv.findings.filter((finding) => finding.severity === 'error');
        if (errors.length > 0) return verdictOf(errors, csvFindingText);
        const found = await this.#findings(owned, (answers) => {
          answers.machines = csv.machines;
        });
        return verdictOf(found.errors, (finding) => csvRowText(finding, csv.locate));
      },
    });
    const csv = await load(workerFile);
    if ('message' in csv) return false;
    for (const finding of csv.findings)
      this.#io.notify({ level: 'warn', code: `wizard.${finding.code}`, text: csvFindingText(finding) });
    this.#answers.machines = csv.machines;
    await this.#warn(owned);
    return true;
  }

  /**
   * Reads every machine's GPUs, CPUs and memory over SSH (with the login just given), to prefill the SKUs. A login
   * that fails can be changed and tried again; machines that accept only the password can get a key installed
   * (`ssh setup-keys`). Machines that cannot be reached are asked about without prefilled answers.
   */
  async #probe(): Promise<Map<string, Hardware>> {
    const hardware = new Map<string, Hardware>();
    const knownHosts = workDirFor(this.#answers.clusterId, this.#deps.workDir, this.#env).knownHosts;
    const count = this.#answers.machines.length;
    const go = await this.#confirm(
      'wizard.probe',
      `Connect to the ${count} machine${count === 1 ? '' : 's'} over SSH now to read their GPUs, CPUs and memory? (read-only; host keys are recorded in ${knownHosts} on first contact)`,
      true,
    );
    if (!go) return hardware;
    const probe = this.#deps.probe ?? sshProbe(this.#deps.ports, { env: this.#env });
    for (;;) {
      const ssh = this.#answers.ssh;
      const results = await probe({
        targets: this.#answers.machines.map((machine) => ({ hostname: machine.hostname, ip: machine.ip })),
        login: {
          user: ssh.user,
          port: typeof ssh.port === 'number' ? ssh.port : 22,
          keyFile: ssh.keyFile === undefined ? undefined : resolveUserPath(ssh.keyFile, this.#dir),
          password: ssh.password,
        },
        knownHostsPath: knownHosts,
        io: this.#io,
        signal: this.#deps.signal,
      });
      this.#checkSignal();
      for (const result of results) this.#tellProbe(result);
      const authFailed = results.filter((result) => !result.ok && result.failure.kind === 'auth');
      if (authFailed.length > 0) {
        const again = await this.#confirm(
          'wizard.login-again',
          `The login failed on ${names(authFailed)}. Change the login and connect again?`,
          true,
        );
        if (again) {
          await this.#askLogin();
          continue;
        }
      }
      hardware.clear();
      for (const result of results) if (result.ok) hardware.set(result.hostname, result.hardware);
      this.#choosePython(results);
      const passwordOnly = results.filter((result) => result.ok && result.authMethod === 'password');
      if (passwordOnly.length > 0) await this.#offerSetupKeys(passwordOnly.map((result) => result.hostname));
      return hardware;
    }
  }

  /**
   * Sets ansible_python_interpreter when /usr/bin/python will not do for kubespray's Ansible 2.7 and a path every
   * probed machine has will; says what it decided either way, so the admin knows before `check` warns.
   */
  #choosePython(results: readonly ProbeResult[]): void {
    const found = new Map<string, PythonInterpreter[]>();
    for (const result of results) if (result.ok) found.set(result.hostname, result.pythons);
    const choice = choosePython(found);
    this.#answers.ansiblePython = choice?.kind === 'set' ? choice.path : undefined;
    if (choice === undefined || choice.kind === 'default') return;
    const unprobed = results.length - found.size;
    const among = unprobed > 0 ? ` (${unprobed} machine${unprobed === 1 ? ' was' : 's were'} not probed)` : '';
    if (choice.kind === 'set') {
      this.#io.notify({
        level: 'info',
        code: 'wizard.python',
        text:
          `kubespray's Ansible 2.7 will run its modules with ${choice.path} (Python ${choice.versions.join(', ')} ` +
          `on every probed machine${among}; /usr/bin/python would not do): written as ansible_python_interpreter ` +
          'in openpai_kubespray_extra_var.' +
          (choice.apt ? '' : " It has no apt bindings (python-apt), which kubespray's apt tasks may need."),
        data: { path: choice.path, versions: choice.versions, apt: choice.apt },
      });
      return;
    }
    this.#io.notify({
      level: 'warn',
      code: 'wizard.python-missing',
      text:
        (choice.missing.length > 0
          ? `No Python kubespray's Ansible 2.7 can use (2.7 or 3.5 to 3.7) on ${choice.missing.join(', ')}`
          : 'The machines have usable Pythons, but at no path they all share') +
        `${among}: install one as /usr/bin/python before deploying (pai-deploy check says where it is missing), or ` +
        'set ansible_python_interpreter in openpai_kubespray_extra_var.',
      data: { missing: choice.missing },
    });
  }

  #tellProbe(result: ProbeResult): void {
    if (result.ok) {
      this.#io.notify({
        level: 'info',
        code: 'wizard.probed',
        host: result.hostname,
        text: describeHardware(result.hardware),
        data: { ...result.hardware, authMethod: result.authMethod },
      });
    } else {
      this.#io.notify({
        level: 'warn',
        code: 'wizard.probe-failed',
        host: result.hostname,
        text: `not probed (${result.failure.kind}): ${result.failure.message}; its SKU is asked without prefilled answers`,
      });
    }
  }

  async #offerSetupKeys(hostnames: string[]): Promise<void> {
    const n = hostnames.length;
    const install = await this.#confirm(
      'wizard.setup-keys',
      `${n === this.#answers.machines.length ? 'Every machine accepts' : `${n} machine${n === 1 ? '' : 's'} (${hostnames.join(', ')}) accept${n === 1 ? 's' : ''}`} only the password. Install an SSH key there now (pai-deploy ssh setup-keys), so the deployment logs in with the key?`,
      true,
    );
    if (!install) return;
    const previousKey = this.#answers.ssh.keyFile;
    const key = await this.#askKeyFile(
      'wizard.setup-keys-key',
      'Private key whose public half (<key>.pub) goes into ~/.ssh/authorized_keys',
      true,
    );
    const keyPath = resolveUserPath(key.trim(), this.#dir);
    // The key goes on with the password login (the key is not there yet).
    const check = await checkAnswers(
      this.#candidate((answers) => {
        answers.ssh.keyFile = undefined;
      }),
      this.#paths,
      this.#deps.signal,
    );
    if (!check.spec) return;
    const results = await setupKeys({
      spec: check.spec,
      paths: this.#paths,
      publicKeyFile: `${keyPath}.pub`,
      hostnames,
      workDir: this.#deps.workDir,
      env: this.#env,
      io: this.#io,
      ports: this.#deps.ports,
      signal: this.#deps.signal,
    });
    const failed = results.filter((result) => result.status === 'failed');
    for (const result of failed) {
      this.#io.notify({
        level: 'warn',
        code: 'wizard.setup-keys-failed',
        host: result.hostname,
        text: `the key could not be installed: ${result.message}`,
      });
    }
    if (failed.length === results.length) {
      this.#answers.ssh.keyFile = previousKey;
      return;
    }
    this.#io.notify({
      level: 'info',
      code: 'wizard.setup-keys-done',
      text: `installed ${keyPath}.pub on ${results.length - failed.length} machine${results.length - failed.length === 1 ? '' : 's'}; config.yaml names the key and keeps the password for sudo (remove it once sudo needs none)`,
    });
  }

  async #askSkus(hardware: ReadonlyMap<string, Hardware>): Promise<void> {
    const plans = planSkus(this.#answers.machines, hardware);
    this.#answers.skus = [];
    for (const machine of this.#answers.machines) machine.sku = undefined;
    for (const plan of plans) await this.#askSku(plan);
  }

  async #askSku(plan: SkuPlan): Promise<void> {
    const name = plan.name;
    const at = `machine-sku.${name}`;
    this.#answers.skus.push({ name, mem: plan.defaults.mem, vcores: plan.defaults.vcores, device: undefined });
    for (const machine of this.#answers.machines) if (plan.hostnames.includes(machine.hostname)) machine.sku = name;
    const sku = () => this.#answers.skus.find((entry) => entry.name === name)!;
    const where = `${plan.hostnames.slice(0, 3).join(', ')}${plan.hostnames.length > 3 ? `, +${plan.hostnames.length - 3}` : ''}`;
    this.#io.notify({
      level: 'info',
      code: 'wizard.sku',
      text: `SKU ${name} (${plan.role === 'master' ? 'the master' : where}): ${plan.probed ? 'defaults read from the machines' : 'defaults are guesses (not probed)'}`,
    });
    const skuOf = (answers: WizardAnswers) => answers.skus.find((entry) => entry.name === name)!;
    if (plan.role === 'worker') {
      const type = await this.#request<string>({
        kind: 'select',
        code: 'wizard.device-type',
        text: `GPUs of ${name}'s machines`,
        choices: [
          { value: 'nvidia.com/gpu', name: 'NVIDIA GPUs (nvidia.com/gpu)' },
          { value: 'amd.com/gpu', name: 'AMD GPUs (amd.com/gpu)' },
          { value: 'other', name: 'another device (its device plugin resource name)' },
          { value: 'none', name: 'none: CPU only' },
        ],
        default: plan.defaults.gpus > 0 ? 'nvidia.com/gpu' : 'none',
        flag: '--layout',
      });
      if (type !== 'none') {
        const device = {
          type,
          model: plan.defaults.gpuModel ?? '',
          count: plan.defaults.gpus > 0 ? plan.defaults.gpus : 1,
        };
        sku().device = device;
        if (type === 'other') {
          await this.#input({
            code: 'wizard.device-type-name',
            text: 'Device resource name (vendor/resource, e.g. enflame.com/dtu)',
            flag: '--layout',
            owned: [{ file: 'layout', path: `${at}.computing-device.type` }],
            apply: (answers, value) => {
              skuOf(answers).device!.type = value.trim();
            },
          });
        }
        await this.#input({
          code: 'wizard.device-model',
          text: 'Device model (informational, e.g. V100)',
          ...(device.model !== '' ? { default: device.model } : {}),
          flag: '--layout',
          owned: [{ file: 'layout', path: `${at}.computing-device.model` }],
          apply: (answers, value) => {
            skuOf(answers).device!.model = value.trim();
          },
          precheck: (value) => (value.trim() === '' ? 'give the model, e.g. V100 (OpenPAI requires one)' : undefined),
        });
        await this.#input({
          code: 'wizard.device-count',
          text: 'Devices per machine',
          default: String(device.count),
          flag: '--layout',
          owned: [{ file: 'layout', path: `${at}.computing-device` }],
          apply: (answers, value) => {
            skuOf(answers).device!.count = wholeNumber(value);
          },
        });
      }
    }
    await this.#input({
      code: 'wizard.vcores',
      text: 'CPU cores per machine',
      default: String(plan.defaults.vcores),
      flag: '--layout',
      owned: [{ file: 'layout', path: `${at}.cpu` }],
      apply: (answers, value) => {
        skuOf(answers).vcores = wholeNumber(value);
      },
    });
    await this.#input({
      code: 'wizard.mem',
      text: 'Memory per machine (a Kubernetes quantity, e.g. 60Gi)',
      default: plan.defaults.mem,
      flag: '--layout',
      owned: [{ file: 'layout', path: `${at}.mem` }],
      apply: (answers, value) => {
        skuOf(answers).mem = value.trim();
      },
    });
  }

  async #askRegistry(): Promise<void> {
    const registry = this.#answers.registry;
    await this.#input({
      code: 'wizard.registry-domain',
      text: "Registry of OpenPAI's images",
      default: registry.domain,
      flag: '--config',
      owned: [{ file: 'config', path: 'docker_registry_domain' }],
      apply: (answers, value) => {
        answers.registry.domain = value.trim();
      },
    });
    await this.#input({
      code: 'wizard.registry-namespace',
      text: 'Image namespace in that registry',
      default: registry.namespace,
      flag: '--config',
      owned: [{ file: 'config', path: 'docker_registry_namespace' }],
      apply: (answers, value) => {
        answers.registry.namespace = value.trim();
      },
    });
    await this.#input({
      code: 'wizard.image-tag',
      text: 'OpenPAI release (docker_image_tag)',
      default: registry.tag,
      flag: '--config',
      owned: [{ file: 'config', path: 'docker_image_tag' }],
      apply: (answers, value) => {
        answers.registry.tag = value.trim();
      },
    });
  }

  async #askNetwork(): Promise<void> {
    this.#answers.networkPlugin = await this.#request<string>({
      kind: 'select',
      code: 'wizard.network-plugin',
      text: 'Kubernetes network plugin',
      choices: [
        { value: 'calico', name: 'calico (the default)' },
        { value: 'weave', name: 'weave (required on Azure)' },
      ],
      default: this.#answers.networkPlugin,
      flag: '--config',
    });
    await this.#warn([{ file: 'config', path: 'openpai_kube_network_plugin' }]);
  }

  async #askAdvanced(): Promise<void> {
    const advanced = await this.#confirm(
      'wizard.advanced',
      'Change advanced docker and registry settings (docker data root, insecure registries, mirrors, registry login)?',
      false,
      '--config',
    );
    if (!advanced) return;
    await this.#input({
      code: 'wizard.docker-data-root',
      text: "Docker's data root on the machines",
      default: this.#answers.advanced.dockerDataRoot ?? '/mnt/docker',
      flag: '--config',
      owned: [{ file: 'config', path: 'docker_data_root' }],
      apply: (answers, value) => {
        answers.advanced.dockerDataRoot = value.trim();
      },
    });
    await this.#input({
      code: 'wizard.insecure-registries',
      text: 'Insecure registries docker may pull from (host:port, comma-separated; empty for none)',
      default: (this.#answers.advanced.insecureRegistries ?? []).join(', '),
      flag: '--config',
      owned: [{ file: 'config', path: 'openpai_docker_insecure_registries' }],
      apply: (answers, value) => {
        answers.advanced.insecureRegistries = listAnswer(value);
      },
    });
    await this.#input({
      code: 'wizard.registry-mirrors',
      text: 'Registry mirrors (URLs, comma-separated; empty for none)',
      default: (this.#answers.advanced.registryMirrors ?? []).join(', '),
      flag: '--config',
      owned: [{ file: 'config', path: 'openpai_docker_registry_mirrors' }],
      apply: (answers, value) => {
        answers.advanced.registryMirrors = listAnswer(value);
      },
    });
    const username = await this.#input({
      code: 'wizard.registry-username',
      text: `User for ${this.#answers.registry.domain} (empty when the images are public)`,
      default: this.#answers.registry.username ?? '',
      flag: '--config',
      owned: [{ file: 'config', path: 'docker_registry_username' }],
      apply: (answers, value) => {
        answers.registry.username = value.trim() === '' ? undefined : value.trim();
        // Asked next; a stand-in so that "username without password" is not reported here.
        if (answers.registry.username !== undefined) answers.registry.password ??= 'stand-in';
        else answers.registry.password = undefined;
      },
    });
    if (username.trim() === '') {
      this.#answers.registry.password = undefined;
      return;
    }
    this.#answers.registry.password = await this.#request<string>({
      kind: 'password',
      code: 'wizard.registry-password',
      text: `Password of ${username.trim()} for the registry`,
      flag: '--config',
      validate: async (given) => {
        if (given === '') return 'the password is empty';
        const { errors } = await this.#findings([{ file: 'config', path: 'docker_registry_password' }], (answers) => {
          answers.registry.password = given;
        });
        return verdictOf(errors, promptText);
      },
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // The summary and the write

  async #summaryAndWrite(): Promise<WizardResult | undefined> {
    const check = await checkAnswers(this.#answers, this.#paths, this.#deps.signal);
    this.#io.notify({ level: 'info', code: 'wizard.summary', text: summaryText(this.#answers, this.#paths) });
    for (const finding of [...check.errors, ...check.warnings]) {
      this.#io.notify({
        level: finding.severity === 'error' ? 'error' : 'warn',
        code: `wizard.${finding.code}`,
        text: `${finding.file}:${finding.line}:${finding.column} [${finding.code}] ${finding.message}\n    hint: ${finding.hint}`,
      });
    }
    const write = await this.#confirm(
      'wizard.write',
      check.errors.length > 0
        ? `Write them anyway? pai-deploy validate reports ${check.errors.length} error${check.errors.length === 1 ? '' : 's'} until they are fixed`
        : `Write ${this.#paths.layoutPath} and ${this.#paths.configPath}?`,
      check.errors.length === 0,
    );
    if (!write) return this.#declined();
    this.#checkSignal();
    const files: FileToWrite[] = [
      { path: 'layout.yaml', content: check.files.layout, mode: 0o644, description: 'layout.yaml' },
      // The SSH password (if any) lives here and nowhere else: private from the first byte.
      { path: 'config.yaml', content: check.files.config, mode: 0o600, description: 'config.yaml' },
      ...(['layout', 'config'] as const).map((kind) => ({
        path: schemaFileName(kind),
        content: JSON.stringify(jsonSchema(kind), null, 2) + '\n',
        mode: 0o644,
        description: `JSON Schema of ${kind}.yaml`,
      })),
    ];
    await this.#deps.ports.writeFiles(this.#dir, files, this.#deps.signal);
    this.#io.notify({
      level: 'info',
      code: 'wizard.written',
      text: `wrote ${this.#paths.layoutPath} and ${this.#paths.configPath} (0600)`,
      data: { layoutPath: this.#paths.layoutPath, configPath: this.#paths.configPath },
    });
    return { ...this.#paths };
  }

  #declined(): undefined {
    this.#io.notify({ level: 'info', code: 'wizard.declined', text: 'nothing was written' });
    return undefined;
  }
}

/** The refusal under a prompt: the first finding, and how many more there are. */
function verdictOf(errors: readonly Finding[], show: (finding: Finding) => string): IoVerdict {
  const [first, ...rest] = errors;
  if (first === undefined) return true;
  return rest.length === 0 ? show(first) : `${show(first)}\n(and ${rest.length} more)`;
}

/** A finding about a pasted machine, told by its line: `line 3: hostname "x" is already used by line 1`. */
function atLines(finding: Finding, lines: readonly number[]): string {
  const line = (index: string) => `line ${lines[Number(index)] ?? Number(index) + 1}`;
  const message = finding.message
    .replace(
      /^machine-list\[(\d+)\](\.[a-z-]+)?: /,
      (_all, index: string, field: string | undefined) => `${line(index)}${field ? ` (${field.slice(1)})` : ''}: `,
    )
    .replace(/machine-list\[(\d+)\]/g, (_all, index: string) => line(index));
  return finding.hint ? `${message}\n  hint: ${finding.hint}` : message;
}

/** A finding about a typed machine, the machines named as they were asked: `the master`, `worker 2`. */
function typedMachineText(finding: Finding): string {
  return promptText(finding).replace(/machine-list\[(\d+)\]/g, (_all, index: string) =>
    index === '0' ? 'the master' : `worker ${index}`,
  );
}

/** A finding about an imported machine, told by its CSV row. */
function csvRowText(finding: Finding, locate: (index: number) => string): string {
  const message = finding.message
    .replace(/^machine-list\[(\d+)\](\.[a-z-]+)?: /, (_all, index: string) => `${locate(Number(index))}: `)
    .replace(/machine-list\[(\d+)\]/g, (_all, index: string) => locate(Number(index)));
  return finding.hint ? `${message}\n  hint: ${finding.hint}` : message;
}

function names(results: readonly ProbeResult[]): string {
  const shown = results.slice(0, 3).map((result) => result.hostname);
  return `${shown.join(', ')}${results.length > 3 ? ` and ${results.length - 3} more` : ''}`;
}

/** The first private key of the usual names that exists, as `~/.ssh/<name>`; id_ed25519 when none does. */
function guessKeyFile(): string {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    if (existsSync(join(homedir(), '.ssh', name))) return `~/.ssh/${name}`;
  }
  return '~/.ssh/id_ed25519';
}
