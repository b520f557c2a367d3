import semver from 'semver';
import { parseQuantity } from '../config/quantity.js';
import { KUBESPRAY_DOCKERD_FLAG_KEYS, parseDaemonJson, parseDockerInfo } from './parsers/docker.js';
import { findDhcpConfig, parseIpAddrJson } from './parsers/ip-addr.js';
import { parseNvidiaSmiList, parseNvidiaSmiQuery } from './parsers/nvidia-smi.js';
import { parseOsRelease } from './parsers/os-release.js';
import { ansible27CanUse, parsePythonInterpreters } from './parsers/python.js';
import { parseListeningPorts, parseMemTotal, parseSwaps } from './parsers/system.js';
import { parseChronyTracking, parseNtpqPeers, parseTimedatectl } from './parsers/time-sync.js';
import {
  advisory,
  pass,
  problem,
  skip,
  type FactResult,
  type MachineFacts,
  type MachineTarget,
  type Outcome,
} from './types.js';

export interface EvaluationOptions {
  /** Largest clock offset to the dev-box that passes, in seconds. */
  maxClockOffsetSeconds: number;
}

export type Evaluator = (target: MachineTarget, machine: MachineFacts, options: EvaluationOptions) => Outcome;

const MiB = 2 ** 20;
/** kubespray 2.11's minimal_master_memory_mb / minimal_node_memory_mb (preinstall defaults). */
const KUBESPRAY_MIN_MEMORY_MB = { master: 1500, node: 1024 };
/** Ports the master must have free: Kubernetes (API server, etcd, kubelet, scheduler, controller-manager) and OpenPAI's host-network services. */
export const MASTER_PORTS: Readonly<Record<number, string>> = {
  80: 'pylon',
  443: 'pylon (https)',
  2379: 'etcd',
  2380: 'etcd peer',
  3000: 'grafana',
  5432: 'postgresql',
  6443: 'kube-apiserver',
  9090: 'k8s-dashboard',
  9091: 'prometheus',
  9093: 'alert-manager',
  9095: 'alert-handler',
  9186: 'rest-server',
  9286: 'webportal',
  9748: 'database-controller',
  10250: 'kubelet',
  10251: 'kube-scheduler',
  10252: 'kube-controller-manager',
  30096: 'hivedscheduler',
  30500: 'docker-cache',
};

function fact(machine: MachineFacts, id: string): FactResult | undefined {
  return machine.facts.get(id);
}

function ok(result: FactResult | undefined): result is FactResult {
  return result !== undefined && result.exitCode === 0 && !result.timedOut;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim().slice(0, 160) ?? '';
}

