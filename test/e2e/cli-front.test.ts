import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBigCluster } from '../support/big-layout.js';
import { cliPath, repoRoot, runCli, type CliResult } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';
import { ownAddresses, withSilentServer, writeSelfCluster } from '../support/self-cluster.js';

// The CLI's front, on the built binary: option parsing (typed values, never NaN), usage errors (exit 2, with
// "did you mean"), help and version, shell completion, and what happens when stdout goes away or fills up.
// `--help` speed is measured by scripts/bench.mjs, never asserted here.

const dir = tempDir('pai-deploy-front-');
const home = join(dir, 'home');
const EXAMPLE = ['-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'];
const STACK_TRACE = /\n\s+at .+(:\d+:\d+\)?|\(native\))$/m;
const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** The built CLI with PAI_DEPLOY_HOME in the temp dir, so nothing lands in the real home. */
function cli(args: readonly string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return runCli(args, { cwd: options.cwd, env: { PAI_DEPLOY_HOME: home } });
}

/** Runs a bash script (NODE and CLI in its environment name the built CLI); `args` become $1, $2, ... */
function bash(script: string, args: readonly string[] = [], options: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script, 'bash', ...args],
      {
        cwd: options.cwd ?? repoRoot,
        env: { ...process.env, NODE: process.execPath, CLI: cliPath, PAI_DEPLOY_HOME: home },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error && typeof error.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    );
  });
}

