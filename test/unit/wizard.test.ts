import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  runQuickStartWizard,
  type MachineProbe,
  type ProbeRequest,
  type ProbeResult,
} from '../../src/cli/wizard/index.js';
import { InterruptedError, UsageError } from '../../src/errors.js';
import type { IoHost, IoMessage, IoQuestion, Span } from '../../src/ports/io-host.js';
import type { RemoteHosts, RemoteHostsOptions } from '../../src/ports/ports.js';
import { validateCluster } from '../../src/rules/validate-cluster.js';
import type { PythonInterpreter } from '../../src/checks/parsers/python.js';
import { PlainHost } from '../../src/cli/io/plain-host.js';
import { fakePorts, type FakePorts } from '../support/fake-ports.js';
import { FakeStream } from '../support/fake-stream.js';
import { tempDir } from '../support/fixtures.js';

/**
 * The quick-start wizard driven question by question through a scripted IoHost: each step names the question it
 * answers (by code), and the host calls the question's validate the way the terminal's prompt does — a refused
 * answer is shown (recorded) and the same question takes the next step. The terminal host itself, with
 * @inquirer/prompts on a fake terminal, is in wizard-terminal.test.ts.
 */
const DEFAULT = Symbol('default');
type Step = { code: string; answer: unknown; refused?: RegExp } | { code: string; interrupt: true };

class ScriptedHost implements IoHost {
  readonly asked: Array<IoQuestion<unknown>> = [];
  readonly refusals: Array<{ code: string; value: unknown; text: string }> = [];
  readonly messages: IoMessage[] = [];
  readonly spans: string[] = [];
  stdoutColour = false;
  constructor(private readonly steps: Step[]) {}

