import { createHash } from 'node:crypto';
import { constants as fsConstants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithInfra } from '../../support/infra.js';
import { REPO_ROOT, run, type ExecResult } from '../../support/lab.js';

// pai-deploy's own image (Dockerfile, .dockerignore), built offline by scripts/pai-deploy-image: the lab's debootstrap
// of Debian 12 plus this machine's Node 20 as the base, the production node_modules pruned here. Containers run with
// --network none: the image needs no network for what is tested, and no registry is reachable anyway.

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'pai-deploy-image');
const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');
const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const APP = '/opt/pai-deploy';
/**
 * ssh2's published test fixtures (host and user keys of its own test suite, the same for everyone who installs it):
 * the image keeps the production dependencies as npm installs them.
 */
const SSH2_FIXTURES = `${APP}/node_modules/ssh2/test/fixtures/`;
/** Top-level folders of the repo that are never shipped. */
const NOT_SHIPPED = new Set(['src', 'test', 'scripts', 'node_modules', 'dist', 'coverage']);

/** What `scripts/pai-deploy-image build` prints. */
interface BuildResult {
  image: string;
  id: string;
  base: string;
  version: string;
  node: string;
  size: number;
  seconds: number;
  buildSeconds: number;
  steps: number;
  cacheableSteps: number;
  cachedSteps: number;
  unchanged: boolean;
}

/** The sources the Dockerfile's COPY lines take from the build context (no --from=, no globs), once each. */
function dockerfileCopySources(stage: 'all' | 'final' = 'all'): string[] {
  const sources = new Set<string>();
  for (const line of readFileSync(DOCKERFILE, 'utf8').split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === 'FROM' && stage === 'final') sources.clear();
    if (words[0] !== 'COPY' || words.some((w) => w.startsWith('--from'))) continue;
    for (const word of words.slice(1, -1)) if (!word.startsWith('--') && !word.includes('*')) sources.add(word);
  }
  return [...sources];
}

/** The names `.dockerignore` lets back in after its leading `*`. */
function dockerignoreAllowlist(): string[] {
  return readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/$/, ''));
}

/**
 * Top-level folders of the repo that src/ names in a string (readAsset('requirement-checks/checks.yaml'),
 * assetPath('devbox'), `examples/${kind}.yaml`, constants such as 'inventory-templates/openpai.yml'): what the code
 * reads beside itself at run time.
 */
function assetFoldersNamedInSrc(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(file, 'utf8').matchAll(/['"`]([a-z][a-z0-9-]*)(?:\/[^'"`\n]*)?['"`]/g)) {
          const name = match[1]!;
          const full = path.join(REPO_ROOT, name);
          if (!NOT_SHIPPED.has(name) && existsSync(full) && statSync(full).isDirectory()) found.add(name);
        }
      }
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  return [...found].sort();
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('the Dockerfile and .dockerignore (no engine)', () => {
  it('ships every folder the code reads beside itself, and .dockerignore lets exactly the COPY sources in', () => {
    const sources = dockerfileCopySources();
    for (const folder of assetFoldersNamedInSrc()) expect(sources, `src/ reads ${folder}/`).toContain(folder);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'bin', 'dist']));
    expect(new Set(dockerignoreAllowlist())).toEqual(new Set(sources));
    expect(sources).toContain('package-lock.json');
  });

  it("defaults VERSION to package.json's version", () => {
    expect(readFileSync(DOCKERFILE, 'utf8')).toMatch(new RegExp(`^ARG VERSION=${VERSION.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('names no registry host: BASE is a plain image name', () => {
    const base = /^ARG BASE=(\S+)$/m.exec(readFileSync(DOCKERFILE, 'utf8'))?.[1];
    expect(base).toBe('node:20-bookworm-slim');
  });
});

/** For describeWithInfra: null when the offline image can be built here, else why not. */
async function imageBuildAvailable(): Promise<string | null> {
  for (const program of ['docker', 'python3']) {
    const found = await run('sh', ['-c', `command -v ${program}`]);
    if (found.code !== 0) return `${program} is not installed (scripts/ci/provision-lab.sh installs it)`;
  }
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  if (info.code !== 0) {
    return 'no Docker engine answers (start one with `sudo scripts/lab engine`, or run scripts/ci/provision-lab.sh)';
  }
  if (!process.version.startsWith('v20.')) {
    return `this Node is ${process.version}: the offline base copies the running Node, and the image is Node 20`;
  }
  for (const rel of ['dist/cli/main.js', 'node_modules/.package-lock.json']) {
    try {
      await access(path.join(REPO_ROOT, rel), fsConstants.R_OK);
    } catch {
      return `${rel} is missing (npm ci && npm run build; npm test builds first)`;
    }
  }
  const plan = await run(SCRIPT, ['path'], { env: scriptEnv() });
  if (plan.code !== 0) return `scripts/pai-deploy-image path failed: ${plan.stderr.trim()}`;
  const { baseBuilt, rootfs } = JSON.parse(plan.stdout) as { baseBuilt: boolean; rootfs: string };
  if (!baseBuilt && !existsSync(rootfs) && process.getuid?.() !== 0) {
    const debootstrap = await run('sh', ['-c', 'command -v debootstrap']);
    if (debootstrap.code !== 0)
      return 'the offline base is not built and debootstrap is missing (not root to install it)';
  }
  return null;
}

function scriptEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PAI_DEPLOY_IMAGE_NODE: process.execPath };
}

