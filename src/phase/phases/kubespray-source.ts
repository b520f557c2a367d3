import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kubesprayRelease } from '../../kubespray/release-2.11.js';
import type { Phase, PhaseContext } from '../phase.js';
import type { KubesprayData } from './kubespray.js';

export interface KubespraySourceOptions {
  /** --kubespray-dir: a checkout or an unpacked tarball the admin brought (air-gapped sites). */
  dir: string | undefined;
  /** Where to clone from when no --kubespray-dir is given (a URL, or a local mirror). */
  cloneFrom: string;
  /** --allow-unpinned-kubespray: run another tree, with a loud warning. */
  allowUnpinned: boolean;
}

/**
 * The kubespray tree every run uses, pinned: --kubespray-dir verified (a git checkout by its commit, a plain
 * directory by its git tree id), or the pinned commit cloned once into the work dir's kubespray/ and verified on
 * every later run. Sets data.kubesprayDir for the kubespray phase.
 */
export function kubespraySourcePhase<D extends KubesprayData>(options: KubespraySourceOptions): Phase<D> {
  return {
    id: 'kubespray-source',
    prerequisite: true,
    title: `Kubespray ${kubesprayRelease.branch} @ ${kubesprayRelease.commit.slice(0, 12)}`,
    async run(ctx) {
      if (ctx.dryRun) {
        // The plan contacts nothing: it says what would be verified or cloned.
        const dir = options.dir ?? join(ctx.workDir?.root ?? '<work dir>', 'kubespray');
        const pin = `kubespray ${kubesprayRelease.commit} (tree ${kubesprayRelease.treeId.slice(0, 12)})`;
        const what =
          options.dir !== undefined || existsSync(dir)
            ? `verify ${dir} is ${pin}`
            : `clone ${pin} from ${options.cloneFrom} into ${dir}`;
        await ctx.wet('dev-box', what, async () => undefined);
        ctx.data.kubesprayDir = dir;
        return;
      }
      const trees = await ctx.ports.kubesprayTrees();
      const pinned = { ...kubesprayRelease };
      let dir = options.dir;
      if (dir === undefined) {
        if (!ctx.workDir) throw new Error('internal: the kubespray source phase needs the work dir');
        dir = join(ctx.workDir.root, 'kubespray');
        if (!existsSync(dir)) {
          const target = dir;
          const cloned = await ctx.wet(
            'dev-box',
            `clone kubespray ${kubesprayRelease.commit} from ${options.cloneFrom} into ${target}`,
            () => trees.clone(options.cloneFrom, target, { commit: kubesprayRelease.commit, signal: ctx.signal }),
          );
          if (cloned === undefined) {
            ctx.data.kubesprayDir = target;
            return;
          }
        }
      }
      const verdict = await trees.inspect(dir, {
        pinned,
        allowUnpinned: options.allowUnpinned && options.dir !== undefined,
        signal: ctx.signal,
      });
      if (!verdict.pinned) warnUnpinned(ctx, verdict.describe);
      ctx.data.kubesprayDir = dir;
      ctx.setOutputs({ dir, kind: verdict.kind, pinned: verdict.pinned, treeId: verdict.treeId });
    },
  };
}

function warnUnpinned(ctx: PhaseContext<KubesprayData>, describe: string): void {
  ctx.io.notify({
    level: 'warn',
    code: 'kubespray.unpinned',
    phase: 'kubespray-source',
    text:
      `RUNNING AN UNPINNED KUBESPRAY (--allow-unpinned-kubespray): ${describe}. pai-deploy's checks, overrides and ` +
      `fixes are made for ${kubesprayRelease.branch} @ ${kubesprayRelease.commit}; anything may break.`,
  });
}