function failureText(result: FactResult | undefined): string {
  if (!result) return 'not gathered';
  if (result.timedOut) return 'timed out';
  return firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${String(result.exitCode)}`;
}

const docker = (machine: MachineFacts) => {
  const info = fact(machine, 'docker-info');
  return ok(info) ? parseDockerInfo(info.stdout) : undefined;
};

const daemonJson = (machine: MachineFacts) => {
  const file = fact(machine, 'daemon-json');
  if (!file) return undefined;
  const missing = file.exitCode !== 0 && /No such file/i.test(file.stderr);
  if (file.exitCode !== 0 && !missing) return undefined;
  return parseDaemonJson(file.stdout, !missing);
};

export const evaluators: Record<string, Evaluator> = {
  'ssh.key-auth': (_t, machine) =>
    machine.authMethod === 'password'
      ? problem(
          'logged in with the password only',
          'key authentication was refused, or no key is configured; passwordless SSH does not work',
        )
      : pass(`logged in with ${machine.authMethod === 'agent' ? 'a key from ssh-agent' : 'the key file'}`),

  'sudo.nopasswd': (_t, machine) => {
    const result = fact(machine, 'sudo-nopasswd');
    if (ok(result)) return pass('sudo -n true succeeded');
    return problem(
      failureText(result),
      machine.sudo === 'password'
        ? 'sudo asks for a password (checks ran with the configured password)'
        : 'sudo does not work without a password',
    );
  },

  'os.release': (_t, machine) => {
    const result = fact(machine, 'os-release');
    const release = ok(result) ? parseOsRelease(result.stdout) : undefined;
    if (!release) return problem(failureText(result), 'cannot read /etc/os-release');
    if (release.id === 'ubuntu' && (release.versionId === '16.04' || release.versionId === '18.04'))
      return pass(release.prettyName);
    return problem(
      release.prettyName,
      `${release.prettyName} is not one of the systems kubespray 2.11 supports (Ubuntu 16.04, 18.04)`,
    );
  },

  'os.systemd': (_t, machine) => {
    const result = fact(machine, 'init-process');
    if (!result) return skip('not gathered');
    const [init = ''] = result.stdout.trim().split('\n');
    if (init === 'systemd' || result.stdout.includes('systemd-runtime-dir'))
      return pass(`PID 1 is ${init || 'systemd'}`);
    return problem(`PID 1 is ${init || 'unknown'}`, `the init system is ${init || 'unknown'}, not systemd`);
  },

  'os.hostname': (target, machine) => {
    const result = fact(machine, 'hostname');
    if (!ok(result)) return problem(failureText(result), 'cannot read the machine hostname');
    const own = result.stdout.trim();
    if (own === target.hostname) return pass(own);
    return problem(
      own,
      `the machine calls itself ${own}; kubespray will rename it to ${target.hostname}, the layout hostname`,
    );
  },

  'net.ip-assigned': (target, machine) => {
    const result = fact(machine, 'ip-addr');
    const addresses = ok(result) ? parseIpAddrJson(result.stdout) : undefined;
    if (!addresses) return problem(failureText(result), 'cannot list addresses (ip -j addr)');
    const own = addresses.filter((entry) => entry.ifname !== 'lo').map((entry) => `${entry.address} (${entry.ifname})`);
    if (addresses.some((entry) => entry.address === target.ip))
      return pass(`${target.ip} on ${addresses.find((entry) => entry.address === target.ip)?.ifname}`);
    return problem(own.join(', ') || 'no address', `layout hostip ${target.ip} is not an address of this machine`);
  },

  'net.static-ip': (target, machine) => {
    const result = fact(machine, 'ip-addr');
    const address = ok(result)
      ? parseIpAddrJson(result.stdout)?.find((entry) => entry.address === target.ip)
      : undefined;
    if (!address) return skip(`${target.ip} is not on this machine (see net.ip-assigned)`);
    if (address.dynamic || address.validLifetime !== undefined) {
      return problem(
        `${address.address} on ${address.ifname}: ${address.dynamic ? 'dynamic, ' : ''}valid for ${address.validLifetime ?? '?'} s`,
        `${address.address} is a DHCP lease that expires, not a static address`,
      );
    }
    const config = fact(machine, 'network-config');
    const dhcp = config ? findDhcpConfig(config.stdout) : [];
    if (dhcp.length > 0)
      return problem(dhcp.join('; '), `the network configuration asks DHCP for an address (${dhcp[0]})`);
    return pass(`${address.address}/${address.prefixlen} on ${address.ifname}, no lease, no DHCP configuration`);
  },

  'time.sync': (_t, machine) => {
    const daemons = (fact(machine, 'time-daemons')?.stdout ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const chrony = fact(machine, 'chrony-tracking');
    const tracking = ok(chrony) ? parseChronyTracking(chrony.stdout) : undefined;
    if (tracking) {
      return tracking.synchronized
        ? pass(`chronyd synchronised to ${tracking.referenceId}, stratum ${tracking.stratum}`)
        : problem(
            `chronyd: leap status ${tracking.leapStatus}, reference ${tracking.referenceId}`,
            'chronyd runs but is not synchronised',
          );
    }
    const ntpq = fact(machine, 'ntpq-peers');
    if (ok(ntpq) && daemons.includes('ntpd')) {
      const peers = parseNtpqPeers(ntpq.stdout);
      return peers.synchronized
        ? pass(`ntpd synchronised to ${peers.peer}`)
        : problem('ntpd has no system peer', 'ntpd runs but is not synchronised');
    }
    const timedatectl = fact(machine, 'timedatectl');
    const status = ok(timedatectl) ? parseTimedatectl(timedatectl.stdout) : undefined;
    if (status?.synchronized === true && daemons.length > 0)
      return pass(`${daemons.join(', ')} active, clock synchronised`);
    if (daemons.length === 0) return problem('no chronyd, ntpd or systemd-timesyncd running', 'no time daemon runs');
    return problem(
      `${daemons.join(', ')} running, not synchronised`,
      'a time daemon runs but the clock is not synchronised',
    );
  },

  'time.skew': (_t, machine, options) => {
    if (!machine.clock) return skip('the clock could not be read');
    const { offsetSeconds, rttSeconds } = machine.clock;
    const observed = `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds.toFixed(3)} s against the dev-box (round trip ${(rttSeconds * 1000).toFixed(0)} ms)`;
    return Math.abs(offsetSeconds) - rttSeconds / 2 > options.maxClockOffsetSeconds
      ? problem(
          observed,
          `the clock is ${Math.abs(offsetSeconds).toFixed(1)} s ${offsetSeconds > 0 ? 'ahead of' : 'behind'} the dev-box (limit ${options.maxClockOffsetSeconds} s)`,
        )
      : pass(observed);
  },

  'docker.installed': (_t, machine) => {
    const path = fact(machine, 'docker-path');
    if (!ok(path)) return problem('docker not found', 'docker is not installed');
    const info = docker(machine);
    if (!info)
      return problem(
        `${path.stdout.trim()}, but docker info failed: ${failureText(fact(machine, 'docker-info'))}`,
        'docker is installed but the daemon does not answer',
      );
    return pass(`docker ${info.serverVersion} running (${path.stdout.trim()})`);
  },

  'docker.version': (_t, machine) => {
    const info = docker(machine);
    if (!info) return skip('docker is not running (see docker.installed)');
    const version = semver.coerce(info.serverVersion, { loose: true });
    if (!version) return problem(info.serverVersion, `cannot read the docker version ${info.serverVersion}`);
    if (semver.lt(version, '1.13.0'))
      return problem(
        info.serverVersion,
        `docker ${info.serverVersion} is older than 1.13, which Kubernetes 1.15 needs`,
      );
    if (semver.gt(version, '18.9.99'))
      return advisory(
        info.serverVersion,
        `docker ${info.serverVersion} is newer than 18.09, the last version validated for Kubernetes 1.15; kubespray 2.11 will replace it with docker-ce 18.09`,
      );
    return pass(info.serverVersion);
  },

  'docker.daemon-json': (_t, machine) => {
    const parsed = daemonJson(machine);
    if (!parsed) return problem(failureText(fact(machine, 'daemon-json')), 'cannot read /etc/docker/daemon.json');
    if (parsed.kind === 'missing') return pass('no /etc/docker/daemon.json');
    if (parsed.kind === 'invalid')
      return problem(parsed.error, `/etc/docker/daemon.json is not valid JSON: ${parsed.error}`);
    const conflicts = KUBESPRAY_DOCKERD_FLAG_KEYS.filter((key) => key in parsed.value);
    if (conflicts.length > 0) {
      return problem(
        `keys ${conflicts.join(', ')}`,
        `daemon.json sets ${conflicts.join(', ')}, which kubespray 2.11 also passes as dockerd flags: docker will refuse to start`,
      );
    }
    return pass(`valid, keys: ${Object.keys(parsed.value).join(', ') || 'none'}`);
  },

  'docker.default-runtime': (_t, machine) => {
    const info = docker(machine);
    const parsed = daemonJson(machine);
    if (!parsed || parsed.kind === 'invalid')
      return skip('/etc/docker/daemon.json cannot be read (see docker.daemon-json)');
    const fileDefault = parsed.kind === 'ok' ? parsed.value['default-runtime'] : undefined;
    const runtimes =
      parsed.kind === 'ok' && parsed.value['runtimes'] && typeof parsed.value['runtimes'] === 'object'
        ? (parsed.value['runtimes'] as Record<string, { path?: unknown }>)
        : {};
    const running = info?.defaultRuntime ?? 'unknown (docker not running)';
    const observed = `daemon.json default-runtime: ${fileDefault === undefined ? 'unset' : String(fileDefault)}; docker info: ${running}`;
    if (fileDefault !== 'nvidia') {
      return problem(
        observed,
        running === 'nvidia'
          ? 'nvidia is the running default only through a dockerd flag or drop-in, which kubespray overwrites; it must be set in /etc/docker/daemon.json'
          : "the NVIDIA runtime is not docker's default runtime in /etc/docker/daemon.json",
      );
    }
    const path = typeof runtimes['nvidia']?.path === 'string' ? runtimes['nvidia'].path : undefined;
    if (!path) return problem(observed, 'daemon.json names nvidia the default but defines no runtimes.nvidia.path');
    const present = (fact(machine, 'runtime-paths')?.stdout ?? '').split('\n').map((line) => line.trim());
    if (!present.includes(path))
      return problem(
        `${observed}; runtimes.nvidia.path ${path} not found`,
        `runtimes.nvidia.path ${path} does not exist on the machine`,
      );
    if (info && info.defaultRuntime !== 'nvidia')
      return problem(
        observed,
        'daemon.json is right but the running docker still uses another default: restart docker',
      );
    return pass(observed);
  },

  'gpu.driver': (_t, machine) => {
    const list = fact(machine, 'nvidia-smi-list');
    if (!ok(list)) return problem(failureText(list), 'nvidia-smi fails: the NVIDIA driver is missing or not loaded');
    const query = fact(machine, 'nvidia-smi-query');
    const driver = ok(query) ? parseNvidiaSmiQuery(query.stdout)[0]?.driverVersion : undefined;
    return pass(`nvidia-smi works${driver ? `, driver ${driver}` : ''}`);
  },

  'gpu.count': (target, machine) => {
    const list = fact(machine, 'nvidia-smi-list');
    if (!ok(list)) return skip('nvidia-smi fails (see gpu.driver)');
    const gpus = parseNvidiaSmiList(list.stdout);
    const expected = target.sku?.device?.count ?? 0;
    const models = [...new Set(gpus.map((gpu) => gpu.name))].join(', ');
    const observed = `${gpus.length} GPU${gpus.length === 1 ? '' : 's'}${models ? ` (${models})` : ''}, layout says ${expected}`;
    return gpus.length === expected
      ? pass(observed)
      : problem(
          observed,
          `nvidia-smi lists ${gpus.length} GPUs but the layout's ${target.sku?.name ?? ''} SKU says ${expected}`,
        );
  },

  'gpu.container-runtime': (_t, machine) => {
    const result = fact(machine, 'nvidia-container-runtime');
    return ok(result)
      ? pass(result.stdout.trim())
      : problem('not on PATH', 'nvidia-container-runtime is not installed');
  },

  'resources.cpu': (target, machine) => {
    const result = fact(machine, 'nproc');
    const cpus = ok(result) ? Number(result.stdout.trim()) : NaN;
    if (!Number.isFinite(cpus)) return problem(failureText(result), 'cannot count CPUs');
    const expected = target.sku?.vcores ?? 0;
    return cpus >= expected
      ? pass(`${cpus} CPUs, layout says ${expected}`)
      : problem(
          `${cpus} CPUs, layout says ${expected}`,
          `the machine has ${cpus} CPUs, fewer than the ${expected} its SKU declares`,
        );
  },

  'resources.memory': (target, machine) => {
    const result = fact(machine, 'meminfo');
    const total = ok(result) ? parseMemTotal(result.stdout) : undefined;
    if (total === undefined) return problem(failureText(result), 'cannot read /proc/meminfo');
    const declared = target.sku ? parseQuantity(target.sku.mem) : undefined;
    const minimumMb = target.roles.has('master') ? KUBESPRAY_MIN_MEMORY_MB.master : KUBESPRAY_MIN_MEMORY_MB.node;
    const observed = `${Math.floor(total / MiB)} MiB, layout says ${target.sku?.mem ?? '?'}`;
    if (total / MiB < minimumMb)
      return problem(
        observed,
        `${Math.floor(total / MiB)} MiB is below kubespray 2.11's minimum of ${minimumMb} MiB for a ${target.roles.has('master') ? 'master' : 'node'}`,
      );
    if (declared !== undefined && total < declared)
      return problem(
        observed,
        `the machine has ${Math.floor(total / MiB)} MiB, less than the ${target.sku?.mem} its SKU declares`,
      );
    return pass(observed);
  },

  'ports.free': (_t, machine) => {
    const result = fact(machine, 'listening-ports');
    if (!ok(result)) return problem(failureText(result), 'cannot list listening ports (ss -ltn)');
    const busy = [...parseListeningPorts(result.stdout)]
      .filter((port) => MASTER_PORTS[port] !== undefined)
      .sort((a, b) => a - b);
    return busy.length === 0
      ? pass('none of the Kubernetes and OpenPAI ports is in use')
      : problem(
          busy.map((port) => `${port} (${MASTER_PORTS[port]})`).join(', '),
          `ports already in use: ${busy.map((port) => `${port} (${MASTER_PORTS[port]})`).join(', ')}`,
        );
  },

  'k8s.leftovers': (_t, machine) => {
    const result = fact(machine, 'k8s-leftovers');
    if (!result) return skip('not gathered');
    const found = result.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    return found.length === 0
      ? pass('no Kubernetes remains')
      : problem(found.join(', '), `remains of an earlier Kubernetes install: ${found.join(', ')}`);
  },

  'kubeadm.swap': (_t, machine) => {
    const result = fact(machine, 'swaps');
    if (!ok(result)) return skip('cannot read /proc/swaps');
    const swaps = parseSwaps(result.stdout);
    return swaps.length === 0
      ? pass('no swap')
      : problem(swaps.join(', '), `swap is on (${swaps.join(', ')}); kubelet refuses to run with swap`);
  },

  'kubeadm.ip-forward': (_t, machine) => {
    const result = fact(machine, 'ip-forward');
    const value = result?.stdout.trim();
    return value === '1'
      ? pass('net.ipv4.ip_forward = 1')
      : problem(`net.ipv4.ip_forward = ${value || '?'}`, 'IPv4 forwarding is off');
  },

  'kubeadm.br-netfilter': (_t, machine) => {
    const value = fact(machine, 'br-netfilter')?.stdout.trim();
    return value === 'loaded'
      ? pass('br_netfilter loaded')
      : problem('br_netfilter not loaded', 'the br_netfilter module is not loaded');
  },

  // Seen on the real kubespray 2.11 tree: without `python` on PATH, bootstrap-os apt-installs python-minimal, and
  // Ansible 2.7's modules fail on Python 3.8+ or without apt bindings (apt_pkg) for the interpreter.
  'kubespray.python': (_t, machine) => {
    const lines = (fact(machine, 'python-on-path')?.stdout ?? '').split('\n');
    const value = (key: string) =>
      lines
        .find((line) => line.startsWith(`${key}=`))
        ?.slice(key.length + 1)
        .trim() ?? '';
    // Where `python` does not do, the interpreters that would (for ansible_python_interpreter) are named.
    const usable = parsePythonInterpreters(fact(machine, 'python-interpreters')?.stdout ?? '')
      .filter(ansible27CanUse)
      .map((python) => `${python.path} (${python.major}.${python.minor})`);
    const others = usable.length > 0 ? `; usable here: ${usable.join(', ')}` : '; no Python 2.7 or 3.5-3.7 found';
    const path = value('path');
    if (!path)
      return problem(
        `no python on PATH${others}`,
        `there is no \`python\` on PATH (kubespray would install python-minimal)${others}`,
      );
    const version = value('version');
    const [major, minor] = version.split('.').map(Number);
    if (major === undefined || minor === undefined || Number.isNaN(minor))
      return problem(`${path}: version unknown${others}`, `${path} does not run${others}`);
    if (major > 3 || (major === 3 && minor > 7))
      return problem(
        `${path} is Python ${version}${others}`,
        `Ansible 2.7's modules need Python <= 3.7, ${path} is ${version}${others}`,
      );
    if (value('apt') === 'no')
      return problem(`${path} (${version}) without apt_pkg`, `${path} has no apt bindings (python-apt)`);
    return pass(`${path} (Python ${version}${value('apt') === 'yes' ? ', apt bindings' : ''})`);
  },

  'kubeadm.tools': (_t, machine) => {
    const present = (fact(machine, 'kube-tools')?.stdout ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const missing = ['conntrack', 'socat', 'ebtables', 'ipset'].filter((tool) => !present.includes(tool));
    return missing.length === 0
      ? pass('conntrack, socat, ebtables, ipset present')
      : problem(`missing: ${missing.join(', ')}`, `${missing.join(', ')} not installed`);
  },
};
