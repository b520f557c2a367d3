import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { lstat, readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  describeSystemError,
  ExitCode,
  InputFileError,
  InterruptedError,
  OutputError,
  PaiDeployError,
  systemErrorCode,
  type ExitCodeValue,
  UsageError,
} from '../../errors.js';
import type {
  ClonedTree,
  CloneOptions,
  DirectoryTreeVerdict,
  GitTreeVerdict,
  InspectOptions,
  KubesprayTrees,
  ModifiedFile,
  PinnedKubespray,
  TreeProject,
  TreeVerdict,
} from '../../ports/kubespray-source.js';
import { KUBESPRAY_PROJECT } from '../../ports/kubespray-source.js';
import { makeDirs, stopIfAborted } from '../fs/fs-helpers.js';
import { computeTreeId } from './tree-id.js';

/**
 * KubesprayTrees with git (run as a child process, arguments as an array, never through a shell) and, for a plain
 * directory, the tree id computed in Node (tree-id.ts: no git needed for an unpacked tarball).
 *
 * git is spawned rather than run with child_process.execFile: execFile cannot start it as the leader of its own
 * process group (it drops `detached`), and an abort must stop `git fetch` together with what it started
 * (index-pack writing into the clone, upload-pack, ssh or git-remote-https) before the half-made clone is removed.
 * The new session has no terminal, so git and ssh fail instead of waiting for a password or a host-key answer nobody
 * sees (GIT_TERMINAL_PROMPT=0 too).
 */
export function openKubesprayTrees(options: { git?: string } = {}): KubesprayTrees {
  const git = options.git ?? 'git';
  return {
    inspect: (dir, inspectOptions) => inspect(git, dir, inspectOptions),
    clone: (source, dest, cloneOptions) => clone(git, source, dest, cloneOptions),
  };
}

/** A kubespray tree that is not the pinned one, refused. `verdict` says what it is. */
export class UnpinnedKubesprayError extends PaiDeployError {
  readonly verdict: TreeVerdict;
  constructor(verdict: TreeVerdict, pinned: PinnedKubespray) {
    super(
      `${verdict.dir} is not ${projectOf(pinned).name} ${pinned.branch} at ${pinned.commit}: it is a ${verdict.describe}`,
      {
        exitCode: ExitCode.failed,
        hint: unpinnedHint(verdict, pinned),
      },
    );
    this.verdict = verdict;
  }
}

/** How many modified files a verdict's describe line names. */
const NAMED_FILES = 5;

async function inspect(git: string, dirArgument: string, options: InspectOptions): Promise<TreeVerdict> {
  const { pinned, signal } = options;
  stopIfAborted(signal);
  const dir = resolve(dirArgument);
  const stats = await stat(dir).catch((error: unknown) => {
    throw new InputFileError(dir, describeSystemError(error), whereToGetIt(pinned));
  });
  if (!stats.isDirectory()) throw new InputFileError(dir, 'not a directory', whereToGetIt(pinned));
  const dotGit = await lstat(join(dir, '.git')).then(
    () => true,
    () => false,
  );
  // A checkout is judged by its commit, whatever it holds (a deleted cluster.yml is a modified file). A plain
  // directory must look like kubespray first: hashing a home directory named by mistake would take long and say
  // nothing useful.
  if (!dotGit) await requireProjectLayout(dir, pinned);
  const verdict = dotGit
    ? await inspectCheckout(git, dir, pinned, signal)
    : await inspectDirectory(dir, pinned, signal);
  if (!verdict.pinned && options.allowUnpinned !== true) throw new UnpinnedKubesprayError(verdict, pinned);
  return verdict;
}

/**
 * The project's marker (kubespray's cluster.yml) at the top, or a refusal that names the one subdirectory holding it
 * (a tarball's `kubespray-<commit>/`).
 */
