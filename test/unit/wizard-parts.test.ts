import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { JsonHost } from '../../src/cli/io/json-host.js';
import { PlainHost } from '../../src/cli/io/plain-host.js';
import { TerminalHost } from '../../src/cli/io/terminal-host.js';
import { initialAnswers, wholeNumber, type WizardAnswers } from '../../src/cli/wizard/answers.js';
import { checkAnswers } from '../../src/cli/wizard/check-answers.js';
import { parsePastedMachines } from '../../src/cli/wizard/machine-list.js';
import { hardwareFromFacts, sshProbe } from '../../src/cli/wizard/probe.js';
import { renderConfig, renderLayout, yamlString } from '../../src/cli/wizard/render-files.js';
import { scriptedRunHelp } from '../../src/cli/wizard/index.js';
import { memoryQuantity, planSkus } from '../../src/cli/wizard/sku-plan.js';
import { summaryText } from '../../src/cli/wizard/summary.js';
import type { FactResult, MachineFacts } from '../../src/checks/types.js';
import { parseYamlSource } from '../../src/config/yaml-source.js';
import { UsageError } from '../../src/errors.js';
import type { ExecResult, RemoteHosts, RemoteHostsOptions } from '../../src/ports/ports.js';
import { fakePorts } from '../support/fake-ports.js';
import { FakeStream } from '../support/fake-stream.js';
import { tempDir } from '../support/fixtures.js';
import { prng } from '../support/prng.js';

const dir = tempDir('pai-deploy-wizard-parts-');
const ok = (stdout: string): FactResult => ({ stdout, stderr: '', exitCode: 0, timedOut: false });

function cluster(): WizardAnswers {
  const answers = initialAnswers();
  answers.ssh = { user: 'pai', port: 22, keyFile: undefined, password: 'pw' };
  answers.machines = [
    { hostname: 'pai-master-01', ip: '10.0.0.10', role: 'master', sku: 'master-machine' },
    { hostname: 'pai-gpu-01', ip: '10.0.0.11', role: 'worker', sku: 'gpu-machine' },
  ];
  answers.skus = [
    { name: 'master-machine', mem: '16Gi', vcores: 8, device: undefined },
    { name: 'gpu-machine', mem: '220Gi', vcores: 24, device: { type: 'nvidia.com/gpu', model: 'K80', count: 4 } },
  ];
  return answers;
}

