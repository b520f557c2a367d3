import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputFileError, InterruptedError, OutputError, PaiDeployError } from '../../src/errors.js';
import { openKubesprayTrees, UnpinnedKubesprayError } from '../../src/infra/git/kubespray-trees.js';
import { kubesprayRelease } from '../../src/kubespray/release-2.11.js';
import type { PinnedKubespray, TreeVerdict } from '../../src/ports/kubespray-source.js';
import { tempDir } from '../support/fixtures.js';

const work = tempDir('pai-deploy-ks-trees-');
const signal = new AbortController().signal;
const trees = openKubesprayTrees();

// The adapter's git runs with this worker's environment: keep the machine's git configuration out of it.
const savedEnv = { ...process.env };
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CONFIG_NOSYSTEM = '1';
afterAll(() => {
  for (const name of ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM']) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

function git(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LC_ALL: 'C',
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
  };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function write(root: string, path: string, content: string, mode = 0o644): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
}

/** The product passes kubesprayRelease; these tests pass commits they made (its type must fit the port's). */
const product: PinnedKubespray = kubesprayRelease;
let pinned: PinnedKubespray;
let later: string;
const origin = join(work, 'origin');
const bare = join(work, 'origin.git');

beforeAll(() => {
  mkdirSync(origin);
  git(origin, 'init', '--quiet', '--initial-branch=main');
  write(origin, 'cluster.yml', '- hosts: all\n');
  write(origin, 'roles/download/tasks/main.yml', 'x: 1\n');
  write(origin, 'scripts/gen.sh', '#!/bin/sh\n', 0o755);
  symlinkSync('../roles', join(origin, 'scripts', 'roles'));
  // kubespray's own trap: a tracked file its .gitignore ignores.
  write(origin, '.gitignore', '*.spec\n');
  write(origin, 'contrib/packaging/kubespray.spec', 'Name: kubespray\n');
  git(origin, 'add', '--all', '--force');
  git(origin, 'commit', '--quiet', '-m', 'pinned');
  const commit = git(origin, 'rev-parse', 'HEAD');
  pinned = { branch: 'release-test', commit, treeId: git(origin, 'rev-parse', 'HEAD^{tree}') };
  write(origin, 'roles/download/tasks/main.yml', 'x: 2\n');
  git(origin, 'commit', '--quiet', '-am', 'later');
  later = git(origin, 'rev-parse', 'HEAD');
  // The pinned commit is no branch's tip: the clone must fetch it by id.
  git(work, 'clone', '--quiet', '--bare', origin, bare);
});

let checkouts = 0;
/** A checkout of the bare repository at `commit` (detached), or at its main branch. */
function checkout(commit?: string): string {
  const dir = join(work, `checkout-${++checkouts}`);
  git(work, 'clone', '--quiet', bare, dir);
  if (commit !== undefined) git(dir, 'checkout', '--quiet', '--detach', commit);
  return dir;
}

let plains = 0;
/** The pinned commit as an unpacked tarball: `git archive | tar -x`, no .git. */
function plainTree(parent = work): string {
  const dir = join(parent, `plain-${++plains}`);
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', bare, pinned.commit, dir]);
  return dir;
}

async function refusal(dir: string): Promise<UnpinnedKubesprayError> {
  const error: unknown = await trees.inspect(dir, { pinned, signal }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UnpinnedKubesprayError);
  return error as UnpinnedKubesprayError;
}

describe('inspecting a git checkout', () => {
  it('is pinned at the pinned commit with no modified file; untracked files do not count', async () => {
    const dir = checkout(pinned.commit);
    write(dir, 'inventory/mycluster/hosts.yml', 'all: {}\n');
    const verdict = await trees.inspect(dir, { pinned, signal });
    expect(verdict).toEqual({
      kind: 'git',
      dir,
      pinned: true,
      commit: pinned.commit,
      treeId: pinned.treeId,
      branch: undefined,
      modified: [],
      describe: `git checkout of the pinned release-test @ ${pinned.commit.slice(0, 12)}, clean`,
    });
  });

  it('refuses another commit, naming the pinned one; allowed, returns the verdict', async () => {
    const dir = checkout();
    const error = await refusal(dir);
    expect(error.message).toContain(`is not kubespray release-test at ${pinned.commit}`);
    expect(error.message).toContain(`git checkout at ${later.slice(0, 12)} (branch main)`);
    expect(error.hint).toContain(`checkout --detach ${pinned.commit}`);
    expect(error.exitCode).toBe(1);
    const verdict = await trees.inspect(dir, { pinned, signal, allowUnpinned: true });
    expect(verdict).toMatchObject({ kind: 'git', pinned: false, commit: later, branch: 'main', modified: [] });
    expect(verdict.describe).toBe(
      `git checkout at ${later.slice(0, 12)} (branch main), not the pinned release-test @ ${pinned.commit.slice(0, 12)}`,
    );
  });

  it('refuses modified tracked files (changed, deleted, staged, renamed, mode), naming the first few', async () => {
    const dir = checkout(pinned.commit);
    write(dir, 'roles/download/tasks/main.yml', 'x: 3\n');
    rmSync(join(dir, 'cluster.yml'));
    chmodSync(join(dir, 'scripts/gen.sh'), 0o644);
    write(dir, '.gitignore', '*.spec\n*.retry\n');
    git(dir, 'add', '.gitignore');
    git(dir, 'mv', 'contrib/packaging/kubespray.spec', 'contrib/packaging/renamed.spec');
    rmSync(join(dir, 'scripts/roles'));
    const error = await refusal(dir);
    expect(error.message).toContain(
      `it is a git checkout of the pinned release-test @ ` +
        `${pinned.commit.slice(0, 12)}, but with 6 modified files: .gitignore (M), cluster.yml (D), ` +
        'contrib/packaging/renamed.spec (R), roles/download/tasks/main.yml (M), scripts/gen.sh (M) and 1 more',
    );
    expect(error.hint).toContain('git -C');
    const verdict = await trees.inspect(dir, { pinned, signal, allowUnpinned: true });
    expect(verdict.kind === 'git' && verdict.modified).toEqual([
      { path: '.gitignore', status: 'M ' },
      { path: 'cluster.yml', status: ' D' },
      { path: 'contrib/packaging/renamed.spec', status: 'R ' },
      { path: 'roles/download/tasks/main.yml', status: ' M' },
      { path: 'scripts/gen.sh', status: ' M' },
      { path: 'scripts/roles', status: ' D' },
    ]);
    expect(verdict.pinned).toBe(false);
  });

  it('counts files hidden from git status (assume-unchanged, skip-worktree) as modified', async () => {
    const dir = checkout(pinned.commit);
    git(dir, 'update-index', '--assume-unchanged', 'cluster.yml');
    git(dir, 'update-index', '--skip-worktree', 'roles/download/tasks/main.yml');
    write(dir, 'cluster.yml', '- hosts: evil\n');
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    const verdict = await trees.inspect(dir, { pinned, signal, allowUnpinned: true });
    expect(verdict).toMatchObject({
      pinned: false,
      modified: [
        { path: 'cluster.yml', status: 'assume-unchanged' },
        { path: 'roles/download/tasks/main.yml', status: 'skip-worktree' },
      ],
    });
  });

  it('refuses a repository with no commit, and a broken .git', async () => {
    const empty = join(work, 'no-commit');
    mkdirSync(empty);
    git(empty, 'init', '--quiet');
    write(empty, 'cluster.yml', '');
    await expect(trees.inspect(empty, { pinned, signal })).rejects.toThrow(/no commit checked out/);
    const broken = plainTree();
    mkdirSync(join(broken, '.git'));
    await expect(trees.inspect(broken, { pinned, signal })).rejects.toThrow(/has a \.git, but git/);
  });
});

describe('inspecting a plain directory', () => {
  it('is pinned when its tree id is the pinned one (the ignored-but-tracked file included)', async () => {
    const dir = plainTree();
    const verdict = await trees.inspect(dir, { pinned, signal });
    expect(verdict).toEqual({
      kind: 'directory',
      dir,
      pinned: true,
      treeId: pinned.treeId,
      files: 6,
      bytes: expect.any(Number) as number,
      describe: `plain directory with git tree ${pinned.treeId.slice(0, 12)} (6 files): the pinned release-test @ ${pinned.commit.slice(0, 12)}`,
    });
    // An empty directory is no content.
    mkdirSync(join(dir, 'inventory', 'empty'), { recursive: true });
    expect((await trees.inspect(dir, { pinned, signal })).pinned).toBe(true);
  });

  it('refuses any other content; allowed, returns the verdict', async () => {
    const added = plainTree();
    write(added, 'inventory/mycluster/hosts.yml', 'all: {}\n');
    const error = await refusal(added);
    expect(error.message).toContain(`is not kubespray release-test at ${pinned.commit}: it is a plain directory`);
    expect(error.message).toContain(`not the tree of the pinned release-test @ ${pinned.commit.slice(0, 12)}`);
    expect(error.hint).toContain(`archive/${pinned.commit}.tar.gz`);
    const lostBit = plainTree();
    chmodSync(join(lostBit, 'scripts/gen.sh'), 0o644);
    const verdict: TreeVerdict = await trees.inspect(lostBit, { pinned, signal, allowUnpinned: true });
    expect(verdict).toMatchObject({ kind: 'directory', pinned: false });
    expect(verdict.treeId).not.toBe(pinned.treeId);
  });

  it('is judged by its contents even inside another git work tree (never by the enclosing HEAD)', async () => {
    const outer = join(work, 'outer');
    mkdirSync(outer);
    git(outer, 'init', '--quiet');
    const inside = plainTree(join(outer, 'vendor'));
    expect((await trees.inspect(inside, { pinned, signal })).kind).toBe('directory');
    expect((await trees.inspect(inside, { pinned, signal })).pinned).toBe(true);
  });

  it('needs no git', async () => {
    const noGit = openKubesprayTrees({ git: join(work, 'no-such-git') });
    expect((await noGit.inspect(plainTree(), { pinned, signal })).pinned).toBe(true);
    await expect(noGit.inspect(checkout(pinned.commit), { pinned, signal })).rejects.toThrow(/git is not installed/);
  });
});

describe('what is not a kubespray tree', () => {
  it('refuses a missing path, a file, and a directory without cluster.yml (pointing at the one inside)', async () => {
    await expect(trees.inspect(join(work, 'missing'), { pinned, signal })).rejects.toThrow(InputFileError);
    writeFileSync(join(work, 'a-file'), '');
    await expect(trees.inspect(join(work, 'a-file'), { pinned, signal })).rejects.toThrow(/not a directory/);
    const tarball = join(work, 'tarball');
    const inner = plainTree(tarball);
    const error: unknown = await trees.inspect(tarball, { pinned, signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaiDeployError);
    expect((error as PaiDeployError).message).toBe(
      `${tarball} does not look like a kubespray tree: it has no cluster.yml`,
    );
    expect((error as PaiDeployError).hint).toBe(
      `Did you mean ${inner}? (a release tarball unpacks into a directory of its own)`,
    );
  });

  it('stops with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new InterruptedError('SIGINT');
    controller.abort(reason);
    await expect(trees.inspect(plainTree(), { pinned, signal: controller.signal })).rejects.toBe(reason);
  });
});

/** The names in `parent`: a clone leaves nothing beside its destination, whatever happened. */
function entries(parent: string): string[] {
  return existsSync(parent) ? readdirSync(parent).sort() : [];
}

describe('cloning the pinned commit', () => {
  it('from a local bare repository: a detached checkout of the commit, renamed into place', async () => {
    const parent = join(work, 'clone-bare');
    const dest = join(parent, 'kubespray');
    const lines: string[] = [];
    const result = await trees.clone(bare, dest, {
      commit: pinned.commit,
      signal,
      onProgress: (line) => lines.push(line),
    });
    expect(result).toEqual({ dir: dest, commit: pinned.commit, treeId: pinned.treeId, shallow: true });
    expect(entries(parent)).toEqual(['kubespray']);
    expect(git(dest, 'rev-parse', 'HEAD')).toBe(pinned.commit);
    expect(() => git(dest, 'symbolic-ref', '-q', 'HEAD')).toThrow();
    expect(git(dest, 'remote', 'get-url', 'origin')).toBe(bare);
    expect(lstatSync(join(dest, 'scripts/gen.sh')).mode & 0o100).toBe(0o100);
    expect(readlinkSync(join(dest, 'scripts/roles'))).toBe('../roles');
    expect(existsSync(join(dest, 'contrib/packaging/kubespray.spec'))).toBe(true);
    expect((await trees.inspect(dest, { pinned, signal })).pinned).toBe(true);
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
  });

  it('from a file:// URL, a relative path and a non-bare repository, into an empty directory', async () => {
    const sources = [pathToFileURL(bare).href, relative(process.cwd(), bare), origin];
    for (const [i, source] of sources.entries()) {
      const dest = join(work, `clone-source-${i}`, 'ks');
      mkdirSync(dest, { recursive: true });
      const result = await trees.clone(source, dest, { commit: pinned.commit, signal });
      expect(result.commit).toBe(pinned.commit);
      expect(git(dest, 'rev-parse', 'HEAD^{tree}')).toBe(pinned.treeId);
    }
  });

  it('from a server that serves only advertised commits (protocol v0): fetches the branches, then checks out', async () => {
    const dest = join(work, 'clone-v0', 'ks');
    Object.assign(process.env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'protocol.version',
      GIT_CONFIG_VALUE_0: '0',
    });
    try {
      const result = await trees.clone(pathToFileURL(bare).href, dest, { commit: pinned.commit, signal });
      expect(result).toMatchObject({ commit: pinned.commit, shallow: false });
      const missing = 'f'.repeat(40);
      await expect(trees.clone(bare, join(work, 'clone-v0', 'none'), { commit: missing, signal })).rejects.toThrow(
        `commit ${missing} is not in ${bare}`,
      );
      expect(entries(join(work, 'clone-v0'))).toEqual(['ks']);
    } finally {
      for (const name of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0']) delete process.env[name];
    }
  });

  it('fails clearly when the commit is not in the source, and leaves nothing behind', async () => {
    const parent = join(work, 'clone-missing');
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const error: unknown = await trees
      .clone(bare, join(parent, 'ks'), { commit: missing, signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaiDeployError);
    expect((error as PaiDeployError).message).toBe(`commit ${missing} is not in ${bare}`);
    expect((error as PaiDeployError).hint).toContain('not our ref');
    expect(entries(parent)).toEqual([]);
  });

  it('refuses a taken destination, a bad commit id, a missing source, and says when git is missing', async () => {
    const taken = join(work, 'taken');
    write(taken, 'notes.txt', 'mine\n');
    await expect(trees.clone(bare, taken, { commit: pinned.commit, signal })).rejects.toThrow(OutputError);
    expect(entries(work).filter((name) => name.startsWith('.taken'))).toEqual([]);
    await expect(trees.clone(bare, join(work, 'x1'), { commit: pinned.commit.slice(0, 12), signal })).rejects.toThrow(
      /not a full commit id/,
    );
    await expect(
      trees.clone(join(work, 'nowhere.git'), join(work, 'x2'), { commit: pinned.commit, signal }),
    ).rejects.toThrow(InputFileError);
    await expect(trees.clone('-uhoh', join(work, 'x3'), { commit: pinned.commit, signal })).rejects.toThrow(
      /not a git source/,
    );
    const notRepo = join(work, 'not-a-repo');
    mkdirSync(notRepo);
    await expect(trees.clone(notRepo, join(work, 'x4', 'ks'), { commit: pinned.commit, signal })).rejects.toThrow(
      `cannot fetch from ${notRepo}`,
    );
    const noGit = openKubesprayTrees({ git: join(work, 'no-such-git') });
    const error: unknown = await noGit
      .clone(bare, join(work, 'x5', 'ks'), { commit: pinned.commit, signal })
      .catch((caught: unknown) => caught);
    expect((error as PaiDeployError).message).toMatch(/^git is not installed/);
    expect((error as PaiDeployError).hint).toContain('Install git');
    expect(entries(join(work, 'x5'))).toEqual([]);
  });

  it('stops on abort: git is killed, the half-made clone removed, the reason passed on', async () => {
    // A git:// server that accepts and never answers: git fetch waits on it until killed.
    const connected: Socket[] = [];
    let closed = 0;
    const server = createServer((socket) => {
      connected.push(socket);
      socket.on('close', () => closed++);
      socket.resume(); // read (and drop) git's request, so the end of the stream is seen
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const parent = join(work, 'clone-abort');
      const controller = new AbortController();
      const reason = new InterruptedError('SIGINT');
      const running = trees.clone(`git://127.0.0.1:${port}/kubespray.git`, join(parent, 'ks'), {
        commit: pinned.commit,
        signal: controller.signal,
      });
      const outcome = running.catch((caught: unknown) => caught);
      await waitFor(() => connected.length > 0);
      expect(entries(parent)).toHaveLength(1); // the temporary sibling, while git waits
      const abortedAt = Date.now();
      controller.abort(reason);
      expect(await outcome).toBe(reason);
      expect(Date.now() - abortedAt).toBeLessThan(2_500);
      await waitFor(() => closed === connected.length); // git's end of the connection is gone
      expect(entries(parent)).toEqual([]);

      const before = new AbortController();
      before.abort(reason);
      await expect(
        trees.clone(bare, join(work, 'clone-abort-before', 'ks'), { commit: pinned.commit, signal: before.signal }),
      ).rejects.toBe(reason);
      expect(entries(join(work, 'clone-abort-before'))).toEqual([]);
    } finally {
      for (const socket of connected) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is given the product pin by the caller', () => {
    expect(product.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(product.treeId).toMatch(/^[0-9a-f]{40}$/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
