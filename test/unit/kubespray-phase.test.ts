import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubesprayAction } from '../../src/actions/kubespray.js';
import { writeFilesAtomically } from '../../src/infra/fs/atomic-write.js';
import { eventMarker } from '../../src/kubespray/ansible-events.js';
import { KubeconfigError, mergeKubeconfig, rewriteKubeconfig } from '../../src/kubespray/kubeconfig.js';
import { removeNodeFixes } from '../../src/kubespray/openpai-fixes.js';
import { parse } from 'yaml';
import type { PlaybookName } from '../../src/kubespray/playbook-run.js';
import { runAction } from '../../src/phase/manager.js';
import { PlaybookFailedError } from '../../src/phase/phases/kubespray.js';
import type { KubesprayTrees } from '../../src/ports/kubespray-source.js';
import type { ContainerRunSpec } from '../../src/ports/ports.js';
import { FakeIoHost } from '../support/fake-io.js';
import { fakeDevbox } from '../support/fake-devbox.js';
import { fakePorts } from '../support/fake-ports.js';
import { baseConfig, baseLayout, tempDir, writeInputs } from '../support/fixtures.js';

const dir = tempDir('pai-deploy-kubespray-');
const IMAGE = 'test/devbox:2.7';
const ADMIN_CONF = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
  name: cluster.local
contexts:
- context: {cluster: cluster.local, user: kubernetes-admin}
  name: kubernetes-admin@cluster.local
