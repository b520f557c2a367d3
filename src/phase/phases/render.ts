import { createHash } from 'node:crypto';
import { renderCluster, type RenderedFile } from '../../render/render-cluster.js';
import type { WorkDir } from '../../model/work-dir.js';
import type { Phase, PhaseContext } from '../phase.js';
import { requireCluster, type ValidateData } from './validate.js';

export interface RenderData extends ValidateData {
  /** The rendered files (also in dry-run, where they are not written). */
  files?: RenderedFile[];
  /** Where they were (or would be) written. */
  renderedTo?: string;
  /** Entries of the old output that are not pai-deploy's (kubespray's credentials/, a user's notes), carried over. */
  kept?: string[];
}

/** Where to render: render's --out directory, or the cluster's work dir (claimed first: lock and state). */
export type RenderTarget = { dir: string } | { workDir: WorkDir };

/**
 * Renders the kubespray inventory and OpenPAI's cluster configuration and replaces the directory `target` names
 * with them in one step (what else it held, such as kubespray's credentials, is carried over).
 */
export function renderPhase<D extends RenderData>(target: (ctx: PhaseContext<D>) => RenderTarget): Phase<D> {
  let files: RenderedFile[] = [];
  let dir = '';
  return {
    id: 'render',
    prerequisite: true,
    title: 'Render the kubespray inventory and OpenPAI cluster configuration',
    async prepare(ctx) {
      // Rendering is pure: done here so the inputs below are the very bytes that would be written.
      files = renderCluster(requireCluster(ctx.data).spec);
      const where = target(ctx);
      // The work dir is claimed before the inputs are compared, so an unchanged render is skipped on a rerun.
      if ('workDir' in where) await ctx.useWorkDir(where.workDir);
      dir = 'workDir' in where ? where.workDir.rendered : where.dir;
      ctx.data.files = files;
      ctx.data.renderedTo = dir;
    },
    inputs: () => ({
      dir,
      files: files.map((file) => ({ path: file.path, mode: file.mode, sha256: sha256(file.content) })),
    }),
    async run(ctx) {
      const secret = files.filter((file) => file.mode === 0o600).length;
      const replaced = await ctx.wet(
        dir,
        `write ${files.length} files (${secret} of them 0600): ${files.map((file) => file.path).join(', ')}`,
        () => ctx.ports.replaceDirectory(dir, files, { signal: ctx.signal, action: ctx.action, io: ctx.io }),
      );
      if (replaced) ctx.data.kept = replaced.kept;
      ctx.setOutputs({ dir, files: files.length, ...(replaced ? { kept: replaced.kept.length } : {}) });
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
