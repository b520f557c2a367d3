import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchScript, parseBatchOutput } from '../../src/checks/fact-batch.js';

describe('fact batches', () => {
  it('keep each command\'s stdout, stderr and exit code apart through a real shell', () => {
    const facts = [
      { id: 'plain', command: 'echo hello; echo world', sudo: false, roles: ['all' as const], mayHang: false },
      { id: 'failing', command: "echo out; echo 'err: it broke' >&2; exit 3", sudo: false, roles: ['all' as const], mayHang: false },
      { id: 'tricky', command: "printf '@@pai-fact fake 0\\n'; echo \"it's\"; printf 'no newline at the end'", sudo: false, roles: ['all' as const], mayHang: false },
      { id: 'missing', command: 'no-such-command-here', sudo: false, roles: ['all' as const], mayHang: false },
      { id: 'stdin', command: 'cat', sudo: false, roles: ['all' as const], mayHang: false },
    ];
    const batch = batchScript(facts, 5);
    const output = execFileSync('sh', ['-c', batch.script], { input: 'must not be read\n', encoding: 'utf8' });
    const results = parseBatchOutput(output, batch.marker, 5);
    expect(results.get('plain')).toEqual({ stdout: 'hello\nworld', stderr: '', exitCode: 0, timedOut: false });
    expect(results.get('failing')).toEqual({ stdout: 'out', stderr: 'err: it broke', exitCode: 3, timedOut: false });
    expect(results.get('tricky')?.stdout).toBe("@@pai-fact fake 0\nit's\nno newline at the end");
    expect(results.get('missing')?.exitCode).toBe(127);
    expect(results.get('stdin')?.stdout).toBe('');
    expect([...results.keys()]).toEqual(['plain', 'failing', 'tricky', 'missing', 'stdin']);
  });
  it('stops a may-hang command at its timeout, says so, and goes on', () => {
    const batch = batchScript([{ id: 'slow', command: 'sleep 5', sudo: false, roles: ['all'], mayHang: true }, { id: 'after', command: 'echo next', sudo: false, roles: ['all'], mayHang: false }], 1);
    const results = parseBatchOutput(execFileSync('sh', ['-c', batch.script], { encoding: 'utf8' }), batch.marker, 1);
    expect(results.get('after')?.stdout).toBe('next');
    expect(results.get('slow')).toMatchObject({ timedOut: true, exitCode: 124, stderr: 'timed out after 1 s' });
  });
});
