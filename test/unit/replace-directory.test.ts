import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkDirLockedError } from '../../src/errors.js';
import { replaceDirectory } from '../../src/infra/fs/replace-directory.js';
import type { FileToWrite } from '../../src/ports/ports.js';
import { FakeIoHost } from '../support/fake-io.js';
import { tempDir } from '../support/fixtures.js';
import { snapshotTree } from '../support/tree.js';

const dir = tempDir('pai-deploy-replace-');

function file(path: string, content: string, mode = 0o644): FileToWrite {
  return { path, content, mode, description: path };
}

const NEW = [
  file('inventory/hosts.yml', 'hosts: new\n'),
  file('inventory/openpai.yml', 'secret: new\n', 0o600),
  file('cluster-cfg/config.yaml', 'config: new\n', 0o600),
  file('cluster-cfg/layout.yaml', 'layout: new\n'),
];

function options(signal = new AbortController().signal, io = new FakeIoHost()) {
  return { signal, action: 'render', io };
}

/** An output as an earlier render and a kubespray run left it. */
function oldOutput(name: string): string {
  const out = join(dir, name, 'out');
  mkdirSync(join(out, 'inventory', 'credentials'), { recursive: true });
  mkdirSync(join(out, 'cluster-cfg'));
  writeFileSync(join(out, 'inventory', 'hosts.yml'), 'hosts: old\n');
  writeFileSync(join(out, 'inventory', 'openpai.yml'), 'secret: old\n', { mode: 0o600 });
  writeFileSync(join(out, 'inventory', 'credentials', 'kube_user.creds'), 'kube-pass\n', { mode: 0o600 });
  writeFileSync(join(out, 'cluster-cfg', 'config.yaml'), 'config: old\n', { mode: 0o600 });
  writeFileSync(join(out, 'NOTES.md'), 'the admin wrote this\n');
  symlinkSync('inventory/hosts.yml', join(out, 'hosts-link'));
  chmodSync(out, 0o750);
  return out;
}

