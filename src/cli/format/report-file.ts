import { basename, dirname, resolve } from 'node:path';
import type { CommandEnv } from '../command-env.js';

/**
 * Writes a report to --output's file in one step (staged beside it and renamed: a CI step that reads the file
 * after a failed or interrupted run finds the old report or the new one, never half of one).
 */
export async function writeReport(
  env: CommandEnv,
  output: string,
  content: string,
  report: { command: string; description: string },
): Promise<void> {
  const path = resolve(env.cwd, output);
  await env.ports.writeFiles(
    dirname(path),
    [{ path: basename(path), content, mode: 0o644, description: report.description }],
    env.signal,
  );
  env.io.notify({
    level: 'info',
    code: `${report.command}.report-written`,
    text: `${report.description} written to ${output}`,
  });
}
