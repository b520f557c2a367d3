import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../src/config/yaml-source.js';
import { renderCluster } from '../../src/render/render-cluster.js';
import { allFindings, baseConfig, baseLayout, codes, tempDir, validate } from '../support/fixtures.js';

const dir = tempDir();
const config = baseConfig();

const LAYOUT = `machine-sku:
  master-sku:
    mem: "60Gi"
    cpu:
      vcore: 24
  gpu-sku:
    mem: "220Gi"
    cpu:
      vcore: 24
machine-list:
  - hostname: pai-master-01
    hostip: 10.0.0.10
    machine-type: master-sku
    pai-master: "true"
  - hostname: worker-1
    hostip: 10.0.0.11
    machine-type: gpu-sku
    pai-worker: "true"
  - hostname: worker-1
    hostip: 10.0.0.12
    machine-typ: gpu-sku
    pai-worker: "true"
`;

describe('findings point at file, line and column', () => {
  it('names the line of a duplicate hostname and of a misspelt key, with a suggestion', async () => {
    const result = await validate(dir, LAYOUT, config);
    const duplicate = result.errors.find((f) => f.code === 'duplicate-hostname');
    expect(duplicate).toMatchObject({ line: 19, column: 15, path: 'machine-list[2].hostname' });
    expect(duplicate?.message).toContain('"worker-1"');
    const unknown = result.errors.find((f) => f.code === 'unknown-key');
    expect(unknown).toMatchObject({ line: 21, column: 5 });
    expect(unknown?.message).toContain('did you mean "machine-type"?');
    const missing = result.errors.find((f) => f.code === 'missing-field');
    expect(missing?.message).toContain('"machine-type"');
  });

  it('points extra-var findings at the variable inside openpai_kubespray_extra_var', async () => {
    const text =
      'user: pai\npassword: "x"\ndocker_image_tag: v1.8.0\nopenpai_kubespray_extra_var:\n  kube_proxy_mode: ipvs\n  download_run_once: "true"\n';
    const result = await validate(
      dir,
      LAYOUT.replace('machine-typ:', 'machine-type:').replace(
        /worker-1\n {4}hostip: 10.0.0.12/,
        'worker-2\n    hostip: 10.0.0.12',
      ),
      text,
    );
    expect(allFindings(result)).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      code: 'not-a-boolean',
      line: 6,
      column: 22,
      path: 'openpai_kubespray_extra_var.download_run_once',
    });
  });

  it('never prints a secret value, even when its type is wrong', async () => {
    const result = await validate(dir, LAYOUT, {
      ...config,
      password: ['hunter2-secret'],
      docker_registry_username: 'u',
      docker_registry_password: { p: 'topsecret-value' },
    });
    const text = JSON.stringify(allFindings(result));
    expect(codes(result)).toContain('wrong-type');
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('topsecret-value');
    expect(text).toContain('(hidden: it may hold a secret)');
  });
});