describe('replacing an output directory in one step', () => {
  it('creates a new directory with the modes asked for, and leaves nothing beside it', async () => {
    const out = join(dir, 'fresh', 'deeper', 'out');
    const result = await replaceDirectory(out, NEW, options());
    expect(result.kept).toEqual([]);
    expect(snapshotTree(out)).toEqual({
      'cluster-cfg': 'dir 755',
      'cluster-cfg/config.yaml': 'file 600 config: new\n',
      'cluster-cfg/layout.yaml': 'file 644 layout: new\n',
      inventory: 'dir 755',
      'inventory/hosts.yml': 'file 644 hosts: new\n',
      'inventory/openpai.yml': 'file 600 secret: new\n',
    });
    expect(statSync(out).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(dir, 'fresh', 'deeper'))).toEqual(['out']);
  });

  it('replaces its files and carries over, unchanged, everything else the old directory held', async () => {
    const out = oldOutput('existing');
    const credentials = statSync(join(out, 'inventory', 'credentials', 'kube_user.creds'));
    const result = await replaceDirectory(out, NEW, options());
    expect(result.kept).toEqual(['NOTES.md', 'hosts-link', 'inventory/credentials']);
    expect(snapshotTree(out)).toEqual({
      'NOTES.md': 'file 644 the admin wrote this\n',
      'cluster-cfg': 'dir 755',
      'cluster-cfg/config.yaml': 'file 600 config: new\n',
      'cluster-cfg/layout.yaml': 'file 644 layout: new\n',
      'hosts-link': 'link -> inventory/hosts.yml',
      inventory: 'dir 755',
      'inventory/credentials': 'dir 755',
      'inventory/credentials/kube_user.creds': 'file 600 kube-pass\n',
      'inventory/hosts.yml': 'file 644 hosts: new\n',
      'inventory/openpai.yml': 'file 600 secret: new\n',
    });
    // Kept by a hard link: the same file, not a copy.
    expect(statSync(join(out, 'inventory', 'credentials', 'kube_user.creds')).ino).toBe(credentials.ino);
    // The admin's 0750 on the directory itself stays.
    expect(statSync(out).mode & 0o777).toBe(0o750);
    expect(readdirSync(join(dir, 'existing'))).toEqual(['out']);
  });

  it('refuses, changing nothing, when a directory stands where a file goes or a file where a directory goes', async () => {
    const first = oldOutput('dir-at-file');
    renameSync(join(first, 'cluster-cfg', 'config.yaml'), join(dir, 'moved'));
    mkdirSync(join(first, 'cluster-cfg', 'config.yaml'));
    const before = snapshotTree(first);
    await expect(replaceDirectory(first, NEW, options())).rejects.toThrow(/config.yaml: it is a directory/);
    expect(snapshotTree(first)).toEqual(before);
    expect(readdirSync(join(dir, 'dir-at-file'))).toEqual(['out']);

    const second = join(dir, 'file-at-dir', 'out');
    mkdirSync(second, { recursive: true });
    writeFileSync(join(second, 'inventory'), 'a file');
    await expect(replaceDirectory(second, NEW, options())).rejects.toThrow(/inventory: it is a file/);
    expect(snapshotTree(second)).toEqual({ inventory: 'file 644 a file' });
    expect(readdirSync(join(dir, 'file-at-dir'))).toEqual(['out']);
  });

  it('refuses a target that is a file, and a parent that is one', async () => {
    writeFileSync(join(dir, 'plain-file'), 'x');
    await expect(replaceDirectory(join(dir, 'plain-file'), NEW, options())).rejects.toThrow(/is not a directory/);
    await expect(replaceDirectory(join(dir, 'plain-file', 'out'), NEW, options())).rejects.toThrow(
      /could not write .*plain-file\/out: .*is a file|not a directory/,
    );
    expect(readFileSync(join(dir, 'plain-file'), 'utf8')).toBe('x');
  });

  it('leaves the old directory byte-identical when Ctrl-C comes while staging', async () => {
    const out = oldOutput('interrupted');
    const before = snapshotTree(out);
    const many = Array.from({ length: 600 }, (_, index) => file(`inventory/host_vars/h${index}.yml`, 'x: 1\n'));
    const controller = new AbortController();
    const writing = replaceDirectory(out, [...NEW, ...many], options(controller.signal)).then(
      () => 'finished',
      () => 'failed',
    );
    const parent = join(dir, 'interrupted');
    while (!readdirSync(parent).some((name) => name.startsWith('.out.new-')))
      await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await writing).toBe('failed');
    expect(snapshotTree(out)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('puts the old directory back when a run was killed between the two renames of the swap', async () => {
    const out = oldOutput('killed');
    const parent = join(dir, 'killed');
    const before = snapshotTree(out);
    // What SIGKILL between `out → .out.old-*` and `.out.new-* → out` leaves.
    renameSync(out, join(parent, '.out.old-0badf00d'));
    mkdirSync(join(parent, '.out.new-0badf00d'));
    writeFileSync(join(parent, '.out.new-0badf00d', 'half'), 'x');
    const io = new FakeIoHost();
    const result = await replaceDirectory(out, NEW, options(undefined, io));
    expect(io.messages.map((message) => message.code)).toEqual(['output.restored']);
    expect(result.kept).toEqual(['NOTES.md', 'hosts-link', 'inventory/credentials']);
    expect(snapshotTree(out)['inventory/credentials/kube_user.creds']).toBe(
      before['inventory/credentials/kube_user.creds'],
    );
    expect(snapshotTree(out)['inventory/hosts.yml']).toBe('file 644 hosts: new\n');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it('lets one writer in at a time: a second one is refused with the holder named', async () => {
    const out = oldOutput('locked');
    const many = Array.from({ length: 300 }, (_, index) => file(`inventory/host_vars/h${index}.yml`, 'x: 1\n'));
    const first = replaceDirectory(out, [...NEW, ...many], options());
    while (!existsSync(join(dir, 'locked', '.out.lock'))) await new Promise((resolve) => setImmediate(resolve));
    const error: unknown = await replaceDirectory(out, NEW, options()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkDirLockedError);
    expect((error as Error).message).toMatch(/the output directory .*locked\/out is in use by pid \d+/);
    await first;
    expect(readdirSync(join(out, 'inventory', 'host_vars'))).toHaveLength(300);
    expect(readdirSync(join(dir, 'locked'))).toEqual(['out']);
  });

  it('across processes racing on one output, ends with exactly one complete version and nothing beside it', async () => {
    const parent = join(dir, 'race');
    mkdirSync(parent);
    const out = join(parent, 'out');
    const module = new URL('../../src/infra/fs/replace-directory.ts', import.meta.url).href;
    const child = (id: number) =>
      new Promise<string>((resolve) => {
        const script = `
          const { replaceDirectory } = await import(${JSON.stringify(module)});
          const files = Array.from({ length: 40 }, (_, i) => ({ path: 'd/f' + i, content: 'writer ${id}\\n', mode: 0o644, description: '' }));
          const io = { notify() {} };
          try {
            await replaceDirectory(${JSON.stringify(out)}, files, { signal: new AbortController().signal, action: 'race', io });
            console.log('ok');
          } catch (error) {
            console.log(error.constructor.name);
          }`;
        const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        proc.on('close', () => resolve(stdout.trim()));
      });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, id) => child(id)));
    expect(outcomes.every((outcome) => outcome === 'ok' || outcome === 'WorkDirLockedError')).toBe(true);
    expect(outcomes).toContain('ok');
    const contents = new Set(readdirSync(join(out, 'd')).map((name) => readFileSync(join(out, 'd', name), 'utf8')));
    expect(readdirSync(join(out, 'd'))).toHaveLength(40);
    expect(contents.size).toBe(1);
    expect(readdirSync(parent)).toEqual(['out']);
  });
});