current-context: kubernetes-admin@cluster.local
kind: Config
users:
- name: kubernetes-admin
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
`;

type Line = [string, 'stdout' | 'stderr'];
const event = (token: string, value: Record<string, unknown>): Line => [
  `${eventMarker(token)}${JSON.stringify({ time: 1, ...value })}`,
  'stdout',
];

interface Setup {
  name: string;
  playbook?: PlaybookName;
  config?: Record<string, unknown>;
  script: (spec: ContainerRunSpec, token: string) => { lines: Line[]; exitCode: number };
  images?: string[];
  answers?: unknown[];
  confirmReset?: boolean;
  allowUnpinned?: boolean;
  passThrough?: string[];
  /** Whether the fake tree inspection calls the kubespray dir pinned. */
  pinned?: boolean;
}

async function runPlaybook(setup: Setup) {
  const root = join(dir, setup.name);
  const workDir = join(root, 'work');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(workDir, 'known_hosts'), '10.0.0.10 ssh-ed25519 AAAA\n');
  const kubesprayDir = join(root, 'kubespray');
  mkdirSync(kubesprayDir);
  writeFileSync(join(kubesprayDir, 'cluster.yml'), '- hosts: all\n');
  const { layoutPath, configPath } = writeInputs(root, baseLayout(), { ...baseConfig(), ...setup.config });
  let seenSecrets: string | undefined;
  const devbox = fakeDevbox({
    images: setup.images ?? [IMAGE],
    run(spec) {
      const secrets = spec.mounts.find((mount) => mount.target === '/pai/secrets/vars.yml');
      if (secrets)
        seenSecrets =
          readFileSync(secrets.source, 'utf8') + ` mode ${(statSync(secrets.source).mode & 0o777).toString(8)}`;
      return setup.script(spec, spec.env['PAI_DEPLOY_EVENT_TOKEN']!);
    },
  });
  const kubesprayTrees: KubesprayTrees = {
    inspect: (inspected, options) => {
      const pinned = setup.pinned ?? true;
      if (!pinned && !options.allowUnpinned)
        return Promise.reject(new Error(`${inspected} is not the pinned kubespray`));
      return Promise.resolve({
        kind: 'directory',
        dir: inspected,
        pinned,
        describe: pinned ? 'the pinned tree' : 'a plain directory with tree 1234',
        treeId: pinned ? options.pinned.treeId : '1234',
        files: 1,
        bytes: 10,
      });
    },
    clone: () => Promise.reject(new Error('fake trees: no clone in this test')),
  };
  const ports = fakePorts({ devbox, writeFiles: writeFilesAtomically, kubesprayTrees });
  const io = new FakeIoHost();
  io.answers.push(...(setup.answers ?? []));
  const action = kubesprayAction(
    { layout: { kind: 'yaml', path: layoutPath }, configPath },
    { report: async () => undefined },
    {
      request: { playbook: setup.playbook ?? 'cluster', passThrough: setup.passThrough ?? ['-e', 'extra=1'] },
      workDirOverride: workDir,
      env: {},
      kubesprayDir,
      kubesprayCloneFrom: '/nowhere',
      allowUnpinned: setup.allowUnpinned ?? false,
      image: IMAGE,
      network: 'host',
      forks: 5,
      confirmReset: setup.confirmReset ?? false,
    },
  );
  const outcome = await runAction(action, { io, ports, signal: new AbortController().signal, dryRun: false }).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { outcome, action, devbox, io, workDir, seenSecrets, ports };
}

describe('the kubespray phase', () => {
  it('runs cluster.yml in a container, logs the output, reports progress and copies the kubeconfig', async () => {
    const run = await runPlaybook({
      name: 'success',
      script: (spec, token) => {
        // What kubespray writes with kubeconfig_localhost: admin.conf in artifacts_dir.
        const state = spec.mounts.find((mount) => mount.target === '/pai/state')!.source;
        writeFileSync(join(state, 'artifacts', 'admin.conf'), ADMIN_CONF);
        return {
          exitCode: 0,
          lines: [
            ['PLAY [k8s-cluster] *****', 'stdout'],
            event(token, { event: 'play', name: 'k8s-cluster', hosts: ['k8s-cluster'] }),
            event(token, {
              event: 'task',
              task: 'kubernetes/preinstall : check',
              role: 'kubernetes/preinstall',
              action: 'assert',
            }),
            event(token, {
              event: 'ok',
              host: 'pai-master-01',
              changed: true,
              task: 't',
              role: null,
              action: 'assert',
            }),
            ['[WARNING]: something on stderr', 'stderr'],
            event(token, {
              event: 'stats',
              hosts: {
                'pai-master-01': { ok: 1, changed: 1, unreachable: 0, failures: 0, skipped: 0, rescued: 0, ignored: 0 },
              },
            }),
          ],
        };
      },
    });
    expect(run.outcome).toBeUndefined();
    const [spec] = run.devbox.runs;
    expect(spec!.image).toBe(IMAGE);
    expect(spec!.command.slice(0, 4)).toEqual(['ansible-playbook', '-i', '/pai/inventory/hosts.yml', 'cluster.yml']);
    expect(spec!.command.slice(-2)).toEqual(['-e', 'extra=1']);
    expect(spec!.mounts.filter((mount) => !mount.readOnly).map((mount) => mount.target)).toEqual(['/pai/state']);
    expect(spec!.labels['pai-deploy.cluster']).toBe('pai');
    // The log holds Ansible's text, not the events.
    const logs = readdirSync(join(run.workDir, 'logs'));
    expect(logs).toHaveLength(1);
    const log = readFileSync(join(run.workDir, 'logs', logs[0]!), 'utf8');
    expect(log).toContain('PLAY [k8s-cluster]');
    expect(log).toContain('[stderr] [WARNING]: something on stderr');
    expect(log).not.toContain('@@pai-deploy-event');
    expect(statSync(join(run.workDir, 'logs', logs[0]!)).mode & 0o777).toBe(0o600);
    // The kubeconfig: 0600, the server pointed at the master.
    const kubeconfig = join(run.workDir, 'kube', 'config');
    expect(readFileSync(kubeconfig, 'utf8')).toContain('server: https://10.0.0.10:6443');
    expect(readFileSync(kubeconfig, 'utf8')).toContain('client-key-data: S0VZ');
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    const span = run.io.spans.find((s) => s.title === 'ansible-playbook cluster.yml');
    expect(span?.outcome).toBe('ok');
    expect(span?.text).toBe('1 hosts: 1 ok, 1 changed, 0 failed, 0 unreachable; 1 tasks');
  });

  it('fails naming the task, the role, each host and the cause, with the log; the passwords are gone', async () => {
    const run = await runPlaybook({
      name: 'failure',
      config: { password: 'Very-s3cret-pass' },
      script: (_spec, token) => ({
        exitCode: 2,
        lines: [
          event(token, {
            event: 'task',
            task: 'container-engine/docker : install',
            role: 'container-engine/docker',
            action: 'apt',
          }),
          event(token, {
            event: 'failed',
            host: 'pai-gpu-01',
            changed: false,
            task: 'container-engine/docker : install',
            role: 'container-engine/docker',
            action: 'apt',
            msg: 'non-zero return code',
            stderr_lines: ['E: Unable to locate package docker-ce'],
            rc: 100,
          }),
          event(token, {
            event: 'unreachable',
            host: 'pai-gpu-02',
            changed: false,
            task: 'x',
            role: null,
            action: 'setup',
            msg: 'Failed to connect to the host via ssh: Connection timed out',
          }),
        ],
      }),
    });
    expect(run.outcome).toBeInstanceOf(PlaybookFailedError);
    const error = run.outcome as PlaybookFailedError;
    expect(error.message).toContain(
      'pai-gpu-01: failed in "container-engine/docker : install (role container-engine/docker)": E: Unable to locate package docker-ce',
    );
    expect(error.message).toContain(
      'pai-gpu-02: unreachable in "x": Failed to connect to the host via ssh: Connection timed out',
    );
    expect(error.hint).toMatch(/logs\/.*-cluster\.log/);
    // The container saw the passwords in a 0600 file, never in its environment or command; the file is gone now.
    expect(run.seenSecrets).toContain('"ansible_become_pass": "Very-s3cret-pass"');
    expect(run.seenSecrets).toContain('mode 600');
    const spec = run.devbox.runs[0]!;
    expect(JSON.stringify(spec.env) + spec.command.join(' ')).not.toContain('Very-s3cret-pass');
    expect(existsSync(join(run.workDir, 'run-secrets'))).toBe(false);
    // Each host's failure is said as it happens, not only in the end.
    expect(run.io.withCode('kubespray.host-failed')).toEqual([
      expect.objectContaining({
        level: 'warn',
        host: 'pai-gpu-01',
        text: 'failed in "container-engine/docker : install (role container-engine/docker)": E: Unable to locate package docker-ce',
      }),
    ]);
    expect(run.io.withCode('kubespray.host-unreachable').map((message) => message.host)).toEqual(['pai-gpu-02']);
    // state.json keeps every host's line, for whoever looks after the terminal is gone.
    const state = JSON.parse(readFileSync(join(run.workDir, 'state.json'), 'utf8')) as {
      phases: Record<string, { status: string; reason: string }>;
    };
    expect(state.phases['kubespray']?.status).toBe('failed');
    expect(state.phases['kubespray']?.reason.split('\n')).toEqual([
      'kubespray cluster.yml failed on 2 host(s):',
      '  pai-gpu-01: failed in "container-engine/docker : install (role container-engine/docker)": E: Unable to locate package docker-ce',
      '  pai-gpu-02: unreachable in "x": Failed to connect to the host via ssh: Connection timed out',
    ]);
  });

  it('fetches no kubeconfig after a run narrowed by --tags (kubespray writes none), and says so', async () => {
    const run = await runPlaybook({
      name: 'partial',
      passThrough: ['--tags=preinstall'],
      script: () => ({ lines: [], exitCode: 0 }),
    });
    expect(run.outcome).toBeUndefined();
    expect(run.io.withCode('kubespray.partial-run')[0]?.text).toBe(
      'a partial run (--tags=preinstall): no kubeconfig fetched',
    );
    expect(existsSync(join(run.workDir, 'kube', 'config'))).toBe(false);
  });

  it('refuses an unpinned tree, and runs one with a loud warning when allowed', async () => {
    const refused = await runPlaybook({ name: 'unpinned', pinned: false, script: () => ({ lines: [], exitCode: 0 }) });
    expect(String(refused.outcome)).toContain('is not the pinned kubespray');
    expect(refused.devbox.runs).toEqual([]);
    const allowed = await runPlaybook({
      name: 'unpinned-allowed',
      pinned: false,
      allowUnpinned: true,
      script: (spec) => {
        writeFileSync(
          join(spec.mounts.find((mount) => mount.target === '/pai/state')!.source, 'artifacts', 'admin.conf'),
          ADMIN_CONF,
        );
        return { lines: [], exitCode: 0 };
      },
    });
    expect(allowed.outcome).toBeUndefined();
    expect(allowed.io.withCode('kubespray.unpinned')[0]?.text).toMatch(/^RUNNING AN UNPINNED KUBESPRAY .*tree 1234/);
  });

  it('pulls a missing dev-box image, and says how to get one that cannot be pulled', async () => {
    const run = await runPlaybook({ name: 'no-image', images: [], script: () => ({ lines: [], exitCode: 0 }) });
    expect(String(run.outcome)).toContain(
      'the dev-box image test/devbox:2.7 is not on this engine and could not be pulled: fake devbox: no registry',
    );
    expect(run.io.spans.map((span) => `${span.title} ${span.outcome}`)).toContain(
      'Pull the dev-box image test/devbox:2.7 failed',
    );
    expect(run.devbox.runs).toEqual([]);
  });

  it('asks for the cluster id before reset, and runs nothing on a wrong answer', async () => {
    const wrong = await runPlaybook({
      name: 'reset-wrong',
      playbook: 'reset',
      confirmReset: true,
      answers: ['other'],
      script: () => ({ lines: [], exitCode: 0 }),
    });
    expect(String(wrong.outcome)).toContain('"other" is not the cluster id "pai": nothing was reset');
    expect(wrong.devbox.runs).toEqual([]);
    const right = await runPlaybook({
      name: 'reset-right',
      playbook: 'reset',
      confirmReset: true,
      answers: ['pai'],
      script: () => ({ lines: [], exitCode: 0 }),
    });
    expect(right.outcome).toBeUndefined();
    expect(right.devbox.runs[0]!.command).toContain('reset_confirmation=yes');
  });
});

describe('the kubeconfig rewrite', () => {
  it('points localhost servers at the master, keeps others and everything else', () => {
    const twoClusters = ADMIN_CONF.replace(
      'clusters:\n',
      'clusters:\n- cluster: {server: "https://[::1]:8443"}\n  name: b\n- cluster: {server: "https://lb.example:6443"}\n  name: c\n',
    );
    const { text, servers } = rewriteKubeconfig(twoClusters, '10.1.2.3');
    expect(servers).toEqual(['https://10.1.2.3:8443', 'https://lb.example:6443', 'https://10.1.2.3:6443']);
    expect(text).toContain('certificate-authority-data: Q0E=');
    expect(text).toContain('current-context: kubernetes-admin@cluster.local');
  });

  it('refuses what is not a kubeconfig', () => {
    expect(() => rewriteKubeconfig('a: [', '10.0.0.1')).toThrow(KubeconfigError);
    expect(() => rewriteKubeconfig('kind: Config\n', '10.0.0.1')).toThrow(/names no cluster/);
    expect(() => rewriteKubeconfig('clusters:\n- cluster: {server: "not a url"}\n', '10.0.0.1')).toThrow(/not a URL/);
  });
});

describe('merging into a user kubeconfig', () => {
  const mine = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: "https://other:6443"}
users:
- name: me
  user: {token: abc}
contexts:
- name: other
  context: {cluster: other, user: me}
current-context: other
`;
  it('adds a cluster, user and context of one name, keeps the others and the current context', () => {
    const { text, replaced } = mergeKubeconfig(mine, ADMIN_CONF, 'pai', false);
    expect(replaced).toBe(false);
    const merged = parse(text) as {
      clusters: Array<{ name: string }>;
      users: Array<{ name: string }>;
      contexts: Array<{ name: string; context: unknown }>;
      'current-context': string;
    };
    expect(merged.clusters.map((entry) => entry.name)).toEqual(['other', 'pai']);
    expect(merged.users.map((entry) => entry.name)).toEqual(['me', 'pai-admin']);
    expect(merged.contexts.find((entry) => entry.name === 'pai')?.context).toEqual({
      cluster: 'pai',
      user: 'pai-admin',
    });
    expect(merged['current-context']).toBe('other');
    expect(text).toContain('token: abc');
    expect(text).toContain('client-key-data: S0VZ');
  });

  it('replaces its own entries on a rerun, switches with use, and starts a file that does not exist', () => {
    const once = mergeKubeconfig(mine, ADMIN_CONF, 'pai', false).text;
    const twice = mergeKubeconfig(once, ADMIN_CONF.replace('127.0.0.1', '10.9.9.9'), 'pai', true);
    expect(twice.replaced).toBe(true);
    const merged = parse(twice.text) as {
      clusters: Array<{ name: string; cluster: { server: string } }>;
      'current-context': string;
    };
    expect(merged.clusters.filter((entry) => entry.name === 'pai').map((entry) => entry.cluster.server)).toEqual([
      'https://10.9.9.9:6443',
    ]);
    expect(merged['current-context']).toBe('pai');
    expect(
      (parse(mergeKubeconfig(undefined, ADMIN_CONF, 'pai', false).text) as { 'current-context': string })[
        'current-context'
      ],
    ).toBe('pai');
    expect(() => mergeKubeconfig('clusters: 5\n', ADMIN_CONF, 'pai', false)).toThrow(/clusters is not a list/);
  });
});