  notify(message: IoMessage): void {
    this.messages.push(message);
  }
  result(): Promise<void> {
    return Promise.resolve();
  }
  span(title: string): Span {
    this.spans.push(title);
    return { update: () => undefined, end: () => undefined };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  async request<T>(question: IoQuestion<T>): Promise<T> {
    this.asked.push(question as IoQuestion<unknown>);
    for (;;) {
      const step = this.steps.shift();
      if (!step) throw new Error(`no step left for ${question.code} (${question.text})`);
      if ('interrupt' in step && step.code === '*') throw new InterruptedError('SIGINT');
      if (step.code !== question.code)
        throw new Error(`expected ${step.code}, was asked ${question.code}: ${question.text}`);
      if ('interrupt' in step) throw new InterruptedError('SIGINT');
      const value = step.answer === DEFAULT ? ('default' in question ? question.default : undefined) : step.answer;
      if (value === undefined) throw new Error(`${question.code} has no default`);
      if ('validate' in question && question.validate) {
        const verdict = await question.validate(String(value));
        if (verdict !== true) {
          this.refusals.push({ code: question.code, value, text: verdict });
          if (!step.refused) throw new Error(`${question.code}: ${JSON.stringify(value)} refused: ${verdict}`);
          expect(verdict).toMatch(step.refused);
          continue;
        }
      }
      if (step.refused)
        throw new Error(`${question.code}: ${JSON.stringify(value)} was accepted, expected ${step.refused}`);
      if (question.kind === 'select') expect(question.choices.map((choice) => choice.value)).toContain(value);
      return value as T;
    }
  }
  get remaining(): number {
    return this.steps.length;
  }
  text(code: string): string[] {
    return this.messages.filter((message) => message.code === code).map((message) => message.text);
  }
}

const dir = tempDir('pai-deploy-wizard-');
let counter = 0;
function outDir(): string {
  const out = join(dir, `out-${++counter}`);
  mkdirSync(out);
  return out;
}

/** A private key file the SSH rules accept (they read its first line and its mode only). */
function keyFile(mode = 0o600): string {
  const path = join(dir, `id_test_${++counter}`);
  writeFileSync(path, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
  writeFileSync(`${path}.pub`, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKv test@wizard\n');
  chmodSync(path, mode);
  return path;
}

/** What a probe found on one machine (a ProbeResult without its target). */
type Found = ProbeResult extends infer R ? (R extends ProbeResult ? Omit<R, 'hostname' | 'ip'> : never) : never;

function fakeProbe(results: Record<string, Found>): MachineProbe & { calls: ProbeRequest[] } {
  const calls: ProbeRequest[] = [];
  const probe = async (request: ProbeRequest): Promise<ProbeResult[]> => {
    calls.push(request);
    return request.targets.map(
      (target) =>
        ({
          ...target,
          ...(results[target.hostname] ?? { ok: false, failure: { kind: 'unreachable', message: 'no route' } }),
        }) as ProbeResult,
    );
  };
  return Object.assign(probe, { calls });
}

/** Ubuntu 18.04's interpreters: /usr/bin/python is 2.7 with apt bindings, as kubespray 2.11 expects. */
const UBUNTU_1804_PYTHONS: PythonInterpreter[] = [
  { path: '/usr/bin/python', major: 2, minor: 7, apt: true },
  { path: '/usr/bin/python3', major: 3, minor: 6, apt: true },
];
const gpuBox = (
  gpus: number,
  cpus: number,
  gib: number,
  model = 'Tesla V100-SXM2-16GB',
  pythons: PythonInterpreter[] = UBUNTU_1804_PYTHONS,
) =>
  ({
    ok: true,
    authMethod: 'publickey',
    hardware: { gpus, gpuModel: gpus > 0 ? model : undefined, cpus, memoryBytes: gib * 2 ** 30 },
    pythons,
  }) as const;

async function wizard(
  steps: Step[],
  options: { ports?: FakePorts; probe?: MachineProbe; out?: string; signal?: AbortSignal } = {},
) {
  const host = new ScriptedHost(steps);
  const ports = options.ports ?? fakePorts();
  const out = options.out ?? outDir();
  const result = await runQuickStartWizard(
    host,
    {
      ports,
      cwd: dir,
      signal: options.signal ?? new AbortController().signal,
      env: { PAI_DEPLOY_HOME: join(dir, 'home') },
      ...(options.probe ? { probe: options.probe } : {}),
    },
    { dir: out },
  );
  return { host, ports, out, result };
}

/** The files a run wrote, by name. */
function written(ports: FakePorts): Record<string, { content: string; mode: number }> {
  expect(ports.written).toHaveLength(1);
  return Object.fromEntries(
    ports.written[0]!.files.map((file) => [file.path, { content: file.content, mode: file.mode }]),
  );
}

/** Writes what the wizard produced to disk and runs the real `validate` on it. */
async function validateWritten(ports: FakePorts) {
  const files = written(ports);
  const at = outDir();
  for (const [name, file] of Object.entries(files)) writeFileSync(join(at, name), file.content, { mode: file.mode });
  return validateCluster({ kind: 'yaml', path: join(at, 'layout.yaml') }, join(at, 'config.yaml'));
}

const login = (key: string): Step[] => [
  { code: 'wizard.ssh-user', answer: 'pai' },
  { code: 'wizard.ssh-port', answer: DEFAULT },
  { code: 'wizard.ssh-auth', answer: 'key' },
  { code: 'wizard.ssh-key', answer: key },
  { code: 'wizard.sudo-password', answer: false },
];
const typedMachines: Step[] = [
  { code: 'wizard.machines', answer: 'type' },
  { code: 'wizard.master-hostname', answer: 'pai-master-01' },
  { code: 'wizard.master-ip', answer: '10.0.0.10' },
  { code: 'wizard.worker-hostname', answer: 'pai-gpu-01' },
  { code: 'wizard.worker-ip', answer: '10.0.0.11' },
  { code: 'wizard.worker-hostname', answer: 'pai-gpu-02' },
  { code: 'wizard.worker-ip', answer: '10.0.0.12' },
  { code: 'wizard.worker-hostname', answer: '' },
];
const theRest: Step[] = [
  { code: 'wizard.registry-domain', answer: DEFAULT },
  { code: 'wizard.registry-namespace', answer: DEFAULT },
  { code: 'wizard.image-tag', answer: DEFAULT },
  { code: 'wizard.network-plugin', answer: DEFAULT },
  { code: 'wizard.advanced', answer: DEFAULT },
];
/** SKU questions with the defaults taken: the master's (cores, memory), then each worker SKU's. */
const masterSku: Step[] = [
  { code: 'wizard.vcores', answer: DEFAULT },
  { code: 'wizard.mem', answer: DEFAULT },
];
const gpuSkuDefaults: Step[] = [
  { code: 'wizard.device-type', answer: DEFAULT },
  { code: 'wizard.device-model', answer: DEFAULT },
  { code: 'wizard.device-count', answer: DEFAULT },
  { code: 'wizard.vcores', answer: DEFAULT },
  { code: 'wizard.mem', answer: DEFAULT },
];

describe('quick-start wizard: the whole run', () => {
  it('asks every question, prefills the SKUs from the probe, and writes files that validate', async () => {
    const key = keyFile();
    const probe = fakeProbe({
      'pai-master-01': gpuBox(0, 8, 31.4),
      'pai-gpu-01': gpuBox(4, 24, 220.7),
      'pai-gpu-02': gpuBox(4, 24, 221.2),
    });
    const { host, ports, out, result } = await wizard(
      [
        { code: 'wizard.cluster-id', answer: 'lab-1' },
        ...login(key),
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
        ...masterSku,
        ...gpuSkuDefaults,
        ...theRest,
        { code: 'wizard.write', answer: true },
      ],
      { probe },
    );
    expect(host.remaining).toBe(0);
    expect(result).toEqual({ layoutPath: join(out, 'layout.yaml'), configPath: join(out, 'config.yaml') });
    // The probe got the login as answered and the cluster's own known_hosts.
    expect(probe.calls).toHaveLength(1);
    expect(probe.calls[0]!.login).toEqual({ user: 'pai', port: 22, keyFile: key, password: undefined });
    expect(probe.calls[0]!.knownHostsPath).toBe(join(dir, 'home', 'clusters', 'lab-1', 'known_hosts'));
    // Prefilled from the facts: the least memory of the SKU's machines rounded down, the GPU model and count.
    const mem = host.asked.filter((question) => question.code === 'wizard.mem');
    expect(mem.map((question) => ('default' in question ? question.default : undefined))).toEqual(['31Gi', '220Gi']);
    const count = host.asked.find((question) => question.code === 'wizard.device-count');
    expect(count && 'default' in count ? count.default : undefined).toBe('4');
    const files = written(ports);
    expect(Object.keys(files).sort()).toEqual([
      'config.schema.json',
      'config.yaml',
      'layout.schema.json',
      'layout.yaml',
    ]);
    expect(files['config.yaml']!.mode).toBe(0o600);
    expect(files['layout.yaml']!.content.split('\n')[0]).toBe('# yaml-language-server: $schema=./layout.schema.json');
    expect(files['config.yaml']!.content.split('\n')[0]).toBe('# yaml-language-server: $schema=./config.schema.json');
    expect(files['layout.yaml']!.content).toContain('model: "Tesla V100-SXM2-16GB"');
    expect(files['config.yaml']!.content).toContain(`ssh_key_file_path: ${JSON.stringify(key)}`);
    expect(files['config.yaml']!.content).toContain('cluster_id: lab-1');
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    expect(validation.input?.layout.machines.map((machine) => [machine.hostname, machine.machineType])).toEqual([
      ['pai-master-01', 'master-machine'],
      ['pai-gpu-01', 'gpu-machine'],
      ['pai-gpu-02', 'gpu-machine'],
    ]);
    expect(validation.input?.layout.skus.get('gpu-machine')).toMatchObject({
      mem: '220Gi',
      vcores: 24,
      device: { type: 'nvidia.com/gpu', model: 'Tesla V100-SXM2-16GB', count: 4 },
    });
    expect(host.text('wizard.summary')[0]).toContain('Cluster "lab-1": 1 master, 2 workers');
    // /usr/bin/python is Python 2.7 everywhere: Ansible 2.7's default does, nothing is set.
    expect(files['config.yaml']!.content).not.toContain('ansible_python_interpreter');
    expect(host.messages.map((message) => message.code)).not.toContain('wizard.python');
  });

  it('keeps a password only in config.yaml: never in a message, a question or the summary', async () => {
    const secret = 'S3cr3t "quoted" #not-a-comment';
    const { host, ports } = await wizard([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      { code: 'wizard.ssh-user', answer: 'admin' },
      { code: 'wizard.ssh-port', answer: '2222' },
      { code: 'wizard.ssh-auth', answer: 'password' },
      { code: 'wizard.ssh-password', answer: '', refused: /empty/ },
      { code: 'wizard.ssh-password', answer: secret },
      ...typedMachines,
      { code: 'wizard.probe', answer: false },
      ...masterSku,
      { code: 'wizard.device-type', answer: DEFAULT },
      { code: 'wizard.vcores', answer: DEFAULT },
      { code: 'wizard.mem', answer: DEFAULT },
      ...theRest,
      { code: 'wizard.write', answer: true },
    ]);
    const files = written(ports);
    expect(files['config.yaml']!.mode).toBe(0o600);
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    expect(validation.input?.config.ssh).toMatchObject({ user: 'admin', port: 2222, password: secret });
    const everything = JSON.stringify([host.messages, host.asked.map((question) => question.text)]);
    expect(everything).not.toContain('S3cr3t');
    expect(host.text('wizard.summary')[0]).toContain('with a password');
    for (const file of ['layout.yaml', 'layout.schema.json', 'config.schema.json']) {
      expect(files[file]!.content).not.toContain('S3cr3t');
    }
  });

  it('a declined summary writes nothing and resolves undefined', async () => {
    const { host, ports, result, out } = await wizard([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      ...typedMachines,
      { code: 'wizard.probe', answer: false },
      ...masterSku,
      { code: 'wizard.device-type', answer: 'none' },
      { code: 'wizard.vcores', answer: DEFAULT },
      { code: 'wizard.mem', answer: DEFAULT },
      ...theRest,
      { code: 'wizard.write', answer: false },
    ]);
    expect(result).toBeUndefined();
    expect(ports.calls).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
    expect(host.text('wizard.declined')).toEqual(['nothing was written']);
  });

  it('Ctrl-C at any question rejects with InterruptedError and writes nothing', async () => {
    const ports = fakePorts();
    await expect(
      wizard(
        [
          { code: 'wizard.cluster-id', answer: DEFAULT },
          ...login(keyFile()),
          { code: 'wizard.machines', interrupt: true },
        ],
        { ports },
      ),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(ports.calls).toEqual([]);
  });

  it('an aborted run stops at the next question (and before the write), writing nothing', async () => {
    const controller = new AbortController();
    const ports = fakePorts();
    const probe: MachineProbe = async (request) => {
      controller.abort(new InterruptedError('SIGTERM'));
      return request.targets.map((target) => ({ ...target, ok: false, failure: { kind: 'error', message: 'x' } }));
    };
    const error = await wizard(
      [
        { code: 'wizard.cluster-id', answer: DEFAULT },
        ...login(keyFile()),
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
      ],
      { ports, probe, signal: controller.signal },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).signal).toBe('SIGTERM');
    expect(ports.calls).toEqual([]);
  });

  it('asks before replacing files that are already there', async () => {
    const out = outDir();
    writeFileSync(join(out, 'layout.yaml'), 'machine-list: []\n');
    const { ports, result } = await wizard([{ code: 'wizard.overwrite', answer: false }], { out });
    expect(result).toBeUndefined();
    expect(ports.calls).toEqual([]);
  });
});

describe('quick-start wizard: each answer is validated on the spot', () => {
  /** Runs up to the given steps, then stops the run (an interrupt) — only the refusals matter. */
  async function refusals(steps: Step[]) {
    const host = new ScriptedHost([...steps, { code: '*', interrupt: true }]);
    const error = await runQuickStartWizard(
      host,
      {
        ports: fakePorts(),
        cwd: dir,
        signal: new AbortController().signal,
        env: { PAI_DEPLOY_HOME: join(dir, 'home') },
      },
      { dir: outDir() },
    ).catch((caught: unknown) => caught);
    expect(error, String(error)).toBeInstanceOf(InterruptedError);
    return host.refusals;
  }

  it('cluster id, user and port with the rules of config.yaml', async () => {
    const refused = await refusals([
      { code: 'wizard.cluster-id', answer: 'My_Cluster', refused: /cluster_id|lowercase|match/i },
      { code: 'wizard.cluster-id', answer: 'pai-1' },
      { code: 'wizard.ssh-user', answer: '', refused: /./ },
      { code: 'wizard.ssh-user', answer: 'pai' },
      { code: 'wizard.ssh-port', answer: '70000', refused: /./ },
      { code: 'wizard.ssh-port', answer: 'ssh', refused: /./ },
      { code: 'wizard.ssh-port', answer: '22' },
    ]);
    expect(refused.map((entry) => entry.code)).toEqual([
      'wizard.cluster-id',
      'wizard.ssh-user',
      'wizard.ssh-port',
      'wizard.ssh-port',
    ]);
    // A finding's message, without the field path, and its hint under it.
    expect(refused[0]!.text).not.toMatch(/^cluster_id: /);
    expect(refused[0]!.text).toContain('hint: ');
  });

  it('the key file with the SSH rules: missing, public, readable by others', async () => {
    const open = keyFile(0o644);
    const refused = await refusals([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      { code: 'wizard.ssh-user', answer: 'pai' },
      { code: 'wizard.ssh-port', answer: DEFAULT },
      { code: 'wizard.ssh-auth', answer: 'key' },
      { code: 'wizard.ssh-key', answer: join(dir, 'no-such-key'), refused: /does not exist/ },
      { code: 'wizard.ssh-key', answer: `${open}.pub`, refused: /public key/ },
      { code: 'wizard.ssh-key', answer: open, refused: /chmod 600/ },
      { code: 'wizard.ssh-key', answer: keyFile() },
      { code: 'wizard.sudo-password', answer: true },
      { code: 'wizard.ssh-password', answer: 'pw' },
    ]);
    expect(refused).toHaveLength(3);
  });

  it('machines typed one by one: hostname and IP rules, duplicates, at least one worker', async () => {
    const refused = await refusals([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      { code: 'wizard.machines', answer: 'type' },
      { code: 'wizard.master-hostname', answer: 'Pai_Master', refused: /RFC 1123/ },
      { code: 'wizard.master-hostname', answer: 'pai-master' },
      { code: 'wizard.master-ip', answer: '10.0.0.300', refused: /IPv4|address|ip/i },
      { code: 'wizard.master-ip', answer: '127.0.0.1', refused: /./ },
      { code: 'wizard.master-ip', answer: '10.0.0.10' },
      { code: 'wizard.worker-hostname', answer: '', refused: /at least one worker/ },
      { code: 'wizard.worker-hostname', answer: 'pai-master', refused: /already used/ },
      { code: 'wizard.worker-hostname', answer: 'pai-worker' },
      { code: 'wizard.worker-ip', answer: '10.0.0.10', refused: /already used|duplicate/i },
      { code: 'wizard.worker-ip', answer: '10.0.0.11' },
      { code: 'wizard.worker-hostname', answer: '' },
      { code: 'wizard.probe', answer: false },
    ]);
    expect(refused.map((entry) => entry.code)).toEqual([
      'wizard.master-hostname',
      'wizard.master-ip',
      'wizard.master-ip',
      'wizard.worker-hostname',
      'wizard.worker-hostname',
      'wizard.worker-ip',
    ]);
  });

  it('SKU answers: device count, cores and memory with the layout rules', async () => {
    const refused = await refusals([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      ...typedMachines,
      { code: 'wizard.probe', answer: false },
      { code: 'wizard.vcores', answer: '0', refused: /./ },
      { code: 'wizard.vcores', answer: 'four', refused: /./ },
      { code: 'wizard.vcores', answer: '4' },
      { code: 'wizard.mem', answer: '60 GB', refused: /quantity|Gi/ },
      { code: 'wizard.mem', answer: '60Gi' },
      { code: 'wizard.device-type', answer: 'other' },
      { code: 'wizard.device-type-name', answer: 'gpu', refused: /./ },
      { code: 'wizard.device-type-name', answer: 'enflame.com/dtu' },
      { code: 'wizard.device-model', answer: '', refused: /model/ },
      { code: 'wizard.device-model', answer: 'T10' },
      { code: 'wizard.device-count', answer: '0', refused: /./ },
      { code: 'wizard.device-count', answer: '2.5', refused: /./ },
      { code: 'wizard.device-count', answer: '8' },
      { code: 'wizard.vcores', answer: '16' },
      { code: 'wizard.mem', answer: '64Gi' },
      { code: 'wizard.registry-domain', answer: DEFAULT },
    ]);
    expect(refused.map((entry) => entry.code)).toEqual([
      'wizard.vcores',
      'wizard.vcores',
      'wizard.mem',
      'wizard.device-type-name',
      'wizard.device-model',
      'wizard.device-count',
      'wizard.device-count',
    ]);
  });

  it('registry and advanced answers with the config rules; a registry user needs a password', async () => {
    const { ports } = await wizard([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      ...typedMachines,
      { code: 'wizard.probe', answer: false },
      ...masterSku,
      { code: 'wizard.device-type', answer: 'none' },
      { code: 'wizard.vcores', answer: DEFAULT },
      { code: 'wizard.mem', answer: DEFAULT },
      { code: 'wizard.registry-domain', answer: '', refused: /./ },
      { code: 'wizard.registry-domain', answer: 'registry.example.com:5000' },
      { code: 'wizard.registry-namespace', answer: 'pai' },
      { code: 'wizard.image-tag', answer: DEFAULT },
      { code: 'wizard.network-plugin', answer: 'weave' },
      { code: 'wizard.advanced', answer: true },
      { code: 'wizard.docker-data-root', answer: 'var/docker', refused: /./ },
      { code: 'wizard.docker-data-root', answer: '/data/docker' },
      { code: 'wizard.insecure-registries', answer: '10.0.0.1:5000, 10.0.0.2:5000' },
      { code: 'wizard.registry-mirrors', answer: '' },
      { code: 'wizard.registry-username', answer: 'robot' },
      { code: 'wizard.registry-password', answer: 'r0b0t-pass' },
      { code: 'wizard.write', answer: true },
    ]);
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    const config = validation.input!.config;
    expect(config.registry).toMatchObject({
      domain: 'registry.example.com:5000',
      namespace: 'pai',
      tag: 'v1.8.0',
      username: 'robot',
      password: 'r0b0t-pass',
    });
    expect(config.dockerDataRoot).toBe('/data/docker');
    const text = written(ports)['config.yaml']!.content;
    expect(text).toContain('openpai_docker_insecure_registries: ["10.0.0.1:5000", "10.0.0.2:5000"]');
    expect(text).toContain('openpai_kube_network_plugin: weave');
    expect(text).not.toMatch(/^openpai_docker_registry_mirrors:/m);
  });
});

describe('quick-start wizard: machines pasted or imported', () => {
  it('a pasted list: refused with the line of each problem, then accepted', async () => {
    const { host, ports } = await wizard([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      { code: 'wizard.machines', answer: 'paste' },
      {
        code: 'wizard.machine-list',
        answer: 'pai-m 10.0.0.10\njust-one-word\n',
        refused: /line 2: expected "hostname ip"/,
      },
      {
        code: 'wizard.machine-list',
        answer: '# comment\npai-m 10.0.0.10\n\npai-w1 10.0.0.11\npai-w1 10.0.0.12\n',
        refused: /line 5 \(hostname\): .*already used by line 4/,
      },
      { code: 'wizard.machine-list', answer: 'pai-m 10.0.0.10\n', refused: /pai-worker/ },
      { code: 'wizard.machine-list', answer: '10.0.0.11 pai-w1\npai-m\t10.0.0.10  master\npai-w2,10.0.0.12\n' },
      { code: 'wizard.probe', answer: false },
      ...masterSku,
      { code: 'wizard.device-type', answer: 'none' },
      { code: 'wizard.vcores', answer: DEFAULT },
      { code: 'wizard.mem', answer: DEFAULT },
      ...theRest,
      { code: 'wizard.write', answer: true },
    ]);
    const editor = host.asked.find((question) => question.kind === 'editor');
    expect(editor && 'default' in editor ? editor.default : '').toContain('# One machine per line');
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    expect(validation.input?.layout.machines.map((m) => [m.hostname, m.ip, m.master])).toEqual([
      ['pai-w1', '10.0.0.11', false],
      ['pai-m', '10.0.0.10', true],
      ['pai-w2', '10.0.0.12', false],
    ]);
  });

  it('an empty pasted list goes back to the choice of how to give the machines', async () => {
    const host = new ScriptedHost([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      { code: 'wizard.machines', answer: 'paste' },
      { code: 'wizard.machine-list', answer: DEFAULT },
      { code: 'wizard.machines', interrupt: true },
    ]);
    await expect(
      runQuickStartWizard(
        host,
        { ports: fakePorts(), cwd: dir, signal: new AbortController().signal },
        { dir: outDir() },
      ),
    ).rejects.toBeInstanceOf(InterruptedError);
  });

  it("OpenPAI v1.0's CSV lists: unreadable and invalid lists refused, then imported with their roles", async () => {
    const csv = join(dir, 'csv');
    mkdirSync(csv);
    writeFileSync(join(csv, 'master.csv'), 'pai-master-01,10.0.0.10\n');
    writeFileSync(join(csv, 'bad-worker.csv'), 'pai-gpu-01,10.0.0.11\npai-master-01,10.0.0.12\n');
    writeFileSync(join(csv, 'worker.csv'), '\uFEFFpai-gpu-01,10.0.0.11\r\n# spare\r\npai-gpu-02, 10.0.0.12\r\n');
    const { ports } = await wizard([
      { code: 'wizard.cluster-id', answer: DEFAULT },
      ...login(keyFile()),
      { code: 'wizard.machines', answer: 'csv' },
      { code: 'wizard.master-csv', answer: 'csv/nope.csv', refused: /cannot read .*nope\.csv: no such file/ },
      { code: 'wizard.master-csv', answer: 'csv/master.csv' },
      { code: 'wizard.worker-csv', answer: 'csv/bad-worker.csv', refused: /bad-worker\.csv:2: .*already used/ },
      { code: 'wizard.worker-csv', answer: join(csv, 'worker.csv') },
      { code: 'wizard.probe', answer: false },
      ...masterSku,
      { code: 'wizard.device-type', answer: 'nvidia.com/gpu' },
      { code: 'wizard.device-model', answer: 'K80' },
      { code: 'wizard.device-count', answer: '4' },
      { code: 'wizard.vcores', answer: DEFAULT },
      { code: 'wizard.mem', answer: DEFAULT },
      ...theRest,
      { code: 'wizard.write', answer: true },
    ]);
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    expect(validation.input?.layout.machines.map((m) => [m.hostname, m.ip, m.master, m.worker])).toEqual([
      ['pai-master-01', '10.0.0.10', true, false],
      ['pai-gpu-01', '10.0.0.11', false, true],
      ['pai-gpu-02', '10.0.0.12', false, true],
    ]);
  });
});

describe('quick-start wizard: the probe', () => {
  it('groups workers by what the machines have; unreachable ones get guesses, and say so', async () => {
    const probe = fakeProbe({
      'pai-master-01': gpuBox(0, 8, 16),
      'pai-gpu-01': gpuBox(4, 24, 220.7),
      // pai-gpu-02 is unreachable (the fake's default)
    });
    const { host, ports } = await wizard(
      [
        { code: 'wizard.cluster-id', answer: DEFAULT },
        ...login(keyFile()),
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
        ...masterSku,
        ...gpuSkuDefaults,
        { code: 'wizard.device-type', answer: DEFAULT },
        { code: 'wizard.vcores', answer: DEFAULT },
        { code: 'wizard.mem', answer: DEFAULT },
        ...theRest,
        { code: 'wizard.write', answer: true },
      ],
      { probe },
    );
    expect(host.messages.find((message) => message.code === 'wizard.probe-failed')).toMatchObject({
      level: 'warn',
      host: 'pai-gpu-02',
    });
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    expect(validation.input?.layout.machines.map((m) => m.machineType)).toEqual([
      'master-machine',
      'gpu-machine',
      'worker-machine',
    ]);
    // The unprobed worker's SKU offered "CPU only" and the CSV import's defaults.
    const types = host.asked.filter((question) => question.code === 'wizard.device-type');
    expect(types.map((question) => ('default' in question ? question.default : undefined))).toEqual([
      'nvidia.com/gpu',
      'none',
    ]);
  });

  it('no usable /usr/bin/python: the interpreter every machine has is written as ansible_python_interpreter', async () => {
    // Debian 12 with a CPython 3.7 under /opt: its own python3 is 3.11, which Ansible 2.7's modules cannot use.
    const debian12: PythonInterpreter[] = [
      { path: '/usr/bin/python3', major: 3, minor: 11, apt: true },
      { path: '/opt/python3.7/bin/python3.7', major: 3, minor: 7, apt: false },
    ];
    const probe = fakeProbe({
      'pai-master-01': gpuBox(0, 8, 16, undefined, debian12),
      'pai-gpu-01': gpuBox(4, 24, 220.7, undefined, debian12),
      'pai-gpu-02': gpuBox(4, 24, 220.7, undefined, debian12),
    });
    const { host, ports } = await wizard(
      [
        { code: 'wizard.cluster-id', answer: DEFAULT },
        ...login(keyFile()),
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
        ...masterSku,
        ...gpuSkuDefaults,
        ...theRest,
        { code: 'wizard.write', answer: true },
      ],
      { probe },
    );
    expect(host.text('wizard.python')[0]).toContain('/opt/python3.7/bin/python3.7 (Python 3.7 on every probed machine');
    expect(host.text('wizard.summary')[0]).toContain('python    /opt/python3.7/bin/python3.7 on every machine');
    const config = written(ports)['config.yaml']!.content;
    expect(config).toMatch(
      /^openpai_kubespray_extra_var:\n(?: +#.*\n)+ +ansible_python_interpreter: "\/opt\/python3\.7\/bin\/python3\.7"\n +kube_proxy_mode: ipvs$/m,
    );
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    expect(validation.warnings).toEqual([]);
  });

  it('a machine without any Python Ansible 2.7 can use is named, and nothing is set', async () => {
    const probe = fakeProbe({
      'pai-master-01': gpuBox(0, 8, 16),
      'pai-gpu-01': gpuBox(4, 24, 220.7),
      'pai-gpu-02': gpuBox(4, 24, 220.7, undefined, [{ path: '/usr/bin/python3', major: 3, minor: 11, apt: true }]),
    });
    const { host, ports } = await wizard(
      [
        { code: 'wizard.cluster-id', answer: DEFAULT },
        ...login(keyFile()),
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
        ...masterSku,
        ...gpuSkuDefaults,
        ...theRest,
        { code: 'wizard.write', answer: true },
      ],
      { probe },
    );
    const missing = host.messages.find((message) => message.code === 'wizard.python-missing');
    expect(missing).toMatchObject({ level: 'warn', data: { missing: ['pai-gpu-02'] } });
    expect(missing?.text).toContain('on pai-gpu-02');
    expect(written(ports)['config.yaml']!.content).not.toContain('ansible_python_interpreter');
  });

  it('a failed login can be changed and the machines probed again', async () => {
    let calls = 0;
    const probe: MachineProbe = async (request) => {
      calls++;
      return request.targets.map((target) =>
        calls === 1
          ? { ...target, ok: false, failure: { kind: 'auth', message: 'all authentication methods failed' } }
          : { ...target, ...gpuBox(0, 4, 8) },
      );
    };
    const { host } = await wizard(
      [
        { code: 'wizard.cluster-id', answer: DEFAULT },
        ...login(keyFile()),
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
        { code: 'wizard.login-again', answer: true },
        ...login(keyFile()),
        ...masterSku,
        { code: 'wizard.device-type', answer: DEFAULT },
        { code: 'wizard.vcores', answer: DEFAULT },
        { code: 'wizard.mem', answer: DEFAULT },
        ...theRest,
        { code: 'wizard.write', answer: false },
      ],
      { probe },
    );
    expect(calls).toBe(2);
    expect(host.remaining).toBe(0);
  });

  it('machines that take only the password are offered ssh setup-keys, which installs the key', async () => {
    const probe = fakeProbe({
      'pai-master-01': { ...gpuBox(0, 8, 16), authMethod: 'password' },
      'pai-gpu-01': { ...gpuBox(4, 24, 220.7), authMethod: 'password' },
      'pai-gpu-02': { ...gpuBox(4, 24, 220.7), authMethod: 'password' },
    });
    // The install-key phase of `ssh setup-keys` runs over Ports.openHosts: here a fake SSH that records what it is
    // given and answers like the install script.
    const opened: RemoteHostsOptions[] = [];
    const fed: Array<{ host: string; stdin: string | undefined }> = [];
    const hosts: RemoteHosts = {
      connect: async (target) => ({
        ok: true,
        hostKey: undefined,
        attempts: 1,
        millis: 1,
        session: {
          authMethod: 'password',
          exec: async (_command, options) => {
            fed.push({ host: target.hostname, stdin: options.stdin });
            return { stdout: 'installed\n', stderr: '', exitCode: 0, timedOut: false, sentAt: 0, firstOutputAt: 0 };
          },
          close: () => undefined,
        },
      }),
    };
    const ports = fakePorts({ hosts });
    const openHosts = ports.openHosts.bind(ports);
    ports.openHosts = (options) => {
      opened.push(options);
      return openHosts(options);
    };
    const key = keyFile();
    const { host } = await wizard(
      [
        { code: 'wizard.cluster-id', answer: 'setup-keys' },
        { code: 'wizard.ssh-user', answer: 'pai' },
        { code: 'wizard.ssh-port', answer: DEFAULT },
        { code: 'wizard.ssh-auth', answer: 'password' },
        { code: 'wizard.ssh-password', answer: 'pw-123' },
        ...typedMachines,
        { code: 'wizard.probe', answer: true },
        { code: 'wizard.setup-keys', answer: true },
        { code: 'wizard.setup-keys-key', answer: join(dir, 'no-key'), refused: /does not exist/ },
        { code: 'wizard.setup-keys-key', answer: key },
        ...masterSku,
        ...gpuSkuDefaults,
        ...theRest,
        { code: 'wizard.write', answer: true },
      ],
      { probe, ports },
    );
    // Logged in with the password from memory; the public key went on each machine's stdin, never a command line.
    expect(opened).toHaveLength(1);
    expect(opened[0]!.login).toMatchObject({ username: 'pai', password: 'pw-123' });
    expect(opened[0]!.knownHostsPath).toBe(join(dir, 'home', 'clusters', 'setup-keys', 'known_hosts'));
    expect(fed.map((entry) => entry.host).sort()).toEqual(['pai-gpu-01', 'pai-gpu-02', 'pai-master-01']);
    for (const entry of fed) expect(entry.stdin).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKv test@wizard\n');
    expect(host.text('wizard.setup-keys-done')[0]).toContain('on 3 machines');
    const validation = await validateWritten(ports);
    expect(validation.errors).toEqual([]);
    // config.yaml names the key now and keeps the password (for sudo).
    expect(validation.input?.config.ssh).toMatchObject({ keyFile: { path: key }, password: 'pw-123' });
  });
});

describe('quick-start wizard: a host without a terminal', () => {
  it('never prompts: the first question without a default stops it with a UsageError naming the flag', async () => {
    const stderr = new FakeStream();
    const io = new PlainHost({ stdout: new FakeStream(), stderr, env: {} });
    const ports = fakePorts();
    const home = join(dir, 'home-plain');
    const error = await runQuickStartWizard(
      io,
      { ports, cwd: dir, signal: new AbortController().signal, env: { PAI_DEPLOY_HOME: home } },
      { dir: outDir() },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('pass --config');
    // The cluster id took its default (and said so) before the SSH user, which has none.
    expect(stderr.text).toContain('using the default "pai"');
    expect(ports.calls).toEqual([]);
    expect(existsSync(home)).toBe(false);
  });
});
