import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { renderCluster } from '../../../src/render/render-cluster.js';
import { writeFilesAtomically } from '../../../src/infra/fs/atomic-write.js';
import { validateCluster } from '../../../src/rules/validate-cluster.js';
import { describeWithInfra } from '../../support/infra.js';
import { baseConfig, baseLayout, tempDir, writeInputs } from '../../support/fixtures.js';

const run = promisify(execFile);
const env = { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' };

async function ansibleMissing(): Promise<string | null> {
  try {
    await run('ansible-inventory', ['--version']);
    return null;
  } catch {
    return "ansible-inventory not found (install Debian's ansible-core; scripts/ci/provision-ansible.sh does)";
  }
}

/** Parses `ansible-inventory --graph` into group → direct host members. */
function parseGraph(text: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const stack: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^([ |]*)--(@?)(.+?):?$/.exec(line) ?? /^(@)(all):$/.exec(line);
    if (!match) continue;
    const depth = line.startsWith('@') ? 0 : match[1]!.length / 3;
    const isGroup = match[2] === '@' || line.startsWith('@');
    const name = match[3] ?? 'all';
    stack.length = depth;
    if (isGroup) {
      if (!groups.has(name)) groups.set(name, []);
      stack.push(name);
    } else {
      const parent = stack[depth - 1]!;
      const members = groups.get(parent)!;
      if (!members.includes(name)) members.push(name);
    }
  }
  return groups;
}

await describeWithInfra('rendered inventory read by real Ansible', ansibleMissing, () => {
  const dir = tempDir();

  it("shows kubespray's groups and hosts in ansible-inventory --graph", async () => {
    const layout = baseLayout();
    layout['machine-sku']['amd-sku'] = {
      mem: '64Gi',
      cpu: { vcore: 16 },
      'computing-device': { type: 'amd.com/gpu', model: 'MI50', count: 2 },
    };
    layout['machine-list'].push({
      hostname: 'pai-amd-01',
      hostip: '10.0.0.31',
      'machine-type': 'amd-sku',
      'pai-worker': 'true',
    });
    const { layoutPath, configPath } = writeInputs(dir, layout, { ...baseConfig(), ssh_port: 2222 });
    const result = await validateCluster({ kind: 'yaml', path: layoutPath }, configPath);
    expect(result.errors).toEqual([]);
    const out = join(dir, 'out');
    await writeFilesAtomically(out, renderCluster(result.input!));
    const inventory = join(out, 'inventory', 'hosts.yml');

    const { stdout: graph } = await run('ansible-inventory', ['-i', inventory, '--graph'], { env });
    const groups = parseGraph(graph);
    expect(groups.get('kube-master')).toEqual(['pai-master-01']);
    expect(groups.get('etcd')).toEqual(['pai-master-01']);
    expect(groups.get('kube-node')).toEqual(['pai-master-01', 'pai-gpu-01', 'pai-gpu-02', 'pai-cpu-01', 'pai-amd-01']);
    expect(groups.get('calico-rr')).toEqual([]);
    // OpenPAI's own group of all workers (its set-host-daemon-port-range.yml and driver playbooks target it).
    expect(groups.get('gpu')).toEqual(['pai-gpu-01', 'pai-gpu-02', 'pai-cpu-01', 'pai-amd-01']);
    expect(groups.get('nvidia_com_gpu')).toEqual(['pai-gpu-01', 'pai-gpu-02']);
    expect(groups.get('amd_com_gpu')).toEqual(['pai-amd-01']);

    const { stdout: list } = await run('ansible-inventory', ['-i', inventory, '--list'], { env });
    const parsed = JSON.parse(list) as {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
      'k8s-cluster': { children: string[] };
    };
    expect(parsed['k8s-cluster'].children.sort()).toEqual(['kube-master', 'kube-node']);
    expect(parsed._meta.hostvars['pai-amd-01']).toEqual({
      ansible_host: '10.0.0.31',
      ip: '10.0.0.31',
      access_ip: '10.0.0.31',
      ansible_user: 'pai',
      ansible_port: 2222,
    });
    for (const vars of Object.values(parsed._meta.hostvars)) expect(Object.keys(vars).join(' ')).not.toMatch(/pass/);
  });

  it('loads openpai.yml as extra vars with the YAML types kubespray asserts on', async () => {
    const { layoutPath, configPath } = writeInputs(dir, baseLayout(), {
      ...baseConfig(),
      openpai_kubespray_extra_var: { download_run_once: true, kubelet_max_pods: 100 },
    });
    const result = await validateCluster({ kind: 'yaml', path: layoutPath }, configPath);
    const out = join(dir, 'out-vars');
    await writeFilesAtomically(out, renderCluster(result.input!));
    const playbook = join(dir, 'types.yml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      playbook,
      [
        '- hosts: localhost',
        '  gather_facts: false',
        '  tasks:',
        '    - assert:',
        '        that:',
        '          - download_run_once | type_debug == "bool"',
        '          - deploy_netchecker | type_debug == "bool"',
        '          - docker_dns_servers_strict | type_debug == "bool"',
        '          - kubelet_max_pods | int == 100',
        '          - kube_pods_subnet == "10.200.0.0/13"',
        '',
      ].join('\n'),
    );
    const { stdout } = await run(
      'ansible-playbook',
      ['-i', 'localhost,', '-c', 'local', playbook, '-e', `@${join(out, 'inventory', 'openpai.yml')}`],
      { env },
    );
    expect(stdout).toMatch(/ok=1\s+changed=0\s+unreachable=0\s+failed=0/);
  });
});
