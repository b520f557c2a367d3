import type { Finding, PathSegment, SourceLocation } from '../findings/finding.js';
import type { Locator } from '../findings/finding.js';

/** SKUs given to machines imported from OpenPAI v1.0's CSV lists, which carry no hardware description. */
export interface CsvSkuOptions {
  masterMem: string;
  masterVcores: number;
  workerMem: string;
  workerVcores: number;
  workerDeviceType: string | undefined;
  workerDeviceModel: string | undefined;
  workerDeviceCount: number;
}

export const defaultCsvSkus: CsvSkuOptions = {
  masterMem: '40Gi',
  masterVcores: 4,
  workerMem: '16Gi',
  workerVcores: 4,
  workerDeviceType: undefined,
  workerDeviceModel: undefined,
  workerDeviceCount: 1,
};

export const CSV_MASTER_SKU = 'master-sku';
export const CSV_WORKER_SKU = 'worker-sku';

interface CsvRow {
  file: string;
  line: number;
  hostname: string;
  hostnameColumn: number;
  ip: string;
  ipColumn: number;
}

/** A layout.yaml-shaped value built from master.csv and worker.csv, with locations pointing into the CSV files. */
export interface CsvLayout {
  raw: Record<string, unknown>;
  locator: Locator;
  findings: Finding[];
}

/**
 * OpenPAI v1.0 lists: one `hostname,ip` per line, no header. Tolerates a UTF-8 BOM, CRLF, blank lines, spaces around
 * fields and `#` comment lines. The first line of master.csv is the master (v1.0's head node).
 */
export function csvToLayout(
  master: { file: string; text: string },
  worker: { file: string; text: string },
  skus: CsvSkuOptions = defaultCsvSkus,
): CsvLayout {
  const findings: Finding[] = [];
  const masterRows = parseCsv(master.file, master.text, findings);
  const workerRows = parseCsv(worker.file, worker.text, findings);
  if (masterRows.length === 0) findings.push(emptyList(master.file, 'master'));
  if (workerRows.length === 0) findings.push(emptyList(worker.file, 'worker'));
  for (const extra of masterRows.slice(1)) {
    findings.push({
      severity: 'error',
      code: 'csv-extra-master',
      file: extra.file,
      line: extra.line,
      column: 1,
      path: '',
      message: `${extra.hostname} is a second master; OpenPAI since v1.5 runs exactly one master (the first line)`,
      hint: `Move ${extra.hostname} to ${worker.file} or remove it.`,
    });
  }
  const rows: Array<CsvRow & { master: boolean }> = [
    ...masterRows.slice(0, 1).map((row) => ({ ...row, master: true })),
    ...workerRows.map((row) => ({ ...row, master: false })),
  ];
  const workerSku: Record<string, unknown> = { mem: skus.workerMem, cpu: { vcore: skus.workerVcores } };
  if (skus.workerDeviceType) {
    workerSku['computing-device'] = {
      type: skus.workerDeviceType,
      ...(skus.workerDeviceModel ? { model: skus.workerDeviceModel } : {}),
      count: skus.workerDeviceCount,
    };
  }
  // A SKU only for machines the lists have: an empty worker list must not also earn a warning about a SKU the user
  // never wrote.
  const raw = {
    'machine-sku': {
      ...(masterRows.length > 0
        ? { [CSV_MASTER_SKU]: { mem: skus.masterMem, cpu: { vcore: skus.masterVcores } } }
        : {}),
      ...(workerRows.length > 0 ? { [CSV_WORKER_SKU]: workerSku } : {}),
    },
    'machine-list': rows.map((row) => ({
      hostname: row.hostname,
      hostip: row.ip,
      'machine-type': row.master ? CSV_MASTER_SKU : CSV_WORKER_SKU,
      ...(row.master ? { 'pai-master': 'true' } : { 'pai-worker': 'true' }),
    })),
  };
  const locate = (path: readonly PathSegment[]): SourceLocation => {
    if (path[0] === 'machine-list' && typeof path[1] === 'number') {
      const row = rows[path[1]];
      if (row) {
        const column = path[2] === 'hostip' ? row.ipColumn : row.hostnameColumn;
        return { file: row.file, line: row.line, column };
      }
    }
    // Findings about the list as a whole (no worker, empty groups) point at the start of the worker list.
    return { file: worker.file, line: 1, column: 1 };
  };
  return { raw, locator: { file: master.file, locate }, findings };
}

function parseCsv(file: string, text: string, findings: Finding[]): CsvRow[] {
  const rows: CsvRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    if (rawLine.trim() === '' || rawLine.trimStart().startsWith('#')) return;
    const cells = rawLine.split(',');
    const [hostCell = '', ipCell = ''] = cells;
    const hostname = hostCell.trim();
    const ip = ipCell.trim();
    if (index === 0 && /^(host-?ip|ip|address)$/i.test(ip)) return;
    if (cells.length < 2 || hostname === '' || ip === '') {
      findings.push({
        severity: 'error',
        code: 'csv-malformed-line',
        file,
        line,
        column: 1,
        path: '',
        message: `line ${line} is ${JSON.stringify(rawLine.slice(0, 60))}, not "hostname,ip"`,
        hint: 'Write one machine per line as hostname,ip, e.g. pai-worker-01,10.0.0.11.',
      });
      return;
    }
    if (cells.length > 2 && cells.slice(2).some((cell) => cell.trim() !== '')) {
      findings.push({
        severity: 'error',
        code: 'csv-extra-columns',
        file,
        line,
        column: hostCell.length + ipCell.length + 3,
        path: '',
        message: `line ${line} has ${cells.length} columns; only hostname,ip are read`,
        hint: 'Remove the extra columns; describe hardware in layout.yaml (pai-deploy config import-csv writes one).',
      });
      return;
    }
    rows.push({
      file,
      line,
      hostname,
      hostnameColumn: hostCell.length - hostCell.trimStart().length + 1,
      ip,
      ipColumn: hostCell.length + 2 + (ipCell.length - ipCell.trimStart().length),
    });
  });
  return rows;
}

function emptyList(file: string, role: string): Finding {
  return {
    severity: 'error',
    code: 'csv-empty',
    file,
    line: 1,
    column: 1,
    path: '',
    message: `${file} lists no ${role} machine`,
    hint: `Add at least one line hostname,ip to ${file}.`,
  };
}