describe('wizard files', () => {
  it('every string reads back unchanged from YAML 1.1, quoted only when it must be', () => {
    const random = prng(14);
    const alphabet = [
      'a',
      'Z',
      '0',
      '9',
      ' ',
      '#',
      ':',
      '"',
      "'",
      '\\',
      '\n',
      '\t',
      '\x7f',
      '\x85',
      '\u2028',
      'é',
      '—',
      '-',
      '.',
      '~',
      '!',
      '&',
      '*',
      '%',
      '@',
      '`',
      '{',
      '[',
      '?',
      '\x01',
      '\ufeff',
    ];
    const words = [
      'yes',
      'No',
      'on',
      'null',
      '~',
      '0o17',
      '0x1F',
      '1e3',
      '12:30',
      '2024-01-01',
      '010',
      '.inf',
      '',
      ' x',
      'x ',
    ];
    const samples = [...words];
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 12);
      samples.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    }
    for (const value of samples) {
      const text = `key: ${yamlString(value)}\n`;
      const read = parseYamlSource('t.yaml', Buffer.from(text, 'utf8'));
      expect(read.syntaxFindings, JSON.stringify(value)).toEqual([]);
      expect((read.value as { key: unknown }).key, JSON.stringify(value)).toBe(value);
    }
    expect(yamlString('v1.8.0')).toBe('v1.8.0');
    expect(yamlString('yes')).toBe('"yes"');
    expect(yamlString('010')).toBe('"010"');
    expect(yamlString('~/.ssh/id_rsa')).toBe('"~/.ssh/id_rsa"');
  });

  it('config.yaml is the example with the answered keys filled in and its comments kept', () => {
    const answers = cluster();
    answers.ssh.port = 2222;
    answers.networkPlugin = 'weave';
    const text = renderConfig(answers);
    expect(
      text.startsWith('# yaml-language-server: $schema=./config.schema.json\n# OpenPAI cluster configuration'),
    ).toBe(true);
    expect(text).toMatch(/^ssh_port: 2222 +# \(pai-deploy\) SSH port of every machine$/m);
    expect(text).toMatch(/^openpai_kube_network_plugin: weave +# weave on Azure$/m);
    expect(text).toContain('password: "pw"');
    // Keys left at their defaults stay commented examples.
    expect(text).toMatch(/^# docker_registry_domain: docker\.io$/m);
    answers.ssh.password = undefined;
    answers.ssh.keyFile = '~/.ssh/id_ed25519';
    const keyed = renderConfig(answers);
    expect(keyed).toMatch(/^# password: ""$/m);
    expect(keyed).toMatch(/^ssh_key_file_path: "~\/\.ssh\/id_ed25519"$/m);
    expect(renderConfig(answers)).toBe(keyed);
  });

  it("layout.yaml carries the example's comments around the answered SKUs and machines", () => {
    const text = renderLayout(cluster());
    expect(text.startsWith('# yaml-language-server: $schema=./layout.schema.json\n# OpenPAI cluster layout')).toBe(
      true,
    );
    expect(text).toMatch(/^ {6}type: nvidia\.com\/gpu +# the device plugin's resource name/m);
    expect(text).toMatch(/^ {6}count: 4 +# devices per machine/m);
    expect(text).toContain('# Machines. hostname becomes the Kubernetes node name');
    expect(text).toContain('    mem: "220Gi"');
  });

  it('the rendered files pass validate; the secrets never reach a finding', async () => {
    const answers = cluster();
    answers.ssh.password = 'top-secret-value';
    answers.registry.username = 'robot';
    const check = await checkAnswers(answers, {
      layoutPath: join(dir, 'layout.yaml'),
      configPath: join(dir, 'config.yaml'),
    });
    // A user without a password: the config rule reports it, naming the keys, never the values.
    expect(check.errors.map((finding) => finding.code)).toContain('registry-credentials-incomplete');
    expect(JSON.stringify(check.errors)).not.toContain('top-secret-value');
    answers.registry.password = '12345';
    const fixed = await checkAnswers(answers, {
      layoutPath: join(dir, 'layout.yaml'),
      configPath: join(dir, 'config.yaml'),
    });
    expect(fixed.errors).toEqual([]);
    // A password of digits is written quoted, so it stays a string.
    expect(fixed.files.config).toContain('docker_registry_password: "12345"');
    expect(fixed.spec?.config.registry.password).toBe('12345');
  });
});

describe('wizard machine list', () => {
  it('reads "hostname ip" lines, /etc/hosts order, commas and tabs, comments; the first or the marked one is the master', () => {
    const pasted = parsePastedMachines('# header\n\npai-a 10.0.0.1\n10.0.0.2\tpai-b\npai-c,10.0.0.3 master\r\n');
    expect(pasted.problems).toEqual([]);
    expect(pasted.machines.map((m) => [m.hostname, m.ip, m.role])).toEqual([
      ['pai-a', '10.0.0.1', 'worker'],
      ['pai-b', '10.0.0.2', 'worker'],
      ['pai-c', '10.0.0.3', 'master'],
    ]);
    expect(pasted.lines).toEqual([3, 4, 5]);
    expect(parsePastedMachines('a 1.1.1.1\nb 1.1.1.2\n').machines[0]!.role).toBe('master');
    expect(parsePastedMachines('a 1.1.1.1 boss\n').problems[0]).toContain('line 1: expected "hostname ip"');
    expect(parsePastedMachines('a 1.1.1.1 master\nb 1.1.1.2 master\n').problems[0]).toContain(
      'second machine marked master',
    );
  });

  it('wholeNumber keeps what is not a number as text, for validation to name', () => {
    expect(wholeNumber(' 24 ')).toBe(24);
    expect(wholeNumber('2.5')).toBe(2.5);
    expect(wholeNumber('four')).toBe('four');
  });
});

describe('wizard SKUs from probed facts', () => {
  const facts = (gpus: string[], nproc: string, memKb: number): MachineFacts => ({
    connected: true,
    sudo: 'none',
    authMethod: 'publickey',
    facts: new Map<string, FactResult>([
      [
        'nvidia-smi-list',
        gpus.length > 0
          ? ok(gpus.map((name, i) => `GPU ${i}: ${name} (UUID: GPU-${i})`).join('\n'))
          : { stdout: '', stderr: 'nvidia-smi: not found', exitCode: 127, timedOut: false },
      ],
      ['nproc', ok(`${nproc}\n`)],
      ['meminfo', ok(`MemTotal:       ${memKb} kB\nMemFree: 1 kB\n`)],
    ]),
  });

  it('reads the GPU count and the most common model, CPUs and memory with the checks parsers', () => {
    expect(hardwareFromFacts(facts(['Tesla K80', 'Tesla K80', 'Tesla P100\x1b[31m'], '24', 230_000_000))).toEqual({
      gpus: 3,
      gpuModel: 'Tesla K80',
      cpus: 24,
      memoryBytes: 230_000_000 * 1024,
    });
    expect(hardwareFromFacts(facts([], 'x', 1))).toEqual({
      gpus: 0,
      gpuModel: undefined,
      cpus: undefined,
      memoryBytes: 1024,
    });
  });

  it('groups workers by GPUs and CPUs; defaults are the least of the group, memory rounded down', () => {
    const machines = [
      { hostname: 'm', ip: '10.0.0.1', role: 'master' as const, sku: undefined },
      { hostname: 'g1', ip: '10.0.0.2', role: 'worker' as const, sku: undefined },
      { hostname: 'g2', ip: '10.0.0.3', role: 'worker' as const, sku: undefined },
      { hostname: 'c1', ip: '10.0.0.4', role: 'worker' as const, sku: undefined },
      { hostname: 'x', ip: '10.0.0.5', role: 'worker' as const, sku: undefined },
    ];
    const hw = (gpus: number, cpus: number, gib: number) => ({
      gpus,
      gpuModel: gpus ? 'V100' : undefined,
      cpus,
      memoryBytes: gib * 2 ** 30,
    });
    const plans = planSkus(
      machines,
      new Map([
        ['m', hw(0, 8, 15.6)],
        ['g1', hw(8, 48, 502.9)],
        ['g2', hw(8, 48, 501.2)],
        ['c1', hw(0, 64, 250)],
      ]),
    );
    expect(plans.map((plan) => [plan.name, plan.hostnames, plan.defaults, plan.probed])).toEqual([
      ['master-machine', ['m'], { mem: '15Gi', vcores: 8, gpus: 0, gpuModel: undefined }, true],
      ['gpu-machine', ['g1', 'g2'], { mem: '501Gi', vcores: 48, gpus: 8, gpuModel: 'V100' }, true],
      ['cpu-machine', ['c1'], { mem: '250Gi', vcores: 64, gpus: 0, gpuModel: undefined }, true],
      ['worker-machine', ['x'], { mem: '16Gi', vcores: 4, gpus: 0, gpuModel: undefined }, false],
    ]);
    expect(memoryQuantity([0.5 * 2 ** 30])).toBe('512Mi');
  });
});

describe('wizard probe over SSH (Ports.openHosts)', () => {
  it("gathers the facts with the pre-flight engine's one-shell batch and records host keys in a 0700 work dir", async () => {
    // A fake SSH whose sessions run the batch script with this machine's sh, a fake nvidia-smi first on PATH.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'nvidia-smi'),
      '#!/bin/sh\necho "GPU 0: Tesla T4 (UUID: GPU-a)"\necho "GPU 1: Tesla T4 (UUID: GPU-b)"\n',
    );
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const opened: RemoteHostsOptions[] = [];
    const hosts: RemoteHosts = {
      connect: async (target) =>
        target.hostname === 'down'
          ? {
              ok: false,
              failure: { kind: 'unreachable', message: 'connection refused' },
              hostKey: undefined,
              attempts: 1,
            }
          : {
              ok: true,
              hostKey: undefined,
              attempts: 1,
              millis: 1,
              session: {
                authMethod: 'publickey',
                exec: (command, options) =>
                  new Promise<ExecResult>((resolve) => {
                    const child = execFile(
                      'sh',
                      ['-c', command],
                      { env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` } },
                      (error, stdout, stderr) =>
                        resolve({
                          stdout,
                          stderr,
                          exitCode: error ? 1 : 0,
                          timedOut: false,
                          sentAt: 0,
                          firstOutputAt: 0,
                        }),
                    );
                    child.stdin?.end(options.stdin ?? '');
                  }),
                close: () => undefined,
              },
            },
    };
    const ports = fakePorts({ hosts });
    const openHosts = ports.openHosts.bind(ports);
    ports.openHosts = (options) => {
      opened.push(options);
      return openHosts(options);
    };
    const key = join(dir, 'probe-key');
    writeFileSync(key, 'PRIVATE');
    const knownHosts = join(dir, 'home', 'clusters', 'c1', 'known_hosts');
    const io = new PlainHost({ stdout: new FakeStream(), stderr: new FakeStream(), env: {} });
    const results = await sshProbe(ports, { env: { SSH_AUTH_SOCK: '/tmp/agent.sock' } })({
      targets: [
        { hostname: 'up', ip: '10.0.0.1' },
        { hostname: 'down', ip: '10.0.0.2' },
      ],
      login: { user: 'pai', port: 2222, keyFile: key, password: 'pw' },
      knownHostsPath: knownHosts,
      io,
      signal: new AbortController().signal,
    });
    expect(opened[0]).toMatchObject({
      login: {
        username: 'pai',
        port: 2222,
        privateKey: Buffer.from('PRIVATE'),
        password: 'pw',
        agent: '/tmp/agent.sock',
      },
      knownHostsPath: knownHosts,
      acceptNewHostKeys: true,
    });
    expect(statSync(join(dir, 'home', 'clusters', 'c1')).mode & 0o777).toBe(0o700);
    expect(results[0]).toMatchObject({ hostname: 'up', ok: true, hardware: { gpus: 2, gpuModel: 'Tesla T4' } });
    const up = results[0]!;
    if (up.ok) {
      expect(up.hardware.cpus).toBeGreaterThan(0);
      expect(up.hardware.memoryBytes).toBeGreaterThan(0);
    }
    expect(results[1]).toMatchObject({ hostname: 'down', ok: false, failure: { kind: 'unreachable' } });
  });
});

describe('wizard texts', () => {
  it('scriptedRunHelp names the flags of a scripted run and where each answer goes', () => {
    const help = scriptedRunHelp();
    for (const flag of [
      '-l layout.yaml -c config.yaml --yes',
      '--dry-run',
      '--master-csv',
      '--worker-csv',
      'config init',
    ]) {
      expect(help).toContain(flag);
    }
    for (const key of [
      'cluster_id',
      'ssh_key_file_path',
      'machine-list',
      'computing-device',
      'docker_image_tag',
      'openpai_kube_network_plugin',
    ]) {
      expect(help).toContain(key);
    }
  });

  it('the summary says a password is there without showing it', () => {
    const answers = cluster();
    answers.ssh.password = 'hunter2-secret';
    const text = summaryText(answers, { layoutPath: '/d/layout.yaml', configPath: '/d/config.yaml' });
    expect(text).toContain('with a password');
    expect(text).toContain('pai-gpu-01');
    expect(text).toContain('4 x nvidia.com/gpu (K80)');
    expect(text).not.toContain('hunter2');
  });
});

describe('IoHost.interactive: whether the wizard can run at all', () => {
  it('is true only for the terminal host with a terminal on stdin', async () => {
    const stderr = () => new FakeStream({ isTTY: true, columns: 80, rows: 24 });
    const tty = new TerminalHost({
      stdout: new FakeStream(),
      stderr: stderr(),
      env: { TERM: 'xterm' },
      stdin: Object.assign(new PassThrough(), { isTTY: true }),
    });
    const piped = new TerminalHost({ stdout: new FakeStream(), stderr: stderr(), env: {}, stdin: new PassThrough() });
    expect(tty.interactive).toBe(true);
    expect(piped.interactive).toBe(false);
    expect(new PlainHost({ stdout: new FakeStream(), stderr: new FakeStream(), env: {} }).interactive).toBe(false);
    expect(new JsonHost({ stdout: new FakeStream(), stderr: new FakeStream(), env: {} }).interactive).toBe(false);
    expect(tty.interactive).toBe(tty.canAsk);
    await tty.close();
    await piped.close();
  });
});

describe('a host without a terminal and a validate that takes a moment', () => {
  it('checks the default with the async validate and answers with it, or refuses it naming the flag', async () => {
    const stderr = new FakeStream();
    const io = new PlainHost({ stdout: new FakeStream(), stderr, env: {} });
    const validate = async (value: string) => (value === 'good' ? true : `"${value}" is bad`);
    await expect(io.request({ kind: 'input', code: 'q', text: 'Q', default: 'good', validate })).resolves.toBe('good');
    expect(stderr.text).toContain('Q: using the default "good"');
    const refused = io.request({ kind: 'input', code: 'q', text: 'Q', default: 'bad', validate, flag: '--config' });
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow('"bad" is bad');
    await expect(io.request({ kind: 'editor', code: 'e', text: 'List', flag: '--layout' })).rejects.toThrow(
      'pass --layout',
    );
  });
});