async function requireProjectLayout(dir: string, pinned: PinnedKubespray): Promise<void> {
  const { marker, name } = projectOf(pinned);
  if (await isFile(join(dir, marker))) return;
  const subdirectories = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const candidates: string[] = [];
  for (const entry of subdirectories) {
    if (entry.isDirectory() && (await isFile(join(dir, entry.name, marker)))) candidates.push(entry.name);
  }
  throw new PaiDeployError(
    `${dir} does not look like ${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name} tree: it has no ${marker}`,
    {
      exitCode: ExitCode.usage,
      hint:
        candidates.length === 1
          ? `Did you mean ${join(dir, candidates[0] ?? '')}? (a release tarball unpacks into a directory of its own)`
          : whereToGetIt(pinned),
    },
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

async function inspectDirectory(
  dir: string,
  pinned: PinnedKubespray,
  signal: AbortSignal,
): Promise<DirectoryTreeVerdict> {
  const { treeId, files, bytes } = await computeTreeId(dir, { signal });
  const ok = treeId === (pinned.directoryTreeId ?? pinned.treeId);
  const what = `plain directory with git tree ${short(treeId)} (${files} files)`;
  const describe = ok
    ? `${what}: the pinned ${pinnedName(pinned)}`
    : `${what}, not the tree of the pinned ${pinnedName(pinned)} (${short(pinned.directoryTreeId ?? pinned.treeId)}): a file differs, was added or removed, or changed its executable bit`;
  return { kind: 'directory', dir, pinned: ok, describe, treeId, files, bytes };
}

async function inspectCheckout(
  git: string,
  dir: string,
  pinned: PinnedKubespray,
  signal: AbortSignal,
): Promise<GitTreeVerdict> {
  const top = await runGit(git, ['-C', dir, 'rev-parse', '--show-toplevel'], { signal });
  if (top.code !== 0) {
    throw gitFailure(`${dir} has a .git, but git does not see a repository there`, top, {
      hint: `Repair or remove ${join(dir, '.git')} (a plain directory is verified by its contents instead).`,
    });
  }
  const topLevel = top.stdout.toString('utf8').replace(/\n$/, '');
  if ((await realpath(topLevel).catch(() => topLevel)) !== (await realpath(dir))) {
    throw new PaiDeployError(`${dir} has a .git, but git says the work tree's top is ${topLevel}`, {
      exitCode: ExitCode.usage,
      hint: `Name the top of the ${projectOf(pinned).name} checkout, or repair ${join(dir, '.git')}.`,
    });
  }
  const head = await runGit(git, ['-C', dir, 'rev-parse', 'HEAD^{commit}', 'HEAD^{tree}'], { signal });
  const [commit, treeId] = head.stdout.toString('utf8').split('\n');
  if (head.code !== 0 || commit === undefined || treeId === undefined) {
    throw gitFailure(`${dir} is a git repository with no commit checked out`, head, {
      exitCode: ExitCode.usage,
      hint: `Check out the pinned commit: git -C ${dir} checkout --detach ${pinned.commit}`,
    });
  }
  const branchRun = await runGit(git, ['-C', dir, 'symbolic-ref', '--quiet', '--short', 'HEAD'], { signal });
  const branch = branchRun.code === 0 ? branchRun.stdout.toString('utf8').trim() || undefined : undefined;
  const modified = [...(await changedFiles(git, dir, signal)), ...(await hiddenFiles(git, dir, signal))];
  const ok = commit === pinned.commit && treeId === pinned.treeId && modified.length === 0;
  const on = branch === undefined ? '' : ` (branch ${branch})`;
  let describe: string;
  if (commit !== pinned.commit)
    describe = `git checkout at ${short(commit)}${on}, not the pinned ${pinnedName(pinned)}`;
  else if (treeId !== pinned.treeId)
    describe = `git checkout at ${short(commit)}${on} whose tree is ${short(treeId)}, not ${short(pinned.treeId)} (replace refs or grafts in this repository?)`;
  else describe = `git checkout of the pinned ${pinnedName(pinned)}${on}`;
  if (modified.length > 0) describe += `${commit === pinned.commit ? ', but' : ','} with ${modifiedList(modified)}`;
  else if (ok) describe += ', clean';
  return { kind: 'git', dir, pinned: ok, describe, commit, treeId, branch, modified };
}

/** Tracked files that differ from HEAD, staged or not (`git status`, untracked files left out). */
async function changedFiles(git: string, dir: string, signal: AbortSignal): Promise<ModifiedFile[]> {
  const run = await runGit(git, ['-C', dir, 'status', '--porcelain=v1', '-z', '--untracked-files=no'], { signal });
  if (run.code !== 0) throw gitFailure(`git status failed in ${dir}`, run);
  const fields = run.stdout.toString('utf8').split('\0');
  const files: ModifiedFile[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    const status = field.slice(0, 2);
    files.push({ path: field.slice(3), status });
    // A rename or copy in the index: `XY NEW\0OLD\0`; the old path is the next field.
    if (status[0] === 'R' || status[0] === 'C') i++;
  }
  return files;
}

/**
 * Tracked files `git status` does not look at: marked assume-unchanged (`git update-index --assume-unchanged`) or
 * skip-worktree (sparse checkout). Their content cannot be vouched for, so they count as modified.
 */
async function hiddenFiles(git: string, dir: string, signal: AbortSignal): Promise<ModifiedFile[]> {
  const run = await runGit(git, ['-C', dir, 'ls-files', '-v', '-z'], { signal });
  if (run.code !== 0) throw gitFailure(`git ls-files failed in ${dir}`, run);
  const files: ModifiedFile[] = [];
  for (const field of run.stdout.toString('utf8').split('\0')) {
    const tag = field[0];
    if (tag === undefined || field[1] !== ' ' || tag === 'H') continue;
    const path = field.slice(2);
    if (tag === 'S' || tag === 's') files.push({ path, status: 'skip-worktree' });
    else if (tag === tag.toLowerCase()) files.push({ path, status: 'assume-unchanged' });
  }
  return files;
}

const FULL_COMMIT = /^[0-9a-f]{40}$/;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** git's rule for `[user@]host:path`: a colon before the first slash. */
const SCP_LIKE = /^[^/]*:/;

async function clone(git: string, source: string, destArgument: string, options: CloneOptions): Promise<ClonedTree> {
  const { signal } = options;
  const commit = options.commit.toLowerCase();
  if (!FULL_COMMIT.test(commit))
    throw new UsageError(`not a full commit id: ${options.commit}`, 'Give all 40 hex digits.');
  const from = await resolveSource(source);
  const dest = resolve(destArgument);
  await requireFreeDestination(dest);
  stopIfAborted(signal);
  const parent = dirname(dest);
  await makeDirs(parent).catch((error: unknown) => {
    throw new OutputError(
      `cannot create ${parent}: ${describeSystemError(error)}`,
      'Choose another destination.',
      error,
    );
  });
  const temporary = join(parent, `.${basename(dest)}.clone-${randomBytes(4).toString('hex')}`);
  const onStderr = options.onProgress;
  const step = async (what: string, args: string[], hint?: string): Promise<GitRun> => {
    const run = await runGit(git, ['-C', temporary, ...args], { signal, ...(onStderr ? { onStderr } : {}) });
    if (run.code !== 0) throw gitFailure(what, run, hint === undefined ? {} : { hint });
    return run;
  };
  try {
    const init = await runGit(git, ['init', '--quiet', temporary], { signal });
    if (init.code !== 0) throw gitFailure(`git init ${temporary} failed`, init);
    await step('git remote add failed', ['remote', 'add', 'origin', from]);
    // Only the commit, without history: what a deploy needs, and a few MB instead of kubespray's whole history.
    let shallow = true;
    const fetch = await runGit(
      git,
      ['-C', temporary, 'fetch', '--progress', '--no-tags', '--depth', '1', 'origin', commit],
      { signal, ...(onStderr ? { onStderr } : {}) },
    );
    if (fetch.code !== 0) {
      if (/does not allow request for unadvertised object/i.test(fetch.stderr)) {
        // An old server (protocol v0) serves only what its refs advertise: fetch every branch and tag, then look.
        shallow = false;
        await step(`cannot fetch from ${source}`, [
          'fetch',
          '--progress',
          '--no-tags',
          'origin',
          '+refs/heads/*:refs/remotes/origin/*',
          '+refs/tags/*:refs/tags/*',
        ]);
      } else if (/not our ref|no such remote ref|couldn't find remote ref/i.test(fetch.stderr)) {
        throw commitNotInSource(commit, source, fetch, projectOf(options));
      } else {
        throw gitFailure(`cannot fetch from ${source}`, fetch, { hint: sourceHint(from) });
      }
    }
    const present = await runGit(git, ['-C', temporary, 'cat-file', '-e', `${commit}^{commit}`], { signal });
    if (present.code !== 0) throw commitNotInSource(commit, source, present, projectOf(options));
    await step(`cannot check out ${commit}`, [
      '-c',
      'advice.detachedHead=false',
      'checkout',
      '--quiet',
      '--detach',
      commit,
    ]);
    const head = await step('git rev-parse failed', ['rev-parse', 'HEAD^{commit}', 'HEAD^{tree}']);
    const [checkedOut, treeId] = head.stdout.toString('utf8').split('\n');
    if (checkedOut !== commit || treeId === undefined) {
      throw new PaiDeployError(`the clone's HEAD is ${checkedOut ?? 'nothing'}, not ${commit}`);
    }
    stopIfAborted(signal);
    // Synchronous, so no abort handler runs between the last check and the rename.
    try {
      renameSync(temporary, dest);
    } catch (error) {
      throw destinationTaken(dest, error);
    }
    return { dir: dest, commit, treeId, shallow };
  } catch (error) {
    // git is gone by now (runGit waits for it); what it started may still be closing files, hence the retries.
    await rm(temporary, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined);
    if (signal.aborted) stopIfAborted(signal);
    throw error;
  }
}

/**
 * A URL (`https://…`, `file://…`, `ssh://…`) or an scp-like `host:path` goes to git as is; anything else is a local
 * path, made absolute (git runs in the new clone) and required to exist.
 */
async function resolveSource(source: string): Promise<string> {
  if (source === '' || source.startsWith('-')) {
    throw new UsageError(`not a git source: ${JSON.stringify(source)}`, 'Give a URL or the path of a git repository.');
  }
  if (URL_SCHEME.test(source) || SCP_LIKE.test(source)) return source;
  const path = resolve(source);
  await stat(path).catch((error: unknown) => {
    throw new InputFileError(
      path,
      describeSystemError(error),
      'Give a URL or the path of a git repository (bare or not).',
    );
  });
  return path;
}

async function requireFreeDestination(dest: string): Promise<void> {
  const existing = await lstat(dest).catch((error: unknown) => {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw new OutputError(`cannot use ${dest}: ${describeSystemError(error)}`, 'Choose another destination.', error);
  });
  if (existing === undefined) return;
  if (existing.isDirectory() && (await readdir(dest)).length === 0) return;
  throw destinationTaken(dest);
}

function destinationTaken(dest: string, cause?: unknown): OutputError {
  return new OutputError(
    `${dest} already exists${cause === undefined ? '' : ` (${describeSystemError(cause)})`}`,
    'Clone into a new (or empty) directory, or remove that one first; nothing was changed.',
    cause,
  );
}

function commitNotInSource(commit: string, source: string, run: GitRun, project: TreeProject): PaiDeployError {
  return new PaiDeployError(`commit ${commit} is not in ${source}`, {
    exitCode: ExitCode.failed,
    hint: `Use a repository that has it (${project.repository}, or a mirror updated since the commit was made).${gitSaid(run)}`,
  });
}

function sourceHint(source: string): string {
  const ssh = /^ssh:\/\//i.test(source) || (!URL_SCHEME.test(source) && SCP_LIKE.test(source));
  return ssh
    ? 'Check the address. git runs without a terminal: an ssh key needs an agent and the host key must be known.'
    : 'Check the URL or path, the network and any credentials (git runs without a terminal and cannot ask for a password).';
}

// ---------------------------------------------------------------------------------------------------------------
// Running git

interface GitRun {
  /** git's exit code, or null when a signal ended it. */
  code: number | null;
  stdout: Buffer;
  /** The last 64 KiB of what git wrote to stderr. */
  stderr: string;
}

const STDERR_KEPT = 64 * 1024;
/** How long git gets to exit after SIGTERM before the group is killed. */
const KILL_AFTER_MS = 3_000;

/** Environment variables that would point git at another repository, index or object store than the one named. */
const REPOSITORY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_REPLACE_REF_BASE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_SHALLOW_FILE',
  'GIT_GRAFT_FILE',
];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  // Messages in English (they are matched and shown); no index.lock taken by `git status`; never a prompt.
  env.LC_ALL = 'C';
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/**
 * Runs git to its end and returns its exit code and output; rejects only when git cannot be started (not installed)
 * or the signal aborts (then git's process group is killed, and the promise rejects once git has exited).
 */
function runGit(
  git: string,
  args: readonly string[],
  options: { signal: AbortSignal; onStderr?: (line: string) => void },
): Promise<GitRun> {
  const { signal } = options;
  stopIfAborted(signal);
  return new Promise<GitRun>((resolvePromise, reject) => {
    const child = spawn(git, args, { env: gitEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    let stderr = '';
    let partial = '';
    let failed: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signalName: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signalName);
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_AFTER_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
      if (!options.onStderr) return;
      // Progress lines end in \r (rewritten in place) or \n.
      const lines = (partial + chunk).split(/[\r\n]/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onStderr(line);
    });
    child.on('error', (error) => {
      failed = error;
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (signal.aborted) {
        // git has exited; what it started got the same SIGTERM (one process group), and the caller's clean-up
        // retries while they close their files.
        reject(signal.reason instanceof Error ? signal.reason : new InterruptedError('SIGINT'));
      } else if (failed !== undefined) {
        reject(systemErrorCode(failed) === 'ENOENT' ? gitMissing(git, failed) : failed);
      } else {
        resolvePromise({ code, stdout: Buffer.concat(stdout), stderr });
      }
    });
  });
}

function gitMissing(git: string, cause: unknown): PaiDeployError {
  return new PaiDeployError(`git is not installed (${git} was not found on the PATH)`, {
    exitCode: ExitCode.failed,
    hint: 'Install git (apt-get install git, yum install git), or use an unpacked kubespray release tarball, which is verified without git.',
    cause,
  });
}

/**
 * git's own words: its first `fatal:`/`error:` line (what follows repeats it, or says "Please make sure you have the
 * correct access rights"), with the line before it when that is not progress (ssh says why there:
 * `ssh: Could not resolve hostname ...` before `fatal: Could not read from remote repository.`); else its last line.
 */
function gitSaid(run: GitRun): string {
  const lines = run.stderr
    .split(/[\r\n]/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/\d%|^remote: (Enumerating|Counting|Compressing|Total)\b/.test(line));
  const first = lines.findIndex((line) => /^(fatal|error):/.test(line));
  const said = first < 0 ? lines.slice(-1) : lines.slice(Math.max(0, first - 1), first + 1);
  return said.length === 0 ? '' : ` (git: ${said.join('; ')})`;
}

function gitFailure(
  what: string,
  run: GitRun,
  options: { hint?: string; exitCode?: ExitCodeValue } = {},
): PaiDeployError {
  const dubious = /dubious ownership/.test(run.stderr);
  return new PaiDeployError(`${what}${gitSaid(run)}`, {
    exitCode: options.exitCode ?? ExitCode.failed,
    hint: dubious
      ? 'The repository belongs to another user, and git refuses to read it: run pai-deploy as its owner, or mark it safe with `git config --global --add safe.directory <dir>` if you trust it.'
      : (options.hint ?? 'See what git said above.'),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

function short(id: string): string {
  return id.slice(0, 12);
}

function projectOf(pinned: { project?: TreeProject }): TreeProject {
  return pinned.project ?? KUBESPRAY_PROJECT;
}

function pinnedName(pinned: PinnedKubespray): string {
  return `${pinned.branch} @ ${short(pinned.commit)}`;
}

function modifiedList(files: readonly ModifiedFile[]): string {
  const named = files.slice(0, NAMED_FILES).map((file) => `${file.path} (${file.status.trim()})`);
  const more = files.length > NAMED_FILES ? ` and ${files.length - NAMED_FILES} more` : '';
  return `${files.length} modified file${files.length === 1 ? '' : 's'}: ${named.join(', ')}${more}`;
}

function whereToGetIt(pinned: PinnedKubespray): string {
  const { name, repository } = projectOf(pinned);
  return `Name a ${name} ${pinned.branch} tree: a git checkout of ${pinned.commit}, or the unpacked ${repository}/archive/${pinned.commit}.tar.gz.`;
}

function unpinnedHint(verdict: TreeVerdict, pinned: PinnedKubespray): string {
  const { name, repository } = projectOf(pinned);
  const risk = `Running another ${name} tree is possible only when explicitly allowed, at your own risk.`;
  if (verdict.kind === 'directory') {
    return `Unpack ${repository}/archive/${pinned.commit}.tar.gz into an empty directory (or clone that commit with git) and name that. ${risk}`;
  }
  if (verdict.commit !== pinned.commit) {
    return `Check out the pinned commit: git -C ${verdict.dir} fetch origin ${pinned.commit} && git -C ${verdict.dir} checkout --detach ${pinned.commit}. ${risk}`;
  }
  return `Undo the changes (git -C ${verdict.dir} status shows them; git -C ${verdict.dir} stash keeps them aside). ${risk}`;
}