async function build(): Promise<BuildResult> {
  const result = await run(SCRIPT, ['build'], { env: scriptEnv(), timeoutMs: 850_000 });
  if (result.code !== 0) {
    throw new Error(`scripts/pai-deploy-image build failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  }
  return JSON.parse(result.stdout) as BuildResult;
}

await describeWithInfra("pai-deploy's image, built offline", imageBuildAvailable, () => {
  let first: BuildResult;
  let second: BuildResult;
  let image: string;
  const scratch: string[] = [];

  /** `docker run --rm --network none [options] image args`. */
  function docker(args: string[], options: string[] = []): Promise<ExecResult> {
    return run('docker', ['run', '--rm', '--network', 'none', ...options, image, ...args], { timeoutMs: 120_000 });
  }

  /** A shell command in the image as `user` (root to read everything). */
  async function shell(script: string, user = 'root'): Promise<string> {
    const result = await docker(['-c', script], ['--user', user, '--entrypoint', '/bin/sh']);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  }

  /** A directory the image's user (uid 10001) can read, with these files. */
  async function readableDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'pai-deploy-image-'));
    scratch.push(dir);
    await chmod(dir, 0o755);
    for (const [name, content] of Object.entries(files)) {
      await writeFile(path.join(dir, name), content);
      await chmod(path.join(dir, name), 0o644);
    }
    return dir;
  }

  beforeAll(async () => {
    first = await build();
    second = await build();
    image = first.image;
    process.stderr.write(
      `pai-deploy image ${first.image}: ${(first.size / 1e6).toFixed(0)} MB; build ${first.seconds} s ` +
        `(${first.cachedSteps}/${first.cacheableSteps} steps cached), again ${second.seconds} s ` +
        `(${second.cachedSteps}/${second.cacheableSteps} cached)\n`,
    );
  });

  afterAll(async () => {
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });

  it('is tagged with the version, and a second build is a layer-cache hit that changes nothing', async () => {
    expect(first.image).toBe(`pai-deploy:${VERSION}`);
    expect(first.base).toMatch(/^pai-deploy-base:v20\.\d+\.\d+-[0-9a-f]{12}$/);
    expect(first.node).toBe(process.version);
    expect(second.id).toBe(first.id);
    expect(second.unchanged).toBe(true);
    expect(second.cachedSteps).toBe(second.cacheableSteps);
    expect(second.cacheableSteps).toBeGreaterThan(10);
  });

  it('--version prints the version; no arguments prints the help', async () => {
    const version = await docker(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toBe(`${VERSION}\n`);
    const bare = await docker([]);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toContain('Usage: pai-deploy');
    const json = await docker(['version', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: VERSION, node: process.version });
  });

  it('--help is fast inside the container', async () => {
    const started = Date.now();
    const timed = await docker(
      [
        '-e',
        "const t = process.hrtime.bigint(); const r = require('child_process').spawnSync('pai-deploy', ['--help']);" +
          'if (r.status !== 0) process.exit(1); console.log(Number(process.hrtime.bigint() - t) / 1e6);',
      ],
      ['--entrypoint', 'node'],
    );
    const wall = Date.now() - started;
    expect(timed.code, timed.stderr).toBe(0);
    const ms = Number(timed.stdout.trim());
    process.stderr.write(`pai-deploy --help in the container: ${ms.toFixed(0)} ms (docker run: ${wall} ms)\n`);
    expect(ms).toBeLessThan(2_000);
    expect(wall).toBeLessThan(15_000);
  });

  it('validates the shipped examples mounted read-only (exit 0)', async () => {
    const result = await docker(
      ['validate', '-l', '/work/examples/layout.yaml', '-c', '/work/examples/config.yaml'],
      ['-v', `${path.join(REPO_ROOT, 'examples')}:/work/examples:ro`],
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('valid (0 errors, 0 warnings)');
  });

  it('a broken layout exits 1 with the finding, placed at file:line:col (paths relative to /work)', async () => {
    const layout = readFileSync(path.join(REPO_ROOT, 'examples', 'layout.yaml'), 'utf8').replace(
      'hostname: pai-gpu-02',
      'hostname: pai-gpu-01',
    );
    const dir = await readableDir({
      'layout.yaml': layout,
      'config.yaml': readFileSync(path.join(REPO_ROOT, 'examples', 'config.yaml'), 'utf8'),
    });
    const result = await docker(
      ['validate', '-l', 'in/layout.yaml', '-c', 'in/config.yaml'],
      ['-v', `${dir}:/work/in:ro`],
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^in\/layout\.yaml:\d+:\d+ error \[duplicate-hostname\] machine-list\[2\]\.hostname/m,
    );
    expect(result.stdout).toContain('invalid: 1 error');
  });

  it('reads every shipped asset: plan of the examples, config init, the dev-box Dockerfile', async () => {
    const examples = ['-v', `${path.join(REPO_ROOT, 'examples')}:/work/examples:ro`];
    const plan = await docker(['plan', '-l', 'examples/layout.yaml', '-c', 'examples/config.yaml'], examples);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('kubespray');
    const init = await docker(['config', 'init', '--dir', '/tmp/init']);
    expect(init.code, init.stderr).toBe(0);
    const devbox = await docker(['devbox', 'build', '--dry-run']);
    expect(devbox.code, devbox.stderr).toBe(0);
    expect(devbox.stdout).toContain(`${APP}/devbox/Dockerfile`);
    const listed = (await shell(`ls ${APP}`)).split('\n').filter(Boolean);
    for (const folder of assetFoldersNamedInSrc()) expect(listed).toContain(folder);
  });

  it('as PID 1 (no --init), SIGTERM interrupts a command cleanly: exit 143', async () => {
    const name = `pai-deploy-image-signal-${process.pid}`;
    // validate blocks reading a FIFO nobody writes; docker stop's SIGTERM goes to PID 1, which is pai-deploy itself.
    const started = await run('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '--entrypoint',
      '/bin/sh',
      image,
      '-c',
      'mkfifo /tmp/in && exec pai-deploy validate -l /tmp/in -c /tmp/in',
    ]);
    expect(started.code, started.stderr).toBe(0);
    try {
      let state = '';
      for (let i = 0; i < 20 && state !== 'exited'; i++) {
        // Until pai-deploy runs, PID 1 is sh, which ignores SIGTERM: send it again until the container stops.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await run('docker', ['kill', '--signal', 'TERM', name]);
        state = (await run('docker', ['inspect', '--format', '{{.State.Status}}', name])).stdout.trim();
      }
      const exit = await run('docker', ['wait', name]);
      expect(exit.stdout.trim()).toBe('143');
      const logs = await run('docker', ['logs', name]);
      expect(logs.stderr).toContain('interrupted');
    } finally {
      await run('docker', ['rm', '--force', name]);
    }
  });

  it('runs as a non-root user who owns /work and cannot change the code; git and ssh are there', async () => {
    const inspect = await run('docker', ['image', 'inspect', image, '--format', '{{json .Config}}']);
    const config = JSON.parse(inspect.stdout) as {
      User: string;
      WorkingDir: string;
      Entrypoint: string[];
      Cmd: string[];
      Env: string[];
      Labels: Record<string, string>;
    };
    expect(config.User).toBe('10001:10001');
    expect(config.WorkingDir).toBe('/work');
    expect(config.Entrypoint).toEqual(['pai-deploy']);
    expect(config.Cmd).toEqual(['--help']);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.title': 'pai-deploy',
      'pai-deploy.version': VERSION,
    });
    expect(config.Env).toContain('PAI_DEPLOY_HOME=/work/.pai-deploy');
    const user = await docker(
      ['-c', 'id -u; id -g; touch /work/x && echo work-writable; touch /opt/pai-deploy/x || true'],
      ['--entrypoint', '/bin/sh'],
    );
    expect(user.stdout.split('\n').slice(0, 3)).toEqual(['10001', '10001', 'work-writable']);
    expect(user.stderr).toContain('Permission denied');
    const tools = await shell('git --version; ssh -V 2>&1', '10001:10001');
    expect(tools).toMatch(/^git version \d/m);
    expect(tools).toMatch(/^OpenSSH_/m);
  });

  it('bakes in no secrets: no config or credential files, private keys only in ssh2 test fixtures', async () => {
    const prune = '\\( -path /proc -o -path /sys -o -path /dev \\) -prune -o';
    const names = (
      await shell(
        `find / ${prune} \\( -name .npmrc -o -name .yarnrc -o -name .netrc -o -name .git-credentials -o -name '.env' ` +
          `-o -name known_hosts -o -name authorized_keys -o -name 'ssh_host_*' -o -name .pai-deploy -o -name .kube ` +
          `-o -name .docker -o -name .git -o -name layout.yaml -o -name config.yaml -o -name state.json \\) -print`,
      )
    )
      .split('\n')
      .filter((name) => name !== '' && !name.startsWith(SSH2_FIXTURES))
      .sort();
    expect(names).toEqual([`${APP}/examples/config.yaml`, `${APP}/examples/layout.yaml`]);
    // The shipped examples are the repo's own placeholders (config init copies them), byte for byte.
    const sums = await shell(`sha256sum ${APP}/examples/config.yaml ${APP}/examples/layout.yaml`);
    for (const name of ['config.yaml', 'layout.yaml']) {
      expect(sums).toContain(
        `${sha256(await readFile(path.join(REPO_ROOT, 'examples', name)))}  ${APP}/examples/${name}`,
      );
    }
    const keys = (
      await shell(
        `grep -rlI --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -E '^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[[:space:]]*$' / || true`,
      )
    )
      .split('\n')
      .filter(Boolean);
    // A PEM block on a line of its own (the code's own key-format checks only name the marker inside a regex).
    expect(keys.length, 'the search finds ssh2 fixtures, so it works').toBeGreaterThan(0);
    for (const file of keys) expect(file.startsWith(SSH2_FIXTURES), file).toBe(true);
    // Nothing in /work or the home directories but the shell's skeleton files.
    const homes = await shell(
      'find /work /root /home -mindepth 1 -not -type d -not -name .bashrc -not -name .profile -not -name .bash_logout',
    );
    expect(homes).toBe('');
    // Only the product: no sources, tests, scripts, lock file or dev dependencies.
    expect((await shell(`ls -A ${APP}`)).split('\n').filter(Boolean).sort()).toEqual(
      [...dockerfileCopySources('final'), 'node_modules'].sort(),
    );
    for (const dev of ['typescript', 'vitest', 'eslint', 'tsx', 'prettier']) {
      expect(await shell(`test -e ${APP}/node_modules/${dev} && echo ${dev} || true`)).toBe('');
    }
    const inspect = await run('docker', ['image', 'inspect', image, '--format', '{{json .Config.Env}}']);
    for (const entry of JSON.parse(inspect.stdout) as string[]) expect(entry).not.toMatch(/token|secret|passw|auth/i);
    const history = await run('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', image]);
    expect(history.code).toBe(0);
    expect(history.stdout).not.toMatch(/passw|token|npm_config|_auth/i);
  });

  it("a plain `docker build .` sends only .dockerignore's allowlist: no node_modules, sources or local files", async () => {
    const probe = await run(
      'sh',
      [
        '-c',
        `printf 'FROM %s\\nCOPY . /context\\n' "$1" | docker build -q --network none --force-rm -f - "$2"`,
        'sh',
        first.base,
        REPO_ROOT,
      ],
      { timeoutMs: 300_000 },
    );
    expect(probe.code, probe.stderr).toBe(0);
    const id = probe.stdout.trim();
    try {
      const listing = await run('docker', [
        'run',
        '--rm',
        '--network',
        'none',
        '--entrypoint',
        '/bin/sh',
        id,
        '-c',
        'ls -A /context',
      ]);
      const top = listing.stdout.split('\n').filter(Boolean).sort();
      expect(top).toEqual(
        dockerignoreAllowlist()
          .filter((name) => existsSync(path.join(REPO_ROOT, name)))
          .sort(),
      );
      const junk = await run('docker', [
        'run',
        '--rm',
        '--network',
        'none',
        '--entrypoint',
        '/bin/sh',
        id,
        '-c',
        "find /context -name node_modules -o -name __pycache__ -o -name '*.pyc' -o -name '*.ts' -not -name '*.d.ts'",
      ]);
      expect(junk.stdout.trim()).toBe('');
    } finally {
      await run('docker', ['image', 'rm', id]);
    }
  });
});
