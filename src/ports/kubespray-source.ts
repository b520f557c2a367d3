/**
 * The kubespray source tree a deploy runs, as the outside world (git, the file system) shows it. Types only: the
 * adapter is src/infra/git/kubespray-trees.ts. The product passes `kubesprayRelease` (src/kubespray/release-2.11.ts)
 * as the pinned tree; tests pass commits they made themselves.
 */

/**
 * Which project a pinned tree belongs to, for the checks and messages: kubespray (the default) or OpenPAI, whose
 * release source the service deployer reads. The same verification serves both.
 */
export interface TreeProject {
  /** For messages: `kubespray`, `OpenPAI`. */
  readonly name: string;
  /** A file every tree of the project has at its top (`cluster.yml`), checked before a plain directory is hashed. */
  readonly marker: string;
  /** The public repository, for hints: `https://github.com/kubernetes-sigs/kubespray`. */
  readonly repository: string;
}

export const KUBESPRAY_PROJECT: TreeProject = {
  name: 'kubespray',
  marker: 'cluster.yml',
  repository: 'https://github.com/kubernetes-sigs/kubespray',
};

/** The one tree (of kubespray, unless `project` says otherwise) pai-deploy is written and tested against. */
export interface PinnedKubespray {
  /** Whose tree; kubespray when absent. */
  readonly project?: TreeProject;
  /** The branch the commit is on, for messages (`release-2.11`). */
  readonly branch: string;
  /** The pinned commit, 40 lowercase hex digits. A git checkout is pinned when its HEAD is this commit. */
  readonly commit: string;
  /**
   * The git tree id of that commit (`git rev-parse <commit>^{tree}`), 40 hex digits. A plain directory (an unpacked
   * tarball) is pinned when its contents hash to this tree id.
   */
  readonly treeId: string;
  /**
   * What a plain directory of the release hashes to when it differs from `treeId`: checking out or unpacking the
   * release converts line ends its .gitattributes asks for (OpenPAI's `*.bat eol=crlf`), and git normalizes them
   * back on `git add`, which the directory hash does not do. Computed from a fresh checkout of the commit.
   */
  readonly directoryTreeId?: string;
}

/** A tracked file of a git checkout whose working-tree content is not the committed one. */
export interface ModifiedFile {
  /** Path relative to the checkout's top, with `/` separators, as git prints it. */
  readonly path: string;
  /**
   * What changed: git's two-letter porcelain v1 status (` M` modified, ` D` deleted, `M ` staged, `R ` renamed,
   * `UU` unmerged, ...), or `assume-unchanged` / `skip-worktree` for an index flag that hides changes from
   * `git status` (so the file cannot be vouched for).
   */
  readonly status: string;
}

interface VerdictBase {
  /** The directory inspected, absolute. */
  readonly dir: string;
  /** True when the tree is exactly the pinned one (right commit and no modified file, or the pinned tree id). */
  readonly pinned: boolean;
  /**
   * One human line saying what the tree is, e.g. `git checkout at 67167bd8d292 (release-2.11, pinned)` or
   * `plain directory with git tree 1a2b3c4d5e6f, not release-2.11 @ 67167bd8d292 (tree 601ecad9c76c)`.
   */
  readonly describe: string;
}

/** A git checkout (the directory is the top of a work tree, its `.git` a directory or a gitfile): judged by HEAD. */
export interface GitTreeVerdict extends VerdictBase {
  readonly kind: 'git';
  /** HEAD's commit id. */
  readonly commit: string;
  /** HEAD's tree id (`HEAD^{tree}`): what the checkout holds when no file is modified. */
  readonly treeId: string;
  /** HEAD is a branch's tip (`refs/heads/...`), or undefined when detached. For messages only. */
  readonly branch: string | undefined;
  /**
   * Tracked files whose content differs from HEAD (untracked files do not count: a user's own inventory beside
   * kubespray's is fine). Empty when the checkout is clean. Complete: callers show the first few.
   */
  readonly modified: readonly ModifiedFile[];
}

/** A plain directory (no `.git`: an unpacked release tarball): judged by the git tree id of its contents. */
export interface DirectoryTreeVerdict extends VerdictBase {
  readonly kind: 'directory';
  /** The git tree id of the directory's contents, computed as `git add -A --force && git write-tree` would. */
  readonly treeId: string;
  /** Regular files and symlinks hashed, and their bytes (for "how long did that take" and messages). */
  readonly files: number;
  readonly bytes: number;
}

export type TreeVerdict = GitTreeVerdict | DirectoryTreeVerdict;

export interface InspectOptions {
  /** The tree the directory must be. */
  readonly pinned: PinnedKubespray;
  /**
   * False (the default): a tree that is not the pinned one is refused with an error naming the pinned commit and
   * what differs. True: the verdict is returned with `pinned: false`, and the caller must warn loudly (its
   * `describe` says what the tree is) and decide.
   */
  readonly allowUnpinned?: boolean;
  /** Stops the inspection (git is killed, hashing stops); the promise rejects with the signal's reason. */
  readonly signal: AbortSignal;
}

export interface CloneOptions {
  /** The commit to check out (detached), 40 hex digits: `kubesprayRelease.commit` in the product. */
  readonly commit: string;
  /** Whose commit, for the hints; kubespray when absent. */
  readonly project?: TreeProject;
  /**
   * Stops the clone: git is killed, the half-made clone removed, `dest` left as it was; the promise rejects with the
   * signal's reason.
   */
  readonly signal: AbortSignal;
  /** git's progress lines (`Receiving objects:  42% ...`), for a live display. */
  readonly onProgress?: (line: string) => void;
}

/** What a clone produced. */
export interface ClonedTree {
  /** The destination, absolute: a git work tree with `commit` checked out, detached. */
  readonly dir: string;
  readonly commit: string;
  /** The commit's tree id. */
  readonly treeId: string;
  /** True when only the commit was fetched (`--depth 1`), false when the source needed a full fetch. */
  readonly shallow: boolean;
}

/** Verifying and obtaining kubespray source trees. */
export interface KubesprayTrees {
  /**
   * What `dir` is: a git checkout (judged by HEAD and `git status`) or a plain directory (judged by its git tree id).
   * Rejects when `dir` is missing, is not a directory, does not look like kubespray (no cluster.yml), or (unless
   * `allowUnpinned`) is not the pinned tree.
   */
  inspect(dir: string, options: InspectOptions): Promise<TreeVerdict>;
  /**
   * Gets `commit` from `source` (a URL, an scp-like `host:path`, or a local repository path, bare or not) into `dest`
   * with git, in one step: fetched and checked out in a temporary sibling of `dest`, then renamed into place. `dest`
   * must not exist, or be an empty directory. Rejects clearly when git is missing, the source cannot be read, or the
   * commit is not in it.
   */
  clone(source: string, dest: string, options: CloneOptions): Promise<ClonedTree>;
}
