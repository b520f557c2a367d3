import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, PaiDeployError, UsageError } from '../../errors.js';
import { workDirFor } from '../../model/work-dir.js';
import { KNOWN_OPENPAI_RELEASES, OPENPAI_PROJECT } from '../../openpai/release.js';
import type { Phase, PhaseContext } from '../phase.js';
import { requireCluster, type ValidateData } from './validate.js';

export interface OpenpaiSourceData extends ValidateData {
  /** The verified OpenPAI tree the services come from. */
  openpaiDir?: string;
}

export interface OpenpaiSourceOptions {
  /** --openpai-src: a checkout or an unpacked release the admin brought (air-gapped sites). */
  dir: string | undefined;
  /** Where to clone the release from when no --openpai-src is given (a URL, or a local mirror). */
  cloneFrom: string;
  /** --allow-unknown-openpai: a release pai-deploy does not know, or a tree that is not the release's. */
  allowUnknown: boolean;
  /** Where the work dir is (the clone goes into it): --work-dir, or PAI_DEPLOY_HOME / ~/pai-deploy. */
  workDirOverride: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** A `docker_image_tag` whose OpenPAI source pai-deploy does not know. */
export class UnknownOpenpaiReleaseError extends PaiDeployError {
  constructor(tag: string) {
    const known = [...KNOWN_OPENPAI_RELEASES.keys()].join(', ');
    super(`OpenPAI ${tag} (docker_image_tag) is not a release pai-deploy knows (it knows ${known})`, {
      exitCode: ExitCode.usage,
      hint: `Set docker_image_tag to ${known} in config.yaml, or bring that release's source tree yourself with --openpai-src DIR --allow-unknown-openpai (unverified, at your own risk).`,
    });
  }
}

/**
 * The OpenPAI source tree of the release config.yaml names (`docker_image_tag` is OpenPAI's git tag too):
 * --openpai-src verified (a checkout by its commit, a plain directory by its tree id), or the release cloned once
 * into the work dir's `openpai-<tag>/` and verified on every later run. Sets data.openpaiDir.
 */
export function openpaiSourcePhase<D extends OpenpaiSourceData>(options: OpenpaiSourceOptions): Phase<D> {
  return {
    id: 'openpai-source',
    prerequisite: true,
    title: 'OpenPAI source tree',
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      const tag = spec.config.registry.tag;
      const release = KNOWN_OPENPAI_RELEASES.get(tag);
      if (release === undefined) {
        if (!options.allowUnknown) throw new UnknownOpenpaiReleaseError(tag);
        if (options.dir === undefined)
          throw new UsageError(
            `OpenPAI ${tag} is not a release pai-deploy knows, so it cannot clone it`,
            'Name its source tree with --openpai-src DIR.',
          );
        warnUnverified(ctx, `OpenPAI ${tag} is not a release pai-deploy knows; ${options.dir} is used unverified`);
        ctx.data.openpaiDir = options.dir;
        ctx.setOutputs({ dir: options.dir, pinned: false });
        return;
      }
      const root = ctx.workDir?.root ?? workDirFor(spec.config.clusterId, options.workDirOverride, options.env).root;
      const dir = options.dir ?? join(root, `openpai-${tag}`);
      const pin = `OpenPAI ${tag} @ ${release.commit.slice(0, 12)} (tree ${release.treeId.slice(0, 12)})`;
      if (ctx.dryRun) {
        // The plan contacts nothing: it says what would be verified or cloned.
        const what =
          options.dir !== undefined || existsSync(dir)
            ? `verify ${dir} is ${pin}`
            : `clone ${pin} from ${options.cloneFrom} into ${dir}`;
        await ctx.wet('dev-box', what, async () => undefined);
        ctx.data.openpaiDir = dir;
        return;
      }
      const trees = await ctx.ports.kubesprayTrees();
      if (options.dir === undefined && !existsSync(dir)) {
        const span = ctx.io.span(`clone ${pin}`, { phase: 'openpai-source' });
        try {
          await trees.clone(options.cloneFrom, dir, {
            commit: release.commit,
            project: OPENPAI_PROJECT,
            signal: ctx.signal,
            onProgress: (line) => span.update(line),
          });
          span.end('ok');
        } catch (error) {
          span.end('failed');
          throw error;
        }
      }
      const verdict = await trees.inspect(dir, {
        pinned: release,
        allowUnpinned: options.allowUnknown && options.dir !== undefined,
        signal: ctx.signal,
      });
      if (!verdict.pinned) warnUnverified(ctx, `${verdict.describe} (--allow-unknown-openpai)`);
      ctx.data.openpaiDir = dir;
      ctx.setOutputs({ dir, kind: verdict.kind, pinned: verdict.pinned, treeId: verdict.treeId });
    },
  };
}

function warnUnverified(ctx: PhaseContext<OpenpaiSourceData>, text: string): void {
  ctx.io.notify({
    level: 'warn',
    code: 'openpai.unverified',
    phase: 'openpai-source',
    text: `DEPLOYING AN UNVERIFIED OPENPAI TREE: ${text}. pai-deploy's model, templates and service steps are made for the releases it knows; anything may break.`,
  });
}