function installed(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

function expectNoStackTrace(result: CliResult): void {
  expect(result.stderr, 'no stack trace').not.toMatch(STACK_TRACE);
  expect(result.stderr).not.toContain('internal error');
}

interface CheckReport {
  summary: { machines: number; unreachable: number };
  machines: Array<{
    hostname: string;
    reachable: boolean;
    checks: Array<{ id: string; status: string; observed?: string; message?: string }>;
  }>;
  cluster: { checks: Array<{ id: string; status: string }> };
}

describe('typed option values', () => {
  it('refuses a duration that is not one, naming the flag (never NaN)', async () => {
    const result = await cli(['check', ...EXAMPLE, '--max-clock-offset', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-clock-offset');
    expect(result.stderr).toContain("'abc'");
    expect(result.stderr).toMatch(/expected a duration/);
    expect(result.stderr).not.toContain('NaN');
    expectNoStackTrace(result);
  });

  it.each([['0'], ['-1s'], ['1.5x']])('refuses --connect-timeout %s with exit 2', async (value) => {
    const result = await cli(['check', ...EXAMPLE, '--connect-timeout', value]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('--connect-timeout');
    expect(result.stderr).not.toContain('NaN');
  });

  it.each([['0'], ['1.5'], ['abc']])('refuses --concurrency %s with exit 2, naming the flag', async (value) => {
    const result = await cli(['check', ...EXAMPLE, '--concurrency', value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--concurrency');
    expect(result.stderr).toMatch(/expected a whole number/);
    expect(result.stderr).not.toContain('NaN');
  });

  // Against a cluster of this machine's own addresses with SSH on port 1 (refused at once): nothing else is contacted.
  it.each([
    ['--connect-timeout', '90s'],
    ['--command-timeout', '2m'],
    ['--machine-timeout', '500ms'],
    ['--max-clock-offset', '10'],
  ])('accepts %s %s', async (flag, value) => {
    const { layout, config } = writeSelfCluster(dir, 'durations', { port: 1 });
    const result = await cli([
      'check',
      '-l',
      layout,
      '-c',
      config,
      '--work-dir',
      join(dir, `work${flag}`),
      '--connect-attempts',
      '1',
      '--only',
      'devbox.separate',
      '--format',
      'json',
      flag,
      value,
    ]);
    // 1: the machines refuse SSH and the dev-box is one of them; 2 would be a refused option.
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).not.toContain('is invalid');
    const report = JSON.parse(result.stdout) as CheckReport;
    expect(report.summary).toMatchObject({ machines: 2, unreachable: 2 });
    expect(report.cluster.checks.map((check) => check.id)).toContain('devbox.separate');
    expectNoStackTrace(result);
  });

  it('takes 500ms as half a second: a machine that never sends an SSH banner is unreachable after the timeout', async () => {
    const [master] = ownAddresses();
    await withSilentServer(async (port) => {
      const { layout, config } = writeSelfCluster(dir, 'banner', { port });
      const started = Date.now();
      const result = await cli([
        'check',
        '-l',
        layout,
        '-c',
        config,
        '--work-dir',
        join(dir, 'banner-work'),
        '--limit',
        'banner-master',
        '--connect-attempts',
        '1',
        '--connect-timeout',
        '500ms',
        '--only',
        'ssh.connect',
        '--format',
        'json',
      ]);
      const elapsed = Date.now() - started;
      expectNoStackTrace(result);
      expect(result.code, result.stderr).toBe(1);
      const report = JSON.parse(result.stdout) as CheckReport;
      expect(report.machines[0]).toMatchObject({ hostname: 'banner-master', reachable: false });
      expect(report.machines[0]?.checks.find((check) => check.id === 'ssh.connect')).toMatchObject({ status: 'fail' });
      expect(elapsed).toBeLessThan(15_000);
    }, master);
  });
});

describe('usage errors and help', () => {
  it('`config` without a subcommand lists its subcommands and exits 2', async () => {
    const result = await cli(['config']);
    expect(result.code).toBe(2);
    const shown = result.stdout + result.stderr;
    for (const sub of ['init', 'import-csv', 'schema']) expect(shown).toMatch(new RegExp(`^\\s+${sub}\\b`, 'm'));
  });

  it('`render --out --help` is a missing path (exit 2), not a request for help, and writes nothing', async () => {
    const cwd = join(dir, 'render-out-help');
    mkdirSync(cwd);
    const result = await cli(['render', '--out', '--help'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out');
    expect(result.stderr).toMatch(/expected a path/);
    expect(result.stdout).not.toContain('Usage:');
    expect(readdirSync(cwd)).toEqual([]);
    expectNoStackTrace(result);
  });

  it('suggests the command meant by a typo', async () => {
    const result = await cli(['valdate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'valdate'");
    expect(result.stderr).toMatch(/Did you mean validate\?/);
  });

  it('suggests the flag meant by a typo', async () => {
    const result = await cli(['validate', ...EXAMPLE, '--formt', 'json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--formt'");
    expect(result.stderr).toMatch(/Did you mean --format\?/);
  });

  it("`help config import-csv` prints that command's usage and exits 0", async () => {
    const result = await cli(['help', 'config', 'import-csv']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pai-deploy config import-csv /m);
    expect(result.stdout).toContain('--master-csv');
    expect(result.stdout).toContain('Examples:');
  });

  it("every command's --help has examples", async () => {
    // The command tree, read off the help itself (so a new command is covered without editing this test).
    const commandsIn = (help: string): string[] => {
      const section = /^Commands:\n((?:[ \t]+.*\n?)+)/m.exec(help)?.[1] ?? '';
      return section
        .split('\n')
        .filter((line) => /^ {2}\S/.test(line) && !/^ {2}help \[command\]\s+display help for command/.test(line))
        .map((line) => line.trim().split(/\s+/)[0]!);
    };
    const missing: string[] = [];
    const visit = async (path: string[]): Promise<void> => {
      const result = await cli([...path, '--help']);
      expect(result.code, `${path.join(' ')} --help`).toBe(0);
      if (!result.stdout.includes('Examples:')) missing.push(`pai-deploy ${[...path, '--help'].join(' ')}`);
      for (const sub of commandsIn(result.stdout)) await visit([...path, sub]);
    };
    await visit([]);
    expect(missing, 'commands whose --help has no "Examples:"').toEqual([]);
  });

  it('uses ./layout.yaml and ./config.yaml when -l and -c are omitted, and says so on stderr', async () => {
    const cwd = join(dir, 'cwd-inputs');
    mkdirSync(cwd);
    copyFileSync(join(repoRoot, 'examples', 'layout.yaml'), join(cwd, 'layout.yaml'));
    copyFileSync(join(repoRoot, 'examples', 'config.yaml'), join(cwd, 'config.yaml'));
    const result = await cli(['validate'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('valid (0 errors, 0 warnings)');
    expect(result.stderr).toContain('using ./layout.yaml (no -l given)');
    expect(result.stderr).toContain('using ./config.yaml (no -c given)');
  });
});

describe('version', () => {
  it('`version --json` names the tool, kubespray and OpenPAI versions and Node', async () => {
    const result = await cli(['version', '--json']);
    expect(result.code).toBe(0);
    const version = JSON.parse(result.stdout) as {
      version: string;
      kubespray: { commit: string };
      openpai: { tag: string };
      node: string;
    };
    expect(version.version).toBe(packageVersion);
    expect(version.kubespray.commit).toBe('67167bd8d292b67e9c8bceccbc8fb230d05bd2ba');
    expect(version.openpai.tag).toBe('v1.8.0');
    expect(version.node).toBe(process.version);
  });

  it.each([['-V'], ['--version']])('%s prints the package version', async (flag) => {
    const result = await cli([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(packageVersion);
  });
});

describe('shell completion', () => {
  /** What the bash completion offers for the words typed so far (the last one is being completed). */
  async function bashComplete(words: readonly string[]): Promise<string[]> {
    const script = [
      'source <("$NODE" "$CLI" completion bash) || exit 3',
      'fn=$(complete -p pai-deploy | sed -n "s/.* -F \\([^ ]*\\) .*/\\1/p")',
      '[ -n "$fn" ] || exit 4',
      'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()',
      '"$fn" pai-deploy "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const result = await bash(script, words);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean).sort();
  }

  it('bash: the script loads and registers a completion function', async () => {
    const result = await bash('source <("$NODE" "$CLI" completion bash) && complete -p pai-deploy');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^complete .*-F \S+ pai-deploy$/m);
  });

  it.each([
    [['pai-deploy', 'con'], ['config']],
    [
      ['pai-deploy', 'config', 'i'],
      ['import-csv', 'init'],
    ],
    [['pai-deploy', 'check', '--form'], ['--format']],
    [
      ['pai-deploy', 'check', '--format', ''],
      ['github', 'json', 'junit', 'sarif', 'text'],
    ],
  ])('bash: %j completes to %j', async (words, expected) => {
    expect(await bashComplete(words)).toEqual(expected);
  });

  // Neither zsh nor fish is installed on the machines these tests were written on: there only the scripts' shape is
  // asserted (and the zsh script, bash completion behind bashcompinit, is syntax-checked by bash).
  it('zsh: a #compdef script over bashcompinit', async () => {
    const result = await cli(['completion', 'zsh']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('#compdef pai-deploy');
    expect(result.stdout).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(result.stdout).toMatch(/^complete -o default -F \S+ pai-deploy$/m);
    expect(spawnSync('bash', ['-n'], { input: result.stdout }).status, 'bash -n accepts the script').toBe(0);
    if (installed('zsh')) {
      const loaded = spawnSync(
        'zsh',
        ['-c', 'autoload -U compinit && compinit -u && source <("$NODE" "$CLI" completion zsh) && echo loaded'],
        {
          env: { ...process.env, NODE: process.execPath, CLI: cliPath },
          encoding: 'utf8',
        },
      );
      expect(loaded.status, loaded.stderr).toBe(0);
      expect(loaded.stdout).toContain('loaded');
    }
  });

  it('fish: complete lines for subcommands, flags and enum choices', async () => {
    const result = await cli(['completion', 'fish']);
    expect(result.code).toBe(0);
    const script = result.stdout;
    expect(script).toMatch(/^complete -c pai-deploy -f$/m);
    expect(script).toMatch(/^complete -c pai-deploy -n '__fish_use_subcommand' -a config /m);
    expect(script).toMatch(/^complete -c pai-deploy -n '__fish_seen_subcommand_from config[^']*' -a import-csv /m);
    expect(script).toMatch(
      /^complete -c pai-deploy -n '__fish_seen_subcommand_from check[^']*' -l format -x -a 'text json junit github sarif' /m,
    );
    // One line per completion: a description is the command's one-line summary, not its multi-paragraph help.
    const stray = script.split('\n').filter((line) => line !== '' && !/^(#|complete -c pai-deploy )/.test(line));
    expect(stray, 'lines that are not a complete command (a description spanning lines)').toEqual([]);
    if (installed('fish')) {
      const completed = spawnSync(
        'fish',
        ['-c', '"$NODE" "$CLI" completion fish | source; complete -C "pai-deploy con"'],
        {
          env: { ...process.env, NODE: process.execPath, CLI: cliPath },
          encoding: 'utf8',
        },
      );
      expect(completed.status, completed.stderr).toBe(0);
      expect(completed.stdout).toMatch(/^config\t/m);
    }
  });
});

describe('when stdout goes away or fills up', () => {
  /** `command | head -1` in bash: head's line, pai-deploy's exit code and its stderr. */
  async function pipedToHead(args: string): Promise<{ line: string; code: number; stderr: string }> {
    const errFile = join(dir, `head-stderr-${Math.random().toString(36).slice(2)}.txt`);
    const result = await bash(`"$NODE" "$CLI" ${args} 2>"$1" | head -1; echo "status=\${PIPESTATUS[0]}"`, [errFile]);
    const [line = '', status = ''] = result.stdout.split('\n');
    return { line, code: Number(/^status=(\d+)$/.exec(status)?.[1] ?? NaN), stderr: readFileSync(errFile, 'utf8') };
  }

  it('`--help | head -1` ends quietly with exit 0', async () => {
    const piped = await pipedToHead('--help');
    expect(piped.line).toBe('Usage: pai-deploy [options] [command]');
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
  });

  it('`plan | head -1` ends quietly with exit 0', async () => {
    const piped = await pipedToHead('plan -l examples/layout.yaml -c examples/config.yaml');
    expect(piped.line).toMatch(/^Plan for OpenPAI cluster "pai"/);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(STACK_TRACE);
    expect(piped.stderr).not.toMatch(/error|EPIPE/i);
  });

  it('`plan | head -1` of a 5,000-machine cluster (1 MB of plan: the reader really goes away) ends quietly with exit 0', async () => {
    const big = writeBigCluster(dir, 5_000);
    const piped = await pipedToHead(`plan -l ${big.layoutPath} -c ${big.configPath}`);
    expect(piped.line).toMatch(/^Plan for OpenPAI cluster "pai"/);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(STACK_TRACE);
    expect(piped.stderr).not.toMatch(/error|EPIPE/i);
  });

  it.each([['--help'], ['plan -l examples/layout.yaml -c examples/config.yaml'], ['version']])(
    '`%s >/dev/full` ends with a one-line error and exit 1',
    async (args) => {
      const result = await bash(`exec "$NODE" "$CLI" ${args} >/dev/full`);
      expect(result.code).toBe(1);
      const errors = result.stderr.split('\n').filter((line) => /^(pai-deploy: )?error/.test(line));
      expect(errors, result.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/no space left on device/);
      expectNoStackTrace(result);
    },
  );
});
