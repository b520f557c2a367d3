import type { Action } from '../phase/phase.js';
import { renderPhase, type RenderData } from '../phase/phases/render.js';
import { validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

/** `pai-deploy render --out DIR`: validate, then write every file into DIR or none. */
export function renderAction(sources: ClusterSources, outDir: string, options: ValidateOptions): Action<RenderData> {
  return { name: 'render', data: { sources }, phases: [validatePhase(options), renderPhase(() => ({ dir: outDir }))] };
}
