import type { DryRunEntry } from '../../phase/phase.js';

/** A dry run's log as the commands print it: one "would … on …" line per side effect it left out. */
export function formatDryRun(entries: ReadonlyArray<Pick<DryRunEntry, 'target' | 'description'>>): string {
  if (entries.length === 0) return 'nothing would change\n';
  return entries.map((entry) => `would ${entry.description} on ${entry.target}\n`).join('');
}
