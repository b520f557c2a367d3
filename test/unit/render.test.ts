import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderCluster } from '../../src/render/render-cluster.js';
import { writeFilesAtomically } from '../../src/infra/fs/atomic-write.js';
import { validateCluster } from '../../src/rules/validate-cluster.js';
import { tempDir, writeInputs } from '../support/fixtures.js';

const dir = tempDir();
const EXAMPLE_LAYOUT = readFileSync(new URL('../../examples/layout.yaml', import.meta.url), 'utf8');
const CONFIG = `user: pai
password: "s3cret-Pa55"
docker_image_tag: v1.8.0
docker_registry_username: puller
docker_registry_password: "reg-Pa55"
docker_data_root: /data/docker
openpai_docker_registry_mirrors: ["https://mirror.example.com"]
kubelet_custom_flags:
  serialize-image-pulls: "false"
enable_docker_cache: true
docker_cache_storage_backend: filesystem
openpai_kubespray_extra_var:
  download_run_once: true
  kube_proxy_mode: iptables
  kubelet_max_pods: 100
  docker_version: "18.09"
  kube_service_addresses: 10.192.0.0/13
`;

async function renderExample(config = CONFIG) {
  const { layoutPath, configPath } = writeInputs(dir, EXAMPLE_LAYOUT, config);
  const result = await validateCluster({ kind: 'yaml', path: layoutPath }, configPath);
  expect(result.errors).toEqual([]);
  return renderCluster(result.input!);
}

describe('rendered files', () => {
  it('match the reviewed snapshots', async () => {
    for (const file of await renderExample()) {
      await expect(file.content).toMatchFileSnapshot(`__snapshots__/render/${file.path.replace('/', '__')}`);
    }
  });

  it('are byte-identical for the same input', async () => {
    const first = await renderExample();
    const second = await renderExample();
    expect(second).toEqual(first);
  });

  it('keep passwords out of hosts.yml and make secret-holding files 0600', async () => {
    const files = await renderExample();
    const byPath = new Map(files.map((file) => [file.path, file]));
    const hosts = byPath.get('inventory/hosts.yml')!;
    expect(hosts.content).not.toContain('s3cret-Pa55');
    expect(hosts.content).not.toMatch(/^\s*[\w-]*pass[\w-]*:/im);
    expect(hosts.mode).toBe(0o644);
    expect(byPath.get('cluster-cfg/config.yaml')!.mode).toBe(0o600);
    expect(byPath.get('cluster-cfg/services-configuration.yaml')!.mode).toBe(0o600);
    expect(byPath.get('cluster-cfg/services-configuration.yaml')!.content).toContain('reg-Pa55');
    for (const file of files) if (file.content.includes('Pa55')) expect(file.mode, file.path).toBe(0o600);
  });

  it('give kubespray the groups and host addresses it expects', async () => {
    const hosts = parse((await renderExample()).find((file) => file.path === 'inventory/hosts.yml')!.content);
    expect(Object.keys(hosts.all.hosts)).toEqual(['pai-master-01', 'pai-gpu-01', 'pai-gpu-02', 'pai-cpu-01']);
    expect(hosts.all.hosts['pai-gpu-01']).toEqual({
      ansible_host: '10.0.0.11',
      ip: '10.0.0.11',
      access_ip: '10.0.0.11',
    });
    expect(Object.keys(hosts.all.children['kube-master'].hosts)).toEqual(['pai-master-01']);
    expect(Object.keys(hosts.all.children.etcd.hosts)).toEqual(['pai-master-01']);
    expect(Object.keys(hosts.all.children['kube-node'].hosts)).toHaveLength(4);
    expect(hosts.all.children['k8s-cluster'].children).toEqual({ 'kube-master': null, 'kube-node': null });
    expect(hosts.all.children['calico-rr'].hosts).toEqual({});
    expect(Object.keys(hosts.all.children.nvidia_com_gpu.hosts)).toEqual(['pai-gpu-01', 'pai-gpu-02']);
  });

  it('keep extra-var YAML types and let later sections win', async () => {
    const text = (await renderExample()).find((file) => file.path === 'inventory/openpai.yml')!.content;
    const vars = parse(text, { version: '1.1' });
    expect(vars.download_run_once).toBe(true);
    expect(vars.kubelet_max_pods).toBe(100);
    expect(vars.docker_version).toBe('18.09');
    expect(vars.kube_proxy_mode).toBe('iptables');
    expect(vars.docker_dns_servers_strict).toBe(false);
    expect(vars.docker_daemon_graph).toBe('/data/docker');
    expect(vars.docker_registry_mirrors).toEqual(['https://mirror.example.com']);
    expect(vars.kubelet_custom_flags).toEqual(['--serialize-image-pulls=false']);
    expect(vars.kubeadm_certificate_key).toContain("lookup('password'");
    expect(text.match(/^kube_service_addresses:/gm)).toHaveLength(1);
  });
});

