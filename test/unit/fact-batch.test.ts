import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FactSpec } from '../../src/checks/catalog.js';
import { machineScript, parseFrames, parseMachineOutput } from '../../src/checks/fact-batch.js';
import { tempDir } from '../support/fixtures.js';

// A sudo that always refuses (and notes that it was called), first on PATH, so the test does not depend on this
// machine's sudo.
const bin = join(tempDir(), 'bin');
const sudoCalls = join(bin, 'sudo-calls');
mkdirSync(bin);
writeFileSync(
  join(bin, 'sudo'),
  `#!/bin/sh\necho called >> '${sudoCalls}'\necho "sudo: a password is required" >&2\nexit 1\n`,
);
chmodSync(join(bin, 'sudo'), 0o755);

const fact = (id: string, command: string, mayHang = false): FactSpec => ({
  id,
  command,
  sudo: false,
  roles: ['all'],
  mayHang,
});

/** Runs a machine script through a real local shell, as sshd would run it. */
function run(plain: FactSpec[], timeoutSeconds = 5, probeSudo = true) {
  const batch = machineScript(plain, [], timeoutSeconds, { probeSudo });
  const result = spawnSync('sh', ['-c', batch.script], {
    input: '',
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
  });
  return {
    batch,
    result,
    facts: parseFrames(result.stdout, result.stderr, batch.marker, timeoutSeconds),
    machine: parseMachineOutput(result.stdout, batch.marker),
  };
}

describe('machine scripts', () => {
  it("keep each command's stdout, stderr and exit code apart", () => {
    const { facts, machine } = run([
      fact('plain', 'echo hello; echo world'),
      fact('failing', "echo out; echo 'err: it broke' >&2; false"),
      fact('no-newline', "printf 'a\\n\\nb'"),
      fact('looks-like-a-frame', "printf '@@pai-0000 fake\\n'; echo \"it's\""),
      fact('missing', 'no-such-command-here'),
      fact('stdin', 'cat'),
      fact('exits', 'exit 7'),
      fact('after-exit', 'echo still here'),
    ]);
    expect(facts.get('plain')).toEqual({ stdout: 'hello\nworld\n', stderr: '', exitCode: 0, timedOut: false });
    expect(facts.get('failing')).toEqual({ stdout: 'out\n', stderr: 'err: it broke\n', exitCode: 1, timedOut: false });
    expect(facts.get('no-newline')?.stdout).toBe('a\n\nb');
    expect(facts.get('looks-like-a-frame')?.stdout).toBe("@@pai-0000 fake\nit's\n");
    expect(facts.get('missing')?.exitCode).toBe(127);
    expect(facts.get('stdin')?.stdout).toBe('');
    expect(facts.get('exits')?.exitCode).toBe(7);
    expect(facts.get('after-exit')?.stdout).toBe('still here\n');
    expect(machine.remoteTime).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('offer readfile and running without extra processes', () => {
    const { facts } = run([
      fact('os', 'readfile /etc/os-release'),
      fact('init', 'running init-that-is-not-here && echo yes || echo no'),
      fact('gone', 'readfile /no/such/file'),
    ]);
    expect(facts.get('os')?.stdout).toBe(
      execFileSync('cat', ['/etc/os-release'], { encoding: 'utf8' }).replace(/\n?$/, '\n'),
    );
    expect(facts.get('init')?.stdout).toBe('no\n');
    expect(facts.get('gone')).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/No such file/) });
  });

  it('stop a may-hang command at its timeout, say so, and go on', () => {
    const { facts } = run([fact('slow', 'sleep 5', true), fact('next', 'echo next')], 1);
    expect(facts.get('slow')).toMatchObject({ timedOut: true, exitCode: 124, stderr: 'timed out after 1 s' });
    expect(facts.get('next')?.stdout).toBe('next\n');
  });

  it('report sudo as unavailable when neither sudo -n nor a password works', () => {
    expect(run([fact('x', 'true')]).machine.sudo).toBe('none');
  });

  it('call sudo only when a privileged fact or the sudo check needs it', () => {
    rmSync(sudoCalls, { force: true });
    const { facts, machine } = run([fact('x', 'echo x')], 5, false);
    expect(existsSync(sudoCalls)).toBe(false);
    expect(facts.get('x')?.stdout).toBe('x\n');
    expect(machine.remoteTime).toBeDefined();
    run([fact('x', 'echo x')], 5, true);
    expect(existsSync(sudoCalls)).toBe(true);
  });

  it('drop a frame that was cut off', () => {
    const { batch, result } = run([fact('a', 'echo a'), fact('b', 'echo b')]);
    const cut = result.stdout.slice(0, result.stdout.lastIndexOf(`${batch.marker}-end b`));
    const facts = parseFrames(cut, result.stderr, batch.marker, 5);
    expect([...facts.keys()]).toEqual(['a']);
  });
});