describe("OpenPAI's remove-node fixes", () => {
  // Shaped like kubespray 2.11's files (written for this test): plays with roles, a "Delete node" task.
  const playbook = `---
- hosts: localhost
  gather_facts: no
  tasks: [{name: gate, assert: {that: ["true"]}}]
- hosts: "{{ node | default('kube-node') }}"
  gather_facts: no
  roles:
    - { role: kubespray-defaults }
    - { role: reset, tags: reset }
- hosts: kube-master
  roles: [{ role: remove-node/post-remove }]
`;
  const tasks = `---
- name: Set node IP
  set_fact: {node_ip: "{{ ip }}"}

- name: Delete node
  command: "kubectl delete node {{ inventory_hostname }}"
  run_once: true
  ignore_errors: yes
`;
  const [playbookFix, tasksFix] = removeNodeFixes;

  it('turn fact gathering on for the reset play and drop run_once from "Delete node", changing nothing else', () => {
    const fixedPlaybook = playbookFix!.apply(playbook);
    expect(
      'text' in fixedPlaybook &&
        (parse(fixedPlaybook.text) as Array<{ gather_facts?: unknown }>).map((play) => play.gather_facts),
    ).toEqual(['no', true, undefined]);
    const fixedTasks = tasksFix!.apply(tasks);
    const list = 'text' in fixedTasks ? (parse(fixedTasks.text) as Array<Record<string, unknown>>) : [];
    expect(list.map((task) => ['run_once' in task, task['ignore_errors']])).toEqual([
      [false, undefined],
      [false, 'yes'],
    ]);
  });

  it('are not applied to files of another shape, saying why', () => {
    expect(playbookFix!.apply('- hosts: all\n  tasks: []\n')).toEqual({
      skipped: 'remove-node.yml has no play with the reset role',
    });
    expect(tasksFix!.apply(tasks.replace('  run_once: true\n', ''))).toEqual({
      skipped: 'the "Delete node" task has no run_once',
    });
    expect(tasksFix!.apply('a: 1\n')).toEqual({ skipped: 'post-remove/tasks/main.yml is not a list' });
  });
});
