import { readFile } from 'node:fs/promises';
import { csvToLayout } from '../../config/csv-layout.js';
import { describeSystemError } from '../../errors.js';
import type { Finding } from '../../findings/finding.js';
import type { MachineAnswer } from './answers.js';

const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

export interface PastedMachines {
  machines: MachineAnswer[];
  /** The 1-based line of each machine in the pasted text. */
  lines: number[];
  /** Lines that are not `hostname ip`. */
  problems: string[];
}

/**
 * A machine list as pasted: one machine per line, `hostname ip` (or `ip hostname`, as in /etc/hosts), separated by
 * spaces, tabs or a comma; blank lines and `#` comments are skipped. The first machine is the master, unless one line
 * ends with the word `master`.
 */
export function parsePastedMachines(text: string): PastedMachines {
  const machines: MachineAnswer[] = [];
  const lines: number[] = [];
  const problems: string[] = [];
  let marked = -1;
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n|\r/)
    .forEach((raw, index) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') return;
      const words = line.split(/[\s,]+/).filter((word) => word !== '');
      const role = words.length === 3 ? words[2]!.toLowerCase() : undefined;
      if (words.length < 2 || words.length > 3 || (role !== undefined && role !== 'master' && role !== 'worker')) {
        problems.push(`line ${index + 1}: expected "hostname ip", found ${JSON.stringify(raw.trim().slice(0, 60))}`);
        return;
      }
      const [first, second] = words as [string, string];
      const [hostname, ip] = IPV4.test(first) && !IPV4.test(second) ? [second, first] : [first, second];
      if (role === 'master') {
        if (marked >= 0) problems.push(`line ${index + 1}: a second machine marked master (line ${lines[marked]})`);
        marked = machines.length;
      }
      machines.push({ hostname, ip, role: 'worker', sku: undefined });
      lines.push(index + 1);
    });
  const master = marked >= 0 ? marked : 0;
  if (machines[master]) machines[master].role = 'master';
  return { machines, lines, problems };
}

/** The text the editor opens with: how to write the list, as comments the parser skips. */
export const PASTE_TEMPLATE = [
  '# One machine per line: hostname and IP address, e.g.',
  '#   pai-master-01 10.0.0.10',
  '#   pai-gpu-01    10.0.0.11',
  '# The first machine is the master (or end its line with the word master); all others are workers.',
  '# Lines starting with # are ignored. Save an empty list to choose another way.',
  '',
].join('\n');

export type CsvRead = { ok: true; text: string } | { ok: false; message: string };

/** Reads one of OpenPAI v1.0's CSV lists; a file that cannot be read is an answer to refuse, not an error. */
export async function readCsv(path: string): Promise<CsvRead> {
  try {
    return { ok: true, text: await readFile(path, 'utf8') };
  } catch (error) {
    return { ok: false, message: `cannot read ${path}: ${describeSystemError(error)}` };
  }
}

export interface CsvMachines {
  machines: MachineAnswer[];
  findings: Finding[];
  /** Where a machine came from: `worker.csv:3`. */
  locate(index: number): string;
}

/** The machines of a master.csv + worker.csv pair (OpenPAI v1.0), with the import's own findings (csv-layout.ts). */
export function csvMachines(
  master: { file: string; text: string },
  worker: { file: string; text: string },
): CsvMachines {
  const csv = csvToLayout(master, worker);
  const list = (csv.raw['machine-list'] as Array<Record<string, unknown>> | undefined) ?? [];
  const machines = list.map((entry): MachineAnswer => ({
    hostname: String(entry['hostname'] ?? ''),
    ip: String(entry['hostip'] ?? ''),
    role: entry['pai-master'] === 'true' ? 'master' : 'worker',
    sku: undefined,
  }));
  const locate = (index: number) => {
    const at = csv.locator.locate(['machine-list', index]);
    return `${at.file}:${at.line}`;
  };
  return { machines, findings: csv.findings, locate };
}

/** A CSV finding as a line under the prompt: `worker.csv:3: message`. */
export function csvFindingText(finding: Finding): string {
  const where = finding.line > 0 ? `${finding.file}:${finding.line}` : finding.file;
  return `${where}: ${finding.message}${finding.hint ? `\n  hint: ${finding.hint}` : ''}`;
}