describe('files that are not a usable YAML mapping become findings, not crashes', () => {
  const cases: Array<[string, string | Buffer, string, number]> = [
    ['malformed YAML', 'machine-sku:\n  a: [1, 2\nmachine-list: []\n', 'yaml-', 3],
    ['an empty file', '', 'empty-file', 1],
    ['only comments', '# nothing here\n\n   # still nothing\n', 'empty-file', 1],
    ['a list where a mapping belongs', '- hostname: a\n- hostname: b\n', 'not-a-mapping', 1],
    ['a bare scalar', 'just some words\n', 'not-a-mapping', 1],
    ['binary garbage', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'not-text', 3],
    ['a duplicate key', 'machine-sku: {}\nmachine-list: []\nmachine-sku: {}\n', 'yaml-duplicate-key', 3],
    ['tabs as indentation', 'machine-sku:\n\tsku: {}\n', 'yaml-', 2],
    ['two documents', 'machine-sku: {}\n---\nmachine-list: []\n', 'yaml-', 2],
  ];
  for (const [name, content, code, line] of cases) {
    it(name, async () => {
      const path = join(dir, `bad-${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(path, content);
      const result = await validate(dir, content, config);
      void path;
      const finding = result.errors.find((f) => f.code.startsWith(code));
      expect(finding, JSON.stringify(result.errors)).toBeDefined();
      expect(finding?.line).toBe(line);
      expect(result.valid).toBe(false);
    });
  }

  it('detects NUL bytes and invalid UTF-8 directly', () => {
    const nul = parseYamlSource('x.yaml', Buffer.from('a: 1\nb: \u0000\n'));
    expect(nul.syntaxFindings[0]).toMatchObject({ code: 'not-text', line: 2 });
    const utf16 = parseYamlSource('y.yaml', Buffer.from([0xff, 0xfe, 0x61, 0x00]));
    expect(utf16.syntaxFindings[0]?.code).toBe('not-text');
  });

  it('stops an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    const source = parseYamlSource('bomb.yaml', Buffer.from(bomb.join('\n') + '\n'));
    expect(source.value).toBeUndefined();
    expect(source.syntaxFindings[0]?.code).toBe('yaml-unresolvable');
  });

  it('reads a UTF-8 BOM and YAML 1.1 booleans as PyYAML and Ansible do', () => {
    const source = parseYamlSource('c.yaml', Buffer.from('\uFEFFenable: yes\nport: 0755\n'));
    expect(source.syntaxFindings).toEqual([]);
    expect(source.value).toEqual({ enable: true, port: 493 });
  });
});

describe('secrets', () => {
  it('are never quoted: a shell-style config, an -e style extra-var string, a value under a secret key at any depth', async () => {
    const shellStyle = await validate(dir, LAYOUT, 'user=pai password=hunter2-secret\n');
    expect(codes(shellStyle)).toEqual(['not-a-mapping']);
    expect(JSON.stringify(allFindings(shellStyle))).not.toContain('hunter2');
    const extraString = await validate(dir, LAYOUT, {
      ...config,
      openpai_kubespray_extra_var: 'ansible_become_pass=hunter2-secret',
    });
    expect(JSON.stringify(allFindings(extraString))).not.toContain('hunter2');
    expect(JSON.stringify(allFindings(extraString))).toContain('a string of 34 characters');
    const nested = await validate(dir, LAYOUT, {
      ...config,
      openpai_kubespray_extra_var: 5,
      kubelet_custom_flags: { 'bootstrap-token': ['hunter2-secret'] },
    });
    expect(JSON.stringify(allFindings(nested))).not.toContain('hunter2');
  });

  it('make every file copied from config.yaml 0600: nested in extra vars, kubespray credential variables, commented out', async () => {
    const key = join(dir, 'id_test');
    writeFileSync(key, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n', {
      mode: 0o600,
    });
    const base = `user: pai\ndocker_image_tag: v1.8.0\nssh_key_file_path: ${key}\n`;
    const modeOf = async (extra: string) => {
      const result = await validate(dir, baseLayout(), base + extra);
      expect(result.valid, JSON.stringify(result.errors)).toBe(true);
      return Object.fromEntries(renderCluster(result.input!).map((file) => [file.path, file.mode]));
    };
    const none = await modeOf('openpai_kubespray_extra_var:\n  kube_proxy_mode: iptables\n');
    expect([none['inventory/openpai.yml'], none['cluster-cfg/config.yaml']]).toEqual([0o644, 0o644]);
    expect((await modeOf('password: x\n'))['inventory/openpai.yml']).toBe(0o600);
    const nested = await modeOf(
      'openpai_kubespray_extra_var:\n  kube_users:\n    kube:\n      pass: s3cret\n      role: admin\n',
    );
    expect([nested['inventory/openpai.yml'], nested['cluster-cfg/config.yaml']]).toEqual([0o600, 0o600]);
    const deepKey = await modeOf('openpai_kubespray_extra_var:\n  some_role:\n    registry_private_key: abc\n');
    expect(deepKey['inventory/openpai.yml']).toBe(0o600);
    const commented = await modeOf('# password: the-old-one\n');
    expect(commented['cluster-cfg/config.yaml']).toBe(0o600);
  });
});

describe('text and numbers as written', () => {
  it('accepts a literal U+FFFD (valid UTF-8) and still refuses invalid bytes', async () => {
    const layout = baseLayout();
    (layout['machine-sku']['gpu-sku']!['computing-device'] as Record<string, unknown>)['model'] = 'V100 \uFFFD';
    expect(codes(await validate(dir, layout, baseConfig()))).not.toContain('not-text');
    const broken = Buffer.concat([
      Buffer.from('user: pai\npassword: "'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"\n'),
    ]);
    expect(codes(await validate(dir, baseLayout(), broken))).toContain('not-text');
  });

  it('shows an infinite count as YAML wrote it, not as JSON null', async () => {
    const layout = baseLayout();
    (layout['machine-sku']['gpu-sku']!['computing-device'] as Record<string, unknown>)['count'] = Infinity;
    const text = JSON.stringify(allFindings(await validate(dir, layout, baseConfig())));
    expect(text).toContain('.inf');
    expect(text).not.toContain('decimal null');
  });
});
