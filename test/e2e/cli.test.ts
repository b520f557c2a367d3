import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliPath, runCli } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { describeWithInfra } from '../support/infra.js';
import { withSilentServer, writeSelfCluster } from '../support/self-cluster.js';
import { onTerminal, scriptUnavailable } from '../support/terminal.js';

const dir = tempDir('pai-deploy-cli-');
const EXAMPLE = ['-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'];
const BAD_LAYOUT = join(dir, 'bad-layout.yaml');
writeFileSync(
  BAD_LAYOUT,
  readFileSync('examples/layout.yaml', 'utf8').replace('hostname: pai-gpu-02', 'hostname: pai-gpu-01'),
);

describe('help and usage', () => {
  it('prints help with examples and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Examples:');
    for (const command of ['validate', 'render', 'plan', 'config init', 'config import-csv'])
      expect(result.stdout).toContain(command);
  });
  it('prints each command help with examples', async () => {
    for (const args of [
      ['validate', '--help'],
      ['render', '-h'],
      ['plan', '--help'],
      ['config', 'init', '--help'],
      ['help', 'config', 'import-csv'],
    ]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/Usage: pai-deploy/);
      expect(result.stdout).toContain('Examples:');
    }
  });
  it('exits 2 on an unknown command, an unknown flag or a missing option', async () => {
    expect((await runCli(['deploy-everything'])).code).toBe(2);
    const flag = await runCli(['validate', ...EXAMPLE, '--colour']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--colour'/i);
    expect((await runCli(['validate', '-l', 'examples/layout.yaml'])).code).toBe(2);
    expect((await runCli(['validate', ...EXAMPLE, '--format', 'xml'])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
  });
  it('exits 2 with a clear message when a file cannot be read', async () => {
    const result = await runCli(['validate', '-l', 'no/such/layout.yaml', '-c', 'examples/config.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read no/such/layout.yaml: no such file or directory');
    expect(result.stderr).toContain('hint:');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('validate', () => {
  it('accepts the shipped example', async () => {
    const result = await runCli(['validate', ...EXAMPLE]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid (0 errors, 0 warnings)');
  });
  it('reports like a compiler and exits 1', async () => {
    const result = await runCli(['validate', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${BAD_LAYOUT}:\\d+:\\d+ error \\[duplicate-hostname\\] machine-list\\[2\\]\\.hostname: hostname "pai-gpu-01"`,
        'm',
      ),
    );
    expect(result.stdout).toContain('    hint: ');
    expect(result.stdout).not.toContain('\x1b[');
  });
  it('prints machine-readable JSON', async () => {
    const result = await runCli(['validate', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml', '--format', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    expect(report.errors[0]).toEqual(
      expect.objectContaining({
        severity: 'error',
        code: 'duplicate-hostname',
        file: BAD_LAYOUT,
        line: expect.any(Number),
        column: expect.any(Number),
        path: 'machine-list[2].hostname',
        message: expect.any(String),
        hint: expect.any(String),
      }),
    );
    expect(report.warnings).toEqual([]);
  });
  it('fails on warnings with --strict', async () => {
    const config = join(dir, 'warn-config.yaml');
    writeFileSync(config, 'user: pai\npassword: "x"\ndocker_image_tag: v1.8.0\nbranch_name: v1.0.0\n');
    expect((await runCli(['validate', '-l', 'examples/layout.yaml', '-c', config])).code).toBe(0);
    expect((await runCli(['validate', '-l', 'examples/layout.yaml', '-c', config, '--strict'])).code).toBe(1);
  });
  it('uses colour only when forced and never with NO_COLOR', async () => {
    const forced = await runCli(['validate', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml'], {
      env: { FORCE_COLOR: '1' },
    });
    expect(forced.stdout).toContain('\x1b[31merror');
    const noColor = await runCli(['validate', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml'], {
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(noColor.stdout).not.toContain('\x1b[');
  });
});

describe('render', () => {
  it('writes the five files, deterministically', async () => {
    const a = join(dir, 'render-a');
    const b = join(dir, 'render-b');
    expect((await runCli(['render', ...EXAMPLE, '--out', a])).code).toBe(0);
    expect((await runCli(['render', ...EXAMPLE, '--out', b])).code).toBe(0);
    for (const file of [
      'inventory/hosts.yml',
      'inventory/openpai.yml',
      'cluster-cfg/layout.yaml',
      'cluster-cfg/config.yaml',
      'cluster-cfg/services-configuration.yaml',
    ]) {
      expect(readFileSync(join(a, file)), file).toEqual(readFileSync(join(b, file)));
    }
    expect(statSync(join(a, 'cluster-cfg/config.yaml')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(a, 'inventory/hosts.yml'), 'utf8')).not.toContain('change-me');
  });
  it('makes its directories 0755 and the files 0644/0600 whatever the umask', async () => {
    const out = join(dir, 'render-umask');
    const line = `umask 000; '${process.execPath}' '${cliPath}' render -l examples/layout.yaml -c examples/config.yaml --out '${out}'`;
    execFileSync('sh', ['-c', line], { stdio: 'ignore' });
    const mode = (path: string) => statSync(join(out, path)).mode & 0o777;
    expect([mode('.'), mode('inventory'), mode('cluster-cfg')]).toEqual([0o755, 0o755, 0o755]);
    expect([mode('inventory/hosts.yml'), mode('cluster-cfg/config.yaml')]).toEqual([0o644, 0o600]);
  });
  it('explains an output it cannot write, exit 1, and leaves nothing behind', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const under = await runCli(['render', ...EXAMPLE, '--out', join(file, 'out')]);
    expect(under.code).toBe(1);
    expect(under.stderr).toContain('a part of the path is a file, not a directory');
    expect(under.stderr).not.toContain('internal error');
    const out = join(dir, 'render-dir-in-the-way');
    mkdirSync(join(out, 'inventory', 'hosts.yml'), { recursive: true });
    writeFileSync(join(out, 'inventory', 'openpai.yml'), 'old');
    const blocked = await runCli(['render', ...EXAMPLE, '--out', out]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/hosts\.yml: it is a directory/);
    expect(readFileSync(join(out, 'inventory', 'openpai.yml'), 'utf8')).toBe('old');
    expect(readdirSync(join(out, 'inventory')).sort()).toEqual(['hosts.yml', 'openpai.yml']);
    expect(readdirSync(out)).toEqual(['inventory']);
  });
  it('leaves the output absent on invalid input', async () => {
    const out = join(dir, 'render-invalid');
    const result = await runCli(['render', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml', '--out', out]);
    expect(result.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('render-invalid'))).toEqual([]);
  });
  it('leaves an existing output untouched on invalid input', async () => {
    const out = join(dir, 'render-existing');
    mkdirSync(join(out, 'inventory'), { recursive: true });
    writeFileSync(join(out, 'inventory', 'hosts.yml'), 'previous');
    expect((await runCli(['render', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml', '--out', out])).code).toBe(1);
    expect(readFileSync(join(out, 'inventory', 'hosts.yml'), 'utf8')).toBe('previous');
    expect(readdirSync(out)).toEqual(['inventory']);
  });
});

describe('plan', () => {
  it('describes the run as a dry run of the deploy action and writes nothing', async () => {
    const workDir = join(dir, 'work');
    const result = await runCli(['plan', ...EXAMPLE, '--work-dir', workDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kubespray release-2.11 @ 67167bd8d292');
    expect(result.stdout).toContain('1 master, 3 workers');
    expect(result.stdout).toMatch(/1\. cluster-configuration\n/);
    expect(result.stdout).toContain(`${join(workDir, 'rendered')}: write 5 files`);
    expect(result.stdout).toMatch(/pai-gpu-01: connect over SSH as pai@10\.0\.0\.11:22/);
    expect(result.stdout).toContain(
      `clone kubespray 67167bd8d292b67e9c8bceccbc8fb230d05bd2ba (tree 601ecad9c76c) from https://github.com/kubernetes-sigs/kubespray.git into ${join(workDir, 'kubespray')}`,
    );
    expect(existsSync(workDir)).toBe(false);
  });
  it('defaults the work dir to PAI_DEPLOY_HOME/clusters/<id> and speaks JSON', async () => {
    const home = join(dir, 'home');
    const result = await runCli(['plan', ...EXAMPLE, '--format', 'json'], { env: { PAI_DEPLOY_HOME: home } });
    expect(result.code).toBe(0);
    const { plan } = JSON.parse(result.stdout);
    expect(plan.workDir).toBe(join(home, 'clusters', 'pai'));
    expect(plan.machines.map((m: { hostname: string }) => m.hostname)).toEqual([
      'pai-master-01',
      'pai-gpu-01',
      'pai-gpu-02',
      'pai-cpu-01',
    ]);
    expect(plan.services.layers[0]).toEqual(['cluster-configuration']);
    type PlannedPhase = { id: string; steps: Array<{ description: string }> };
    expect(plan.phases.map((p: PlannedPhase) => p.id)).toEqual([
      'validate',
      'render',
      'check',
      'kubespray-source',
      'kubespray',
      'cluster-connect',
      'node-labels',
      'config-push',
      'openpai-source',
      'services',
    ]);
    // Every phase is built: none says it is not.
    const steps = plan.phases.flatMap((p: PlannedPhase) => p.steps.map((step) => step.description));
    expect(steps.filter((description: string) => /not built/.test(description))).toEqual([]);
    expect(existsSync(home)).toBe(false);
  });
});

describe('config init and import-csv', () => {
  it('writes a valid example pair and refuses to overwrite it', async () => {
    const target = join(dir, 'init');
    expect((await runCli(['config', 'init', '--dir', target])).code).toBe(0);
    expect(
      (await runCli(['validate', '-l', join(target, 'layout.yaml'), '-c', join(target, 'config.yaml')])).code,
    ).toBe(0);
    // Editors find the schema through the first line; it is written beside the file, as `config schema` prints it.
    for (const kind of ['layout', 'config']) {
      expect(readFileSync(join(target, `${kind}.yaml`), 'utf8').split('\n')[0]).toBe(
        `# yaml-language-server: $schema=./${kind}.schema.json`,
      );
      const printed = await runCli(['config', 'schema', kind]);
      expect(printed.code).toBe(0);
      expect(JSON.parse(readFileSync(join(target, `${kind}.schema.json`), 'utf8'))).toEqual(JSON.parse(printed.stdout));
    }
    expect(statSync(join(target, 'config.yaml')).mode & 0o777).toBe(0o600);
    const again = await runCli(['config', 'init', '--dir', target]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect((await runCli(['config', 'init', '--dir', target, '--force'])).code).toBe(0);
  });
  it('refuses to --force a file onto a directory, leaving nothing behind', async () => {
    const target = join(dir, 'init-blocked');
    mkdirSync(join(target, 'layout.yaml'), { recursive: true });
    const result = await runCli(['config', 'init', '--dir', target, '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('it is a directory');
    expect(result.stderr).not.toContain('internal error');
    expect(readdirSync(target)).toEqual(['layout.yaml']);
  });
  it('turns CSV lists into a layout that validates, and validates CSV directly', async () => {
    const master = join(dir, 'master.csv');
    const worker = join(dir, 'worker.csv');
    writeFileSync(master, '\uFEFFpai-master-01,10.0.0.10\r\n\r\n');
    writeFileSync(worker, 'pai-w-01,10.0.0.11\r\npai-w-02,10.0.0.12\r\n');
    const out = join(dir, 'imported.yaml');
    const result = await runCli([
      'config',
      'import-csv',
      '--master-csv',
      master,
      '--worker-csv',
      worker,
      '-o',
      out,
      '--worker-device',
      'nvidia.com/gpu',
      '--worker-device-count',
      '8',
      '--worker-device-model',
      'V100',
    ]);
    expect(result.code).toBe(0);
    const layout = parse(readFileSync(out, 'utf8'));
    expect(layout['machine-list']).toHaveLength(3);
    expect(layout['machine-sku']['worker-sku']['computing-device']).toEqual({
      type: 'nvidia.com/gpu',
      model: 'V100',
      count: 8,
    });
    // OpenPAI's layout schema requires a model: a device without one is refused before anything is written.
    const noModel = await runCli([
      'config',
      'import-csv',
      '--master-csv',
      master,
      '--worker-csv',
      worker,
      '-o',
      join(dir, 'no-model.yaml'),
      '--worker-device',
      'nvidia.com/gpu',
    ]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('--worker-device needs --worker-device-model');
    expect(existsSync(join(dir, 'no-model.yaml'))).toBe(false);
    expect((await runCli(['validate', '-l', out, '-c', 'examples/config.yaml'])).code).toBe(0);
    expect(
      (await runCli(['validate', '--master-csv', master, '--worker-csv', worker, '-c', 'examples/config.yaml'])).code,
    ).toBe(0);
    expect(
      (await runCli(['config', 'import-csv', '--master-csv', master, '--worker-csv', worker, '-o', out])).code,
    ).toBe(2);
  });
});

describe('check without a lab', () => {
  it('refuses an invalid configuration with exit 1, findings shown as validate shows them', async () => {
    const result = await runCli(['check', '-l', BAD_LAYOUT, '-c', 'examples/config.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('[duplicate-hostname]');
    expect(result.stderr).toContain('fix it first');
    expect((await runCli(['check', ...EXAMPLE, '--format', 'yaml'])).code).toBe(2);
  });
  it('reports machines that refuse connections as unreachable, and a dev-box that is part of the cluster', async () => {
    // Port 1 of this machine refuses at once.
    const { layout, config } = writeSelfCluster(dir, 'self', { port: 1 });
    const started = Date.now();
    const result = await runCli([
      'check',
      '-l',
      layout,
      '-c',
      config,
      '--work-dir',
      join(dir, 'self-work'),
      '--format',
      'json',
      '--connect-attempts',
      '2',
      '--connect-timeout',
      '2s',
      '--only',
      'ssh.*,devbox.separate',
      '-v',
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.summary).toMatchObject({ machines: 2, unreachable: 2 });
    const master = report.machines.find((m: { hostname: string }) => m.hostname === 'self-master');
    expect(master.checks.find((c: { id: string }) => c.id === 'ssh.connect')).toMatchObject({
      status: 'fail',
      observed: expect.stringContaining('ECONNREFUSED'),
    });
    expect(report.cluster.checks[0]).toMatchObject({ id: 'devbox.separate', status: 'fail' });
    expect(result.stderr).toMatch(/self-master: connecting \(attempt 2\)/);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});

describe('Ctrl-C', () => {
  it('stops a check that is waiting on a silent machine with exit 130 and says so', async () => {
    await withSilentServer(async (port) => {
      // The silent master would keep the check waiting for its whole connect timeout.
      const { layout, config } = writeSelfCluster(dir, 'silent', { port });
      const child = spawn(
        process.execPath,
        [
          cliPath,
          'check',
          '-l',
          layout,
          '-c',
          config,
          '--work-dir',
          join(dir, 'silent-work'),
          '--connect-timeout',
          '60',
          '--only',
          'ssh.*',
          '-v',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      const connecting = new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('silent-master: connecting')) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await connecting;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = Date.now();
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(stderr).toContain('interrupted');
    });
  });
});

await describeWithInfra('check on a terminal', scriptUnavailable, () => {
  /** `check` of the tty cluster on a terminal `columns` wide, with an optional shell redirection and wrapper. */
  const checkLine = (options: {
    columns: number;
    port?: number;
    redirect?: string;
    wrapper?: string;
    connectTimeout?: number;
  }) => {
    writeSelfCluster(dir, 'tty', { port: options.port ?? 1 });
    const command = `'${process.execPath}' '${cliPath}' check -l tty-layout.yaml -c tty-config.yaml --work-dir tty-work --connect-attempts 1 --connect-timeout ${options.connectTimeout ?? 2} --only 'ssh.*'`;
    return `stty cols ${options.columns} rows 40; ${options.wrapper ?? ''} ${command} ${options.redirect ?? ''}`;
  };
  it('draws live progress per machine, then the report', async () => {
    const { code, screen } = await onTerminal(checkLine({ columns: 100 }), { cwd: dir });
    expect(code).toBe(1);
    // eslint-disable-next-line no-control-regex -- the terminal's cursor-up sequence: the live area is redrawn in place
    expect(screen).toMatch(/\x1b\[\d+A/);
    expect(screen).toMatch(/tty-master: unreachable/);
    expect(screen).toContain('2 machines: 0 passed, 0 with warnings, 0 failed, 2 unreachable');
    expect(screen).toMatch(/recap:.*2 failed/);
  });
  it('keeps stdout a clean report when it is redirected, with the live display on stderr', async () => {
    const { code, screen } = await onTerminal(checkLine({ columns: 100, redirect: '> tty-report.txt' }), { cwd: dir });
    expect(code).toBe(1);
    const report = readFileSync(join(dir, 'tty-report.txt'), 'utf8');
    expect(report.startsWith('tty-master (')).toBe(true);
    expect(report).not.toContain('\x1b');
    expect(report).not.toContain('connecting');
    expect(screen).toMatch(/tty-master: unreachable/);
    expect(screen).not.toContain('tty-master (');
  });
  it('keeps stderr free of escapes when it is redirected on a terminal', async () => {
    const { code } = await onTerminal(checkLine({ columns: 100, redirect: '2> tty-progress.txt' }), { cwd: dir });
    expect(code).toBe(1);
    const progress = readFileSync(join(dir, 'tty-progress.txt'), 'utf8');
    expect(progress).toMatch(/tty-master: unreachable/);
    expect(progress).not.toContain('\x1b');
  });
  it('gives the cursor back when Ctrl-C stops the live display', async () => {
    await withSilentServer(async (port) => {
      const { code, screen } = await onTerminal(
        checkLine({ columns: 100, port, connectTimeout: 30, wrapper: 'timeout --preserve-status -s INT 2' }),
        { cwd: dir },
      );
      expect(code).toBe(130);
      expect(screen).toContain('\x1b[?25l');
      expect(screen.lastIndexOf('\x1b[?25h')).toBeGreaterThan(screen.lastIndexOf('\x1b[?25l'));
      expect(screen).toContain('interrupted');
    });
  });
  it('falls back to plain lines on a terminal that reports no width', async () => {
    const { screen } = await onTerminal(checkLine({ columns: 0 }), { cwd: dir });
    expect(screen).toMatch(/^tty-master: unreachable: .*\r?$/m);
    // eslint-disable-next-line no-control-regex -- no cursor-up: nothing is redrawn
    expect(screen).not.toMatch(/\x1b\[\d+A/);
  });
});

describe('k8s set-env', () => {
  it("merges the work dir's kubeconfig into the user's after a backup, 0600, other contexts kept", async () => {
    const home = join(dir, 'set-env-home');
    const workDir = join(home, '.pai-deploy', 'clusters', 'lab1');
    mkdirSync(join(workDir, 'kube'), { recursive: true });
    writeFileSync(
      join(workDir, 'kube', 'config'),
      'apiVersion: v1\nkind: Config\nclusters:\n- name: cluster.local\n  cluster: {server: "https://10.0.0.10:6443"}\n' +
        'users:\n- name: kubernetes-admin\n  user: {client-key-data: S0VZ}\ncontexts:\n- name: admin@cluster.local\n' +
        '  context: {cluster: cluster.local, user: kubernetes-admin}\ncurrent-context: admin@cluster.local\n',
    );
    mkdirSync(join(home, '.kube'));
    const mine =
      'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: mine\n  context: {}\ncurrent-context: mine\n';
    writeFileSync(join(home, '.kube', 'config'), mine);
    const env = { HOME: home, PAI_DEPLOY_HOME: join(home, '.pai-deploy'), KUBECONFIG: '' };
    const dry = await runCli(['k8s', 'set-env', '--cluster-id', 'lab1', '--dry-run'], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would add context "lab1" in ${join(home, '.kube', 'config')}`);
    expect(readFileSync(join(home, '.kube', 'config'), 'utf8')).toBe(mine);
    const result = await runCli(['k8s', 'set-env', '--cluster-id', 'lab1', '--use'], { env });
    expect(result.code).toBe(0);
    const merged = parse(readFileSync(join(home, '.kube', 'config'), 'utf8'));
    expect(merged['current-context']).toBe('lab1');
    expect(merged.contexts.map((context: { name: string }) => context.name)).toEqual(['mine', 'lab1']);
    expect(merged.clusters[0].cluster.server).toBe('https://10.0.0.10:6443');
    expect(statSync(join(home, '.kube', 'config')).mode & 0o777).toBe(0o600);
    const backups = readdirSync(join(home, '.kube')).filter((name) => name.startsWith('config.pai-deploy-backup-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(home, '.kube', backups[0]!), 'utf8')).toBe(mine);
    const missing = await runCli(['k8s', 'set-env', '--cluster-id', 'nope'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('is written by `pai-deploy kubespray run`');
  });
});

describe('devbox_image in config.yaml', () => {
  it('selects the image kubespray runs in (the plan shows it); a malformed one is a finding', async () => {
    const config = join(dir, 'devbox-config.yaml');
    writeFileSync(config, 'user: pai\npassword: x\ndocker_image_tag: v1.8.0\ndevbox_image: my-reg/devbox:2.7\n');
    const plan = await runCli(['plan', '-l', 'examples/layout.yaml', '-c', config, '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).plan.devboxImage).toBe('my-reg/devbox:2.7');
    expect(plan.stdout).toContain('docker run --network host my-reg/devbox:2.7 ansible-playbook');
    writeFileSync(config, 'user: pai\npassword: x\ndocker_image_tag: v1.8.0\ndevbox_image: "my image"\n');
    const bad = await runCli(['validate', '-l', 'examples/layout.yaml', '-c', config]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('[invalid-format] devbox_image');
  });
});

describe('no Docker engine', () => {
  it('says which engine it could not reach and what to do, exit 1, for every command that needs one', async () => {
    const refused = await withClosedLoopbackPort((port) =>
      runCli(['devbox', 'check', '--devbox-image', 'x:1'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot reach the Docker engine at 127\.0\.0\.1:\d+: connection refused/);
    expect(refused.stderr).toContain('Start the Docker engine');
    expect(refused.stderr).not.toContain('internal error');

    const socket = join(dir, 'no-docker.sock');
    const FIXTURE_TREE = ['--kubespray-dir', 'test/fixtures/kubespray-shaped', '--allow-unpinned-kubespray'];
    const missing = await runCli(
      ['kubespray', 'run', ...EXAMPLE, '--work-dir', join(dir, 'no-engine'), ...FIXTURE_TREE],
      { env: { DOCKER_HOST: `unix://${socket}` } },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot reach the Docker engine at unix://${socket}: no such socket`);
    expect(missing.stderr).not.toContain('internal error');
  });
});

/** A loopback port nothing listens on: bound, then closed before `use` runs. */
async function withClosedLoopbackPort<T>(use: (port: number) => Promise<T>): Promise<T> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return use(port);
}
