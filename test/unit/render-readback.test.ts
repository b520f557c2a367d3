import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { renderCluster } from '../../src/render/render-cluster.js';
import { doubleQuoted } from '../../src/render/yaml-emit.js';
import { ansible27, ansible27Env, ansible27Probe } from '../support/ansible27.js';
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
  // Only as escapes (the input is double-quoted): PyYAML and libyaml refuse them raw.
  '\ufffe',
  '\uffff',
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

/**
 * One case of the Ansible leg: an SSH user, a registry mirror and an extra var, and the inventory/hosts.yml and
 * inventory/openpai.yml pai-deploy renders from them.
 */
interface AnsibleCase {
  name: string;
  user: string;
  mirror: string;
  extra: string;
  hosts: string;
  openpai: string;
}

async function ansibleCases(count: number, seed: number): Promise<AnsibleCase[]> {
  const random = prng(seed);
  const cases: AnsibleCase[] = [];
  for (let n = 0; n < count; n++) {
    const [user, mirror, extra] = [randomText(random), randomText(random), randomText(random)];
    const config = [
      `user: ${doubleQuoted(user)}`,
      'password: x',
      'docker_image_tag: v1.8.0',
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
    const [hosts, openpai] = [text('inventory/hosts.yml'), text('inventory/openpai.yml')];
    cases.push({ name: `case-${n}`, user, mirror, extra, hosts, openpai });
  }
  return cases;
}

/**
 * Ansible templates a variable's value when a template uses it, and only then if the text holds a Jinja marker
 * ({{, {% or {#): such values are meant to be templated (kubespray's own vars are full of them), so the checks that
 * template leave those cases out. ansible-inventory --list templates nothing and checks every case.
 */
const hasJinjaMarker = (text: string) => /\{[{%#]/.test(text);
const plainCase = (item: AnsibleCase) => ![item.user, item.mirror, item.extra].some(hasJinjaMarker);

/**
 * A play printing what it sees of a host's values, as JSON in a debug message. The "JSON:" prefix keeps Ansible
 * from converting the message: a templated result that starts with [ or { goes through safe_eval (`debug
 * var=pai_test_value` shows the string "[42]" as the list [42]), which is templating, not reading the file.
 */
function printPlay(hosts: string, user: string): string {
  const fields = `{'mirrors': docker_registry_mirrors, 'value': pai_test_value, 'nested': pai_test_nested, 'user': ${user}}`;
  return JSON.stringify([
    { hosts, gather_facts: false, tasks: [{ debug: { msg: `JSON:{{ ${fields} | to_json }}` } }] },
  ]);
}

interface Seen {
  mirrors: unknown;
  value: unknown;
  nested: unknown;
  user: unknown;
}

/** The debug messages of a play run with ANSIBLE_STDOUT_CALLBACK=json, host by host; every host must be ok. */
function printedByPlay(stdout: string): Map<string, Seen> {
  const report = JSON.parse(stdout) as {
    plays: Array<{ tasks: Array<{ hosts: Record<string, { msg?: string }> }> }>;
    stats: Record<string, { failures: number; unreachable: number }>;
  };
  for (const [host, stats] of Object.entries(report.stats)) {
    expect([host, stats.failures, stats.unreachable], stdout.slice(0, 4000)).toEqual([host, 0, 0]);
  }
  const seen = new Map<string, Seen>();
  for (const [host, result] of Object.entries(report.plays[0]!.tasks[0]!.hosts)) {
    expect(result.msg, JSON.stringify(result)).toMatch(/^JSON:/);
    seen.set(host, JSON.parse(result.msg!.slice('JSON:'.length)) as Seen);
  }
  return seen;
}

/** JSON with everything outside printable ASCII escaped, so that a failure shows which characters differ. */
const shown = (value: unknown) =>
  (JSON.stringify(value) ?? 'undefined').replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** Every case Ansible read differently: the input, what Ansible returned, and the rendered lines holding them. */
function mismatches(cases: readonly AnsibleCase[], got: (item: AnsibleCase) => Seen | undefined): string[] {
  const found: string[] = [];
  for (const item of cases) {
    const want: Seen = { mirrors: [item.mirror], value: item.extra, nested: { inner: [item.extra] }, user: item.user };
    const seen = got(item);
    if (JSON.stringify(seen) === JSON.stringify(want)) continue;
    const openpai = item.openpai.split('\n');
    const lines = [
      ...item.hosts.split('\n').filter((line) => /^ {4}ansible_user:/.test(line)),
      ...openpai.slice(openpai.indexOf('docker_registry_mirrors:')).filter((line) => line !== '' && !/^#/.test(line)),
    ];
    found.push(`${item.name}: expected ${shown(want)}, Ansible 2.7.12 read ${shown(seen)}, from ${shown(lines)}`);
  }
  return found;
}

await describeWithInfra('rendered files read back exactly with Ansible 2.7.12', ansible27Probe, () => {
  // Ansible 2.7 reads a host_vars file, an `-e @file` and a YAML inventory with the same DataLoader.load_from_file
  // (its libyaml-based AnsibleLoader), so many cases can share one run as host_vars files.
  // The cases are made when a test first needs them (not while a skipped suite is collected); each test runs Ansible
  // processes, hence timeouts above the unit project's 30 s for a busy machine.
  let cases: Promise<AnsibleCase[]> | undefined;
  const allCases = () => (cases ??= ansibleCases(150, 20261202));

  it('keeps every awkward string in openpai.yml and hosts.yml: ansible-inventory --list, then a play printing them', async () => {
    const all = await allCases();
    const root = mkdtempSync(join(dir, 'ansible27-'));
    const inventory = join(root, 'inventory');
    // One host per case; its host_vars directory holds that case's rendered openpai.yml and hosts.yml, byte for
    // byte. hosts.yml there is a variable named `all`, so its SSH user is all.vars.ansible_user.
    mkdirSync(inventory);
    const ini = [
      '[cases]',
      ...all.map((item) => `${item.name} ansible_connection=local`),
      '[plain]',
      ...all.filter(plainCase).map((item) => item.name),
    ];
    writeFileSync(join(inventory, 'cases.ini'), ini.join('\n') + '\n');
    for (const item of all) {
      const vars = join(inventory, 'host_vars', item.name);
      mkdirSync(vars, { recursive: true });
      writeFileSync(join(vars, 'openpai.yml'), item.openpai);
      writeFileSync(join(vars, 'hosts.yml'), item.hosts);
    }
    const env = { ...ansible27Env(join(root, 'home')), ANSIBLE_INVENTORY_ENABLED: 'ini' };

    const args = ['-i', join(inventory, 'cases.ini'), '--list'];
    const listed = JSON.parse(await ansible27('ansible-inventory', args, { cwd: root, env })) as {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
    };
    expect(Object.keys(listed._meta.hostvars).sort()).toEqual(all.map((item) => item.name).sort());
    const read = (item: AnsibleCase): Seen => {
      const vars = listed._meta.hostvars[item.name]!;
      const hosts = vars['all'] as { vars?: Record<string, unknown> } | undefined;
      return {
        mirrors: vars['docker_registry_mirrors'],
        value: vars['pai_test_value'],
        nested: vars['pai_test_nested'],
        user: hosts?.vars?.['ansible_user'],
      };
    };
    expect(mismatches(all, read)).toEqual([]);

    const plain = all.filter(plainCase);
    expect(plain.length).toBeGreaterThan(100);
    writeFileSync(join(root, 'print.yml'), printPlay('plain', 'all.vars.ansible_user'));
    const stdout = await ansible27('ansible-playbook', ['-i', join(inventory, 'cases.ini'), 'print.yml'], {
      cwd: root,
      env: { ...env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_FORKS: '10' },
    });
    const printed = printedByPlay(stdout);
    expect([...printed.keys()].sort()).toEqual(plain.map((item) => item.name).sort());
    expect(mismatches(plain, (item) => printed.get(item.name))).toEqual([]);
  }, 120_000);

  it('keeps them as kubespray is run: the rendered hosts.yml as the inventory, -e @openpai.yml', async () => {
    const some = (await allCases()).filter(plainCase).slice(0, 8);
    const printed = new Map<string, Seen | undefined>();
    await Promise.all(
      some.map(async (item) => {
        const root = mkdtempSync(join(dir, 'ansible27-run-'));
        mkdirSync(join(root, 'inventory'));
        writeFileSync(join(root, 'inventory', 'hosts.yml'), item.hosts);
        writeFileSync(join(root, 'inventory', 'openpai.yml'), item.openpai);
        writeFileSync(join(root, 'print.yml'), printPlay('kube-master', 'ansible_user'));
        // The YAML inventory plugin only: a hosts.yml it could not parse fails the run instead of leaving it empty.
        const env = { ...ansible27Env(join(root, 'home')), ANSIBLE_INVENTORY_ENABLED: 'yaml' };
        const args = ['-i', 'inventory/hosts.yml', '-e', '@inventory/openpai.yml', '-c', 'local', 'print.yml'];
        const stdout = await ansible27('ansible-playbook', args, {
          cwd: root,
          env: { ...env, ANSIBLE_STDOUT_CALLBACK: 'json' },
        });
        const seen = printedByPlay(stdout);
        expect([...seen.keys()], item.name).toEqual(['pai-master-01']);
        printed.set(item.name, seen.get('pai-master-01'));
      }),
    );
    expect(mismatches(some, (item) => printed.get(item.name))).toEqual([]);
  }, 120_000);
});
