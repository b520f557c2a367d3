import { renderAction } from '../../actions/render.js';
import { FindingsError } from '../../errors.js';
import type { FindingSummary } from '../../findings/finding.js';
import { runAction } from '../../phase/manager.js';
import { clusterSources, type ClusterInputFlags } from '../cluster-inputs.js';
import { stdoutStyle, type CommandEnv } from '../command-env.js';
import { findingsJson, formatFindings } from '../format/findings.js';

export interface RenderFlags extends ClusterInputFlags {
  out: string;
  format: 'text' | 'json';
  dryRun?: boolean;
}

export async function runRender(flags: RenderFlags, env: CommandEnv): Promise<void> {
  let findings: FindingSummary | undefined;
  const action = renderAction(clusterSources('render', flags, env), flags.out, {
    report: async (validation) => {
      findings = validation;
      if (flags.format === 'text' && (!validation.valid || validation.warnings.length > 0)) {
        await env.io.result(formatFindings(validation, stdoutStyle(env)));
      }
    },
  });
  const dryRun = flags.dryRun === true;
  try {
    await runAction(action, { io: env.io, ports: env.ports, signal: env.signal, dryRun });
  } catch (error) {
    if (error instanceof FindingsError && findings) {
      if (flags.format === 'json') await env.io.result(findingsJson(findings, { outDir: flags.out, files: [] }));
      env.io.notify({ level: 'error', code: 'render.nothing-written', text: `nothing written to ${flags.out}` });
    }
    throw error;
  }
  const files = action.data.files ?? [];
  if (flags.format === 'json') {
    const written = files.map((file) => ({ path: file.path, mode: file.mode.toString(8).padStart(4, '0') }));
    await env.io.result(
      findingsJson(findings ?? { valid: true, errors: [], warnings: [] }, {
        outDir: flags.out,
        dryRun,
        files: written,
        ...(action.data.kept ? { kept: action.data.kept } : {}),
      }),
    );
  } else {
    const verb = dryRun ? 'would write' : 'wrote';
    const kept = action.data.kept ?? [];
    await env.io.result(
      `${verb} ${files.length} files to ${flags.out}:\n${files.map((file) => `  ${file.path}`).join('\n')}\n` +
        (kept.length > 0 ? `kept what else it held:\n${kept.map((path) => `  ${path}`).join('\n')}\n` : ''),
    );
  }
}
