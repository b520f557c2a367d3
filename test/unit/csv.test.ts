import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvToLayout } from '../../src/config/csv-layout.js';
import { validateCluster } from '../../src/rules/validate-cluster.js';
import { baseConfig, tempDir, writeInputs } from '../support/fixtures.js';

const dir = tempDir();

describe('OpenPAI v1.0 master.csv / worker.csv', () => {
  it('tolerates a BOM, CRLF, blank lines, spaces, comments and a header', () => {
    const csv = csvToLayout(
      { file: 'master.csv', text: '\uFEFFhostname,ip\r\npai-master-01, 10.0.0.10\r\n\r\n' },
      { file: 'worker.csv', text: '# workers\r\n\r\npai-w-01,10.0.0.11\r\n  pai-w-02 ,10.0.0.12  \r\n\r\n' },
    );
    expect(csv.findings).toEqual([]);
    const list = csv.raw['machine-list'] as Array<Record<string, unknown>>;
    expect(list.map((m) => [m['hostname'], m['hostip'], m['pai-master'] ?? m['pai-worker']])).toEqual([
      ['pai-master-01', '10.0.0.10', 'true'],
      ['pai-w-01', '10.0.0.11', 'true'],
      ['pai-w-02', '10.0.0.12', 'true'],
    ]);
    expect(csv.locator.locate(['machine-list', 2, 'hostip'])).toEqual({ file: 'worker.csv', line: 4, column: 13 });
  });

  it('reports malformed lines, extra columns, a second master and empty lists with their line', () => {
    const csv = csvToLayout(
      { file: 'master.csv', text: 'm1,10.0.0.1\nm2,10.0.0.2\n' },
      { file: 'worker.csv', text: 'w1 10.0.0.3\nw2,10.0.0.4,gpu\n' },
    );
    expect(csv.findings.map((f) => [f.code, f.file, f.line])).toEqual([
      ['csv-malformed-line', 'worker.csv', 1],
      ['csv-extra-columns', 'worker.csv', 2],
      ['csv-empty', 'worker.csv', 1],
      ['csv-extra-master', 'master.csv', 2],
    ]);
    const empty = csvToLayout({ file: 'm.csv', text: '\r\n' }, { file: 'w.csv', text: 'w1,10.0.0.3' });
    expect(empty.findings.map((f) => f.code)).toEqual(['csv-empty']);
  });

  it('validates end to end with findings located in the CSV files', async () => {
    const master = join(dir, 'master.csv');
    const worker = join(dir, 'worker.csv');
    writeFileSync(master, 'pai-master-01,10.0.0.10\n');
    writeFileSync(worker, 'pai-w-01,10.0.0.11\r\nPAI_W_02,10.0.0.11\r\n');
    const { configPath } = writeInputs(dir, 'unused: true\n', baseConfig());
    const result = await validateCluster({ kind: 'csv', masterPath: master, workerPath: worker }, configPath);
    expect(result.errors.map((f) => [f.code, f.file, f.line, f.column])).toEqual([
      ['invalid-hostname', worker, 2, 1],
      ['duplicate-ip', worker, 2, 10],
    ]);
  });

  it('gives an empty worker list a located finding and no warning about a SKU nobody wrote', async () => {
    const master = join(dir, 'm-only.csv');
    const worker = join(dir, 'w-empty.csv');
    writeFileSync(master, 'pai-master-01,10.0.0.10\n');
    writeFileSync(worker, '');
    const { configPath } = writeInputs(dir, 'unused: true\n', baseConfig());
    const result = await validateCluster({ kind: 'csv', masterPath: master, workerPath: worker }, configPath);
    expect([...result.errors, ...result.warnings].map((f) => [f.code, f.file, f.line > 0])).toEqual([
      ['csv-empty', worker, true],
      ['no-worker', worker, true],
    ]);
  });
});
