import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factCatalog } from '../../src/checks/catalog.js';
import { ansible27CanUse, parsePythonInterpreters, type PythonInterpreter } from '../../src/checks/parsers/python.js';
import { choosePython } from '../../src/cli/wizard/python-choice.js';
import { tempDir } from '../support/fixtures.js';

const py = (path: string, version: string, apt = false): PythonInterpreter => {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return { path, major, minor, apt };
};

describe('the python-interpreters fact', () => {
  /** A stand-in interpreter: answers the fact's two -c probes as a Python of that version would. */
  function fakePython(path: string, version: string, apt: boolean): void {
    const script = [
      '#!/bin/sh',
      'case "$2" in',
      `  *version_info*) echo ${version} ;;`,
      `  *apt_pkg*) exit ${apt ? 0 : 1} ;;`,
      '  *) exit 2 ;;',
      'esac',
    ].join('\n');
    writeFileSync(path, `${script}\n`, { mode: 0o755 });
  }

  it('lists each interpreter on PATH once, with its version and apt bindings; parses what the shell printed', () => {
    const bin = join(tempDir('pai-deploy-python-fact-'), 'bin');
    mkdirSync(bin);
    fakePython(join(bin, 'python'), '3.11', true);
    fakePython(join(bin, 'python3'), '3.11', true);
    fakePython(join(bin, 'python3.7'), '3.7', false);
    // A broken one (exits non-zero) is left out.
    writeFileSync(join(bin, 'python2.7'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const command = factCatalog().find((fact) => fact.id === 'python-interpreters')!.command;
    const stdout = execFileSync('/bin/sh', ['-c', command], { env: { PATH: `${bin}:/nonexistent` }, encoding: 'utf8' });
    const found = parsePythonInterpreters(stdout).filter((p) => p.path.startsWith(bin));
    expect(found).toEqual([
      py(join(bin, 'python'), '3.11', true),
      py(join(bin, 'python3'), '3.11', true),
      py(join(bin, 'python3.7'), '3.7', false),
    ]);
  });

  it('parses only well-formed lines, each path once', () => {
    const text = '/usr/bin/python 2.7 apt=yes\n/usr/bin/python 2.7 apt=yes\ngarbage\nrel/python 3.7 apt=no\n';
    expect(parsePythonInterpreters(text)).toEqual([py('/usr/bin/python', '2.7', true)]);
  });

  it('Ansible 2.7 runs on 2.7 and 3.5 to 3.7 only', () => {
    const usable = ['2.6', '2.7', '3.4', '3.5', '3.6', '3.7', '3.8', '3.11', '4.0'].filter((v) =>
      ansible27CanUse(py('/p', v)),
    );
    expect(usable).toEqual(['2.7', '3.5', '3.6', '3.7']);
  });
});

describe('choosing ansible_python_interpreter from the probed machines', () => {
  it('nothing probed: no choice; /usr/bin/python usable everywhere: the default, nothing set', () => {
    expect(choosePython(new Map())).toBeUndefined();
    const ubuntu = [py('/usr/bin/python', '2.7', true), py('/usr/bin/python3', '3.6', true)];
    expect(
      choosePython(
        new Map([
          ['a', ubuntu],
          ['b', ubuntu],
        ]),
      ),
    ).toEqual({ kind: 'default' });
  });

  it('a path every machine has; with apt bindings first, then the newest (the oldest machine decides)', () => {
    const a = [
      py('/usr/bin/python3', '3.11', true),
      py('/opt/py/bin/python3.7', '3.7'),
      py('/usr/bin/python3.6', '3.6', true),
    ];
    const b = [py('/opt/py/bin/python3.7', '3.7'), py('/usr/bin/python3.6', '3.6', true)];
    expect(
      choosePython(
        new Map([
          ['a', a],
          ['b', b],
        ]),
      ),
    ).toEqual({
      kind: 'set',
      path: '/usr/bin/python3.6',
      versions: ['3.6'],
      apt: true,
    });
    const c = [py('/opt/py/bin/python3.7', '3.6'), py('/usr/local/bin/python3.7', '3.7')];
    const d = [py('/opt/py/bin/python3.7', '3.7'), py('/usr/local/bin/python3.7', '3.7')];
    expect(
      choosePython(
        new Map([
          ['c', c],
          ['d', d],
        ]),
      ),
    ).toEqual({
      kind: 'set',
      path: '/usr/local/bin/python3.7',
      versions: ['3.7'],
      apt: false,
    });
  });

  it('a machine with none usable is named; usable ones at different paths give no choice', () => {
    expect(
      choosePython(
        new Map([
          ['a', [py('/usr/bin/python', '2.7')]],
          ['b', [py('/usr/bin/python3', '3.11')]],
          ['c', []],
        ]),
      ),
    ).toEqual({ kind: 'none', missing: ['b', 'c'] });
    expect(
      choosePython(
        new Map([
          ['a', [py('/opt/a/bin/python3.7', '3.7')]],
          ['b', [py('/opt/b/bin/python3.7', '3.7')]],
        ]),
      ),
    ).toEqual({ kind: 'none', missing: [] });
  });
});
