import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cliPath, repoRoot, runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { describeWithInfra } from '../support/infra.js';
import { labAvailable, useLab } from '../support/lab.js';
import { tmuxUnavailable, useTmux } from '../support/tmux.js';
import { ownAddresses } from '../support/self-cluster.js';

/**
 * The quick-start wizard on a real terminal: a tmux session runs it, the test reads the screen and types, as a person
 * would. One test runs the built `pai-deploy quick-start` in an empty directory (the wizard, then the command's own
 * "Deploy now?"); the others run the wizard alone through a test-only entry written below — the CLI's own I/O host on
 * the process's streams, the real ports, a SIGINT that aborts the run, errors mapped to exit codes by
 * src/cli/exit-codes.ts — so they can read what it resolved with.
 *
 * With the lab (machines with real sshd, one with two simulated GPUs, one that takes only a password) the wizard
 * probes them over real SSH and installs a key; without it, loopback-only self-cluster machines are described (their
 * SSH port refuses, so the probe fails and the SKUs are answered by hand). Either way the written files pass
 * `pai-deploy validate`.
 */
// Bringing the lab up may build its images first on a fresh machine (scripts/lab images does it in CI provisioning).
vi.setConfig({ hookTimeout: 900_000 });
const dir = tempDir('pai-deploy-wizard-e2e-');
const ENTRY = join(dir, 'wizard-entry.mts');
const src = (path: string) => JSON.stringify(join(repoRoot, 'src', path));
writeFileSync(
  ENTRY,
  `import { writeFileSync } from 'node:fs';
import { createIoHost } from ${src('cli/io/create-io-host.ts')};
import { reportFor } from ${src('cli/exit-codes.ts')};
import { runQuickStartWizard } from ${src('cli/wizard/index.ts')};
import { InterruptedError } from ${src('errors.ts')};
import { realPorts } from ${src('infra/ports.ts')};
const [out, resultFile] = process.argv.slice(2);
const controller = new AbortController();
process.on('SIGINT', () => controller.abort(new InterruptedError('SIGINT')));
const io = createIoHost({ progress: 'auto', stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin, signal: controller.signal });
let code = 0;
let result;
try {
  result = await runQuickStartWizard(io, { ports: realPorts(), cwd: process.cwd(), signal: controller.signal, env: process.env }, { dir: out });
} catch (error) {
  const report = reportFor(error, false, controller.signal.aborted ? 'SIGINT' : undefined);
  process.stderr.write(report.text ?? '');
  code = report.exitCode;
}
await io.close();
writeFileSync(resultFile, JSON.stringify({ code, result: result ?? null }));
process.exit(code);
`,
);

const { TmuxTerminal } = useTmux(`pai-wizard-e2e-${process.pid}`);