describe('writing is all or nothing', () => {
  it('creates a new directory in one rename, with the modes asked for', async () => {
    const out = join(dir, 'fresh', 'out');
    const files = await renderExample();
    await writeFilesAtomically(out, files);
    for (const file of files) {
      expect(readFileSync(join(out, file.path), 'utf8')).toBe(file.content);
      expect(statSync(join(out, file.path)).mode & 0o777).toBe(file.mode);
    }
    expect(readdirSync(join(dir, 'fresh'))).toEqual(['out']);
  });

  it('replaces files in an existing directory and keeps what kubespray put there', async () => {
    const out = join(dir, 'existing');
    mkdirSync(join(out, 'inventory', 'credentials'), { recursive: true });
    writeFileSync(join(out, 'inventory', 'credentials', 'kube_user.creds'), 'keep me');
    writeFileSync(join(out, 'inventory', 'hosts.yml'), 'old');
    await writeFilesAtomically(out, await renderExample());
    expect(readFileSync(join(out, 'inventory', 'credentials', 'kube_user.creds'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(out, 'inventory', 'hosts.yml'), 'utf8')).toContain('kube-master');
    expect(readdirSync(join(out, 'inventory')).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('leaves an existing directory untouched when a file cannot be staged', async () => {
    const out = join(dir, 'blocked');
    mkdirSync(join(out, 'inventory'), { recursive: true });
    writeFileSync(join(out, 'inventory', 'hosts.yml'), 'old');
    // A file where a directory must go makes the second file's staging fail after the first was staged.
    writeFileSync(join(out, 'cluster-cfg'), 'not a directory');
    await expect(writeFilesAtomically(out, await renderExample())).rejects.toThrow(/could not write/);
    expect(readFileSync(join(out, 'inventory', 'hosts.yml'), 'utf8')).toBe('old');
    expect(readdirSync(join(out, 'inventory'))).toEqual(['hosts.yml']);
  });

  it('leaves neither the output nor its staging directory when Ctrl-C comes mid-write', async () => {
    const parent = join(dir, 'interrupted');
    mkdirSync(parent);
    // Enough files that the write is still staging when the clean-up runs (what the SIGINT handler calls).
    const files = Array.from({ length: 400 }, (_, index) => ({
      path: `f/${index}.yml`,
      content: 'x: 1\n',
      mode: 0o644,
      description: 'filler',
    }));
    const controller = new AbortController();
    const writing = writeFilesAtomically(join(parent, 'out'), files, controller.signal).then(
      () => 'finished',
      () => 'failed',
    );
    while (!readdirSync(parent).some((name) => name.startsWith('.out.tmp-')))
      await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await writing).toBe('failed');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('leaves an existing directory as it was when Ctrl-C comes mid-write', async () => {
    const out = join(dir, 'interrupted-existing');
    mkdirSync(join(out, 'f'), { recursive: true });
    writeFileSync(join(out, 'f', '0.yml'), 'old');
    const files = Array.from({ length: 400 }, (_, index) => ({
      path: `f/${index}.yml`,
      content: 'x: 1\n',
      mode: 0o644,
      description: 'filler',
    }));
    const controller = new AbortController();
    const writing = writeFilesAtomically(out, files, controller.signal).then(
      () => 'finished',
      () => 'failed',
    );
    while (readdirSync(join(out, 'f')).length < 20) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await writing).toBe('failed');
    expect(readdirSync(join(out, 'f'))).toEqual(['0.yml']);
    expect(readFileSync(join(out, 'f', '0.yml'), 'utf8')).toBe('old');
  });

  it('leaves no directory behind when a new one cannot be completed', async () => {
    const parent = join(dir, 'parent-is-file');
    writeFileSync(parent, 'x');
    await expect(writeFilesAtomically(join(parent, 'out'), await renderExample())).rejects.toThrow();
    expect(existsSync(join(parent, 'out'))).toBe(false);
  });
});
