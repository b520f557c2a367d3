import { expect, it } from 'vitest';
import { renderCluster } from '../../src/render/render-cluster.js';
import { doubleQuoted } from '../../src/render/yaml-emit.js';
import { baseLayout, tempDir, validate } from '../support/fixtures.js';
import { describeWithInfra } from '../support/infra.js';
import { prng } from '../support/prng.js';
import { pyyaml, pyyamlProbe } from '../support/pyyaml.js';

const dir = tempDir('pai-deploy-readback-');

/** The awkward classes of text: YAML 1.1 words and numbers, indicators, controls, separators, astral characters. */
const PIECES = [
  '<<',
  '=',
  '~',
  'yes',
  'No',
  'on',
  'OFF',
  'y',
  'null',
  'NULL',
  '.inf',
  '-.inf',
  '.nan',
  '1e3',
  '010',
  '0o17',
  '0x1F',
  '1_000',
  '1:30',
  '12345678901234567890',
  '0_',
  '2001-12-14',
  '-',
  '?',
  ':',
  '- ',
  '# ',
  '&a',
  '*a',
  '!tag',
  '%',
  '@',
  '`',
  '|',
  '>',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '\\',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  '\x1b[31m',
  '\x7f',
  '\u0080',
  '\u0085',
  '\u009b',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  'é',
  'ß',
  '中文',
  '😀',
  'pai',
  'admin',
  '42',
];

function randomText(random: () => number): string {
  const count = 1 + Math.floor(random() * 4);
  return Array.from({ length: count }, () => PIECES[Math.floor(random() * PIECES.length)]!).join('');
}

await describeWithInfra('rendered files read back exactly with PyYAML', pyyamlProbe, () => {
  it('keeps every awkward string a user can give through config.yaml, in openpai.yml and services-configuration.yaml', async () => {
    const random = prng(20261201);
    const cases: Array<{ values: string[]; files: { openpai: string; services: string } }> = [];
    for (let round = 0; round < 120; round++) {
      const values = Array.from({ length: 4 }, () => randomText(random));
      const [username, password, mirror, extra] = values as [string, string, string, string];
      // config.yaml written with the same double-quoting, so the input itself is exact too.
      const config = [
        'user: pai',
        'password: x',
        'docker_image_tag: v1.8.0',
        `docker_registry_username: ${doubleQuoted(username)}`,
        `docker_registry_password: ${doubleQuoted(password)}`,
        `openpai_docker_registry_mirrors: [${doubleQuoted(mirror)}]`,
        'openpai_kubespray_extra_var:',
        `  pai_test_value: ${doubleQuoted(extra)}`,
        `  pai_test_nested: {inner: [${doubleQuoted(extra)}]}`,
        '',
      ].join('\n');
      const result = await validate(dir, baseLayout(), config);
      expect(result.input, `config ${JSON.stringify(config)} did not load`).toBeDefined();
      const files = renderCluster(result.input!);
      const text = (path: string) => files.find((file) => file.path === path)!.content;
      cases.push({
        values,
        files: { openpai: text('inventory/openpai.yml'), services: text('cluster-cfg/services-configuration.yaml') },
      });
    }
    const answers = pyyaml(cases.flatMap((item) => [item.files.openpai, item.files.services]));
    cases.forEach((item, index) => {
      const [username, password, mirror, extra] = item.values;
      const openpai = answers[2 * index]!;
      const services = answers[2 * index + 1]!;
      expect(openpai, item.files.openpai).toHaveProperty('ok');
      expect(services, item.files.services).toHaveProperty('ok');
      const vars = (openpai as { ok: Record<string, unknown> }).ok;
      expect(vars['docker_registry_mirrors'], JSON.stringify(mirror)).toEqual([mirror]);
      expect(vars['pai_test_value'], JSON.stringify(extra)).toBe(extra);
      expect(vars['pai_test_nested']).toEqual({ inner: [extra] });
      const registry = (services as { ok: { cluster: { 'docker-registry': Record<string, unknown> } } }).ok.cluster[
        'docker-registry'
      ];
      expect([registry['username'], registry['password']]).toEqual([username, password]);
    });
  });

  it('keeps the SSH user in hosts.yml (ansible_user), whatever its characters', async () => {
    const random = prng(7);
    const users = Array.from({ length: 150 }, () => randomText(random));
    const documents: string[] = [];
    for (const user of users) {
      const result = await validate(
        dir,
        baseLayout(),
        `user: ${doubleQuoted(user)}\npassword: x\ndocker_image_tag: v1.8.0\n`,
      );
      expect(result.input).toBeDefined();
      documents.push(renderCluster(result.input!).find((file) => file.path === 'inventory/hosts.yml')!.content);
    }
    const answers = pyyaml(documents);
    answers.forEach((answer, index) => {
      expect(answer, documents[index]).toHaveProperty('ok');
      const vars = (answer as { ok: { all: { vars: Record<string, unknown> } } }).ok.all.vars;
      expect(vars['ansible_user'], JSON.stringify(users[index])).toBe(users[index]);
    });
  });
});