let runs = 0;
function startWizard(env: Record<string, string>) {
  const run = ++runs;
  const out = join(dir, `out-${run}`);
  execFileSync('mkdir', ['-p', out]);
  const resultFile = join(dir, `result-${run}.json`);
  const home = join(dir, `home-${run}`);
  const command = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(ENTRY)} ${JSON.stringify(out)} ${JSON.stringify(resultFile)}`;
  const terminal = new TmuxTerminal(command, {
    cwd: repoRoot,
    env: { PAI_DEPLOY_HOME: home, HOME: process.env['HOME'] ?? '/root', PATH: process.env['PATH'] ?? '', ...env },
  });
  return { terminal, out, home, result: () => JSON.parse(readFileSync(resultFile, 'utf8')) as { code: number } };
}

/** The written files pass the real CLI's `validate`. */
async function expectValid(out: string): Promise<void> {
  const validated = await runCli(['validate', '-l', join(out, 'layout.yaml'), '-c', join(out, 'config.yaml')]);
  expect(validated.code, validated.stdout + validated.stderr).toBe(0);
  expect(statSync(join(out, 'config.yaml')).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(out, 'layout.yaml'), 'utf8').split('\n')[0]).toBe(
    '# yaml-language-server: $schema=./layout.schema.json',
  );
}

await describeWithInfra(
  'quick-start wizard on a terminal, two lab machines',
  async () => tmuxUnavailable() ?? (await labAvailable()),
  () => {
    const lab = useLab({
      name: `wizard-e2e-${process.pid}`,
      machines: [
        { hostname: 'wz-master', profile: 'master', light: true },
        { hostname: 'wz-gpu', profile: 'gpu-worker', gpus: 2, light: true },
        // Refuses the lab key; its password works.
        { hostname: 'wz-pw', profile: 'password-only', light: true },
      ],
    });

    it(
      'probes the machines over SSH, prefills their SKUs, and writes files that validate',
      { timeout: 120_000 },
      async () => {
        const [master, gpu] = [lab().machine('wz-master'), lab().machine('wz-gpu')];
        const { terminal, out, home, result } = startWizard({});
        await terminal.answer('Cluster id', 'wizard-lab');
        await terminal.answer('SSH user', master.user);
        await terminal.answer('SSH port', '');
        await terminal.answer('How does pai-deploy log in', '');
        await terminal.waitFor('Private key file');
        terminal.keys('C-u');
        terminal.type(master.keyPath);
        terminal.keys('Enter');
        await terminal.answer('Does sudo ask', 'n');
        await terminal.answer('The machines', '');
        await terminal.answer('Master hostname', master.hostname);
        await terminal.answer('Master IPv4', master.ip);
        await terminal.answer('Worker 1 hostname', gpu.hostname);
        await terminal.answer('Worker 1 IPv4', gpu.ip);
        await terminal.answer('Worker 2 hostname', '');
        await terminal.answer('over SSH now', '');
        // Prefilled from nvidia-smi, nproc and /proc/meminfo on the machines.
        await terminal.answer(/CPU cores per machine \(\d+\)/, '');
        await terminal.answer(/Memory per machine.*\(\d+Gi\)/, '');
        await terminal.answer("GPUs of gpu-machine's machines", '');
        await terminal.answer(/Device model.*\(Tesla K80\)/, '');
        await terminal.answer(/Devices per machine \(2\)/, '');
        await terminal.answer(/CPU cores per machine \(\d+\)/, '');
        await terminal.answer(/Memory per machine.*\(\d+Gi\)/, '');
        await terminal.answer('Registry of OpenPAI', '');
        await terminal.answer('Image namespace', '');
        await terminal.answer('OpenPAI release', '');
        await terminal.answer('network plugin', '');
        await terminal.answer('advanced', '');
        const summary = await terminal.answer(`Write ${join(out, 'layout.yaml')}`, '');
        expect(summary).toContain('SKU gpu-machine: 2 x nvidia.com/gpu (Tesla K80)');
        expect(await terminal.exit(), terminal.screen()).toBe(0);
        expect(result().code).toBe(0);
        await expectValid(out);
        // The probe recorded both host keys where `pai-deploy check` will look for them.
        const knownHosts = readFileSync(join(home, 'clusters', 'wizard-lab', 'known_hosts'), 'utf8');
        expect(knownHosts).toContain(master.ip);
        expect(knownHosts).toContain(gpu.ip);
        expect(statSync(join(home, 'clusters', 'wizard-lab')).mode & 0o777).toBe(0o700);
      },
    );

    it(
      'a machine that takes only the password gets the key installed (ssh setup-keys), then the key works',
      { timeout: 120_000 },
      async () => {
        const [master, pw] = [lab().machine('wz-master'), lab().machine('wz-pw')];
        expect((await lab().exec('wz-pw', 'true')).code).not.toBe(0);
        const { terminal, out, result } = startWizard({});
        await terminal.answer('Cluster id', 'wizard-keys');
        await terminal.answer('SSH user', master.user);
        await terminal.answer('SSH port', '');
        await terminal.answer('How does pai-deploy log in', '');
        await terminal.waitFor('Private key file');
        terminal.keys('C-u');
        terminal.type(master.keyPath);
        terminal.keys('Enter');
        await terminal.answer('Does sudo ask', 'y');
        await terminal.waitFor('Password of the user for sudo');
        terminal.paste(pw.password ?? '');
        terminal.keys('Enter');
        await terminal.answer('The machines', '');
        await terminal.answer('Master hostname', master.hostname);
        await terminal.answer('Master IPv4', master.ip);
        await terminal.answer('Worker 1 hostname', pw.hostname);
        await terminal.answer('Worker 1 IPv4', pw.ip);
        await terminal.answer('Worker 2 hostname', '');
        await terminal.answer('over SSH now', '');
        await terminal.answer(`(${pw.hostname}) accepts only the password`, '');
        await terminal.waitFor('Private key whose public half');
        terminal.keys('C-u');
        terminal.type(master.keyPath);
        terminal.keys('Enter');
        await terminal.answer(/installed .*\.pub on 1 machine[\s\S]*CPU cores per machine/, '');
        await terminal.answer('Memory per machine', '');
        await terminal.answer("GPUs of cpu-machine's machines", '');
        await terminal.answer('CPU cores per machine', '');
        await terminal.answer('Memory per machine', '');
        await terminal.answer('Registry of OpenPAI', '');
        await terminal.answer('Image namespace', '');
        await terminal.answer('OpenPAI release', '');
        await terminal.answer('network plugin', '');
        await terminal.answer('advanced', '');
        await terminal.answer(`Write ${join(out, 'layout.yaml')}`, '');
        expect(await terminal.exit(), terminal.screen()).toBe(0);
        expect(result().code).toBe(0);
        await expectValid(out);
        // The lab key now logs in where only the password did; the password never reached the screen.
        expect((await lab().exec('wz-pw', 'true')).code).toBe(0);
        expect(terminal.screen()).not.toContain(pw.password ?? '(none)');
        const config = readFileSync(join(out, 'config.yaml'), 'utf8');
        expect(config).toContain(`ssh_key_file_path: ${JSON.stringify(master.keyPath)}`);
        expect(config).toContain(`password: ${JSON.stringify(pw.password)}`);
      },
    );
  },
);

await describeWithInfra('quick-start wizard on a terminal, self-cluster machines', tmuxUnavailable, () => {
  it(
    'a pasted list, a masked password, no probe results: files that validate, the password only in config.yaml',
    { timeout: 60_000 },
    async () => {
      const [first, second] = ownAddresses();
      const list = join(dir, 'machines.txt');
      writeFileSync(list, `self-master ${first}\nself-worker ${second}\n`);
      const editor = join(dir, 'editor.sh');
      writeFileSync(editor, `#!/bin/sh\ncat ${JSON.stringify(list)} > "$1"\n`, { mode: 0o755 });
      const { terminal, out, result } = startWizard({ VISUAL: editor });
      const secret = `pw-${process.pid}-e2e`;
      await terminal.answer('Cluster id', 'wizard-self');
      await terminal.answer('SSH user', 'pai');
      // Port 1 refuses at once: the probe fails fast and says so.
      await terminal.answer('SSH port', '1');
      await terminal.waitFor('How does pai-deploy log in');
      terminal.keys('Down', 'Enter');
      await terminal.waitFor('Password of pai');
      terminal.paste(secret);
      terminal.keys('Enter');
      await terminal.waitFor('The machines');
      terminal.keys('Down', 'Enter');
      await terminal.answer('Press', '');
      await terminal.answer('over SSH now', '');
      await terminal.answer(/CPU cores per machine \(4\)/, '');
      await terminal.answer(/Memory per machine.*\(40Gi\)/, '');
      await terminal.answer("GPUs of worker-machine's machines", '');
      await terminal.answer(/CPU cores per machine \(4\)/, '');
      await terminal.answer(/Memory per machine.*\(16Gi\)/, '');
      await terminal.answer('Registry of OpenPAI', '');
      await terminal.answer('Image namespace', '');
      await terminal.answer('OpenPAI release', '');
      await terminal.answer('network plugin', '');
      await terminal.answer('advanced', '');
      await terminal.answer(`Write ${join(out, 'layout.yaml')}`, '');
      expect(await terminal.exit(), terminal.screen()).toBe(0);
      expect(result().code).toBe(0);
      await expectValid(out);
      expect(terminal.screen()).not.toContain(secret);
      expect(terminal.screen()).toMatch(/self-worker: not probed \(unreachable\)/);
      expect(readFileSync(join(out, 'config.yaml'), 'utf8')).toContain(`password: "${secret}"`);
      for (const name of ['layout.yaml', 'layout.schema.json', 'config.schema.json']) {
        expect(readFileSync(join(out, name), 'utf8')).not.toContain(secret);
      }
    },
  );

  it(
    '`pai-deploy quick-start` in an empty directory: the wizard writes the files there, then asks before deploying',
    { timeout: 60_000 },
    async () => {
      const [first, second] = ownAddresses();
      const cwd = join(dir, 'quick-start-cwd');
      execFileSync('mkdir', ['-p', cwd]);
      const key = join(dir, 'qs_key');
      writeFileSync(key, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', {
        mode: 0o600,
      });
      const home = join(dir, 'home-quick-start');
      const terminal = new TmuxTerminal(`${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} quick-start`, {
        cwd,
        env: { PAI_DEPLOY_HOME: home, HOME: process.env['HOME'] ?? '/root', PATH: process.env['PATH'] ?? '' },
      });
      await terminal.answer('Cluster id', 'qs');
      await terminal.answer('SSH user', 'pai');
      await terminal.answer('SSH port', '1');
      await terminal.answer('How does pai-deploy log in', '');
      await terminal.waitFor('Private key file');
      terminal.keys('C-u');
      terminal.type(key);
      terminal.keys('Enter');
      await terminal.answer('Does sudo ask', 'n');
      await terminal.answer('The machines', '');
      await terminal.answer('Master hostname', 'qs-master');
      await terminal.answer('Master IPv4', first);
      await terminal.answer('Worker 1 hostname', 'qs-worker');
      await terminal.answer('Worker 1 IPv4', second);
      await terminal.answer('Worker 2 hostname', '');
      // No probe: the SKUs take their defaults.
      await terminal.answer('over SSH now', 'n');
      await terminal.answer('CPU cores per machine', '');
      await terminal.answer('Memory per machine', '');
      await terminal.answer("GPUs of worker-machine's machines", '');
      await terminal.answer('CPU cores per machine', '');
      await terminal.answer('Memory per machine', '');
      await terminal.answer('Registry of OpenPAI', '');
      await terminal.answer('Image namespace', '');
      await terminal.answer('OpenPAI release', '');
      await terminal.answer('network plugin', '');
      await terminal.answer('advanced', '');
      await terminal.answer(`Write ${join(cwd, 'layout.yaml')}`, '');
      await terminal.answer('Deploy now?', 'n');
      await terminal.waitFor('nothing was done');
      expect(await terminal.exit(), terminal.screen()).toBe(0);
      await expectValid(cwd);
    },
  );

  it('Ctrl-C in the middle exits 130 and writes nothing', { timeout: 30_000 }, async () => {
    const { terminal, out, home } = startWizard({});
    await terminal.answer('Cluster id', '');
    await terminal.answer('SSH user', 'pai');
    await terminal.waitFor('SSH port');
    terminal.keys('C-c');
    expect(await terminal.exit(), terminal.screen()).toBe(130);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(home)).toBe(false);
  });
});

describe('quick-start wizard without a terminal', () => {
  it('never prompts: exits 2 at once naming the flag, having written nothing', { timeout: 30_000 }, async () => {
    const out = join(dir, 'no-terminal');
    execFileSync('mkdir', ['-p', out]);
    const started = Date.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, out, join(dir, 'no-terminal.json')], {
        cwd: repoRoot,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, PAI_DEPLOY_HOME: join(dir, 'home-no-terminal') },
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('close', (exit) => resolve({ code: exit, stderr: err }));
    });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain('pass --config');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(readdirSync(out)).toEqual([]);
  });
});
