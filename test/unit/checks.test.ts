import { describe, expect, it } from 'vitest';
import { checkCatalog, factCatalog, factsNeeded, matchesPattern } from '../../src/checks/catalog.js';
import { evaluators } from '../../src/checks/evaluators.js';
import { formatCheckJunit, formatCheckText } from '../../src/cli/format/check-report.js';
import {
  evaluateMachine,
  isSelected,
  judgeDevboxDocker,
  summarize,
  type CheckReport,
} from '../../src/checks/run-checks.js';
import type { FactResult, MachineFacts, MachineTarget } from '../../src/checks/types.js';
import { makePalette } from '../../src/cli/io/style.js';

const ok = (stdout: string): FactResult => ({ stdout, stderr: '', exitCode: 0, timedOut: false });
const failed = (stderr: string, exitCode = 1): FactResult => ({ stdout: '', stderr, exitCode, timedOut: false });

const gpuTarget: MachineTarget = {
  hostname: 'pai-gpu-01',
  ip: '10.0.0.11',
  roles: new Set(['worker', 'gpu']),
  layoutRoles: ['pai-worker'],
  sku: {
    name: 'gpu-sku',
    mem: '16Gi',
    memGiven: true,
    vcores: 4,
    device: { type: 'nvidia.com/gpu', model: 'K80', count: 2 },
  },
};

const DAEMON_JSON = JSON.stringify({
  'default-runtime': 'nvidia',
  runtimes: { nvidia: { path: '/usr/bin/nvidia-container-runtime', runtimeArgs: [] } },
});

/** Facts of a healthy Ubuntu 18.04 GPU worker, as its commands print them. */
function healthyFacts(): MachineFacts {
  return {
    connected: true,
    authMethod: 'publickey',
    connectMillis: 40,
    sudo: 'nopasswd',
    hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc', status: 'known' },
    clock: { offsetSeconds: 0.004, rttSeconds: 0.002 },
    facts: new Map<string, FactResult>([
      ['sudo-nopasswd', ok('')],
      ['os-release', ok('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="18.04"\nPRETTY_NAME="Ubuntu 18.04.6 LTS"\n')],
      ['init-process', ok('systemd\nsystemd-runtime-dir\n')],
      ['hostname', ok('pai-gpu-01\n')],
      [
        'ip-addr',
        ok(
          JSON.stringify([
            {
              ifname: 'eth0',
              addr_info: [{ family: 'inet', local: '10.0.0.11', prefixlen: 24, valid_life_time: 4294967295 }],
            },
          ]),
        ),
      ],
      [
        'network-config',
        ok('==> /etc/netplan/01-netcfg.yaml <==\nnetwork:\n  ethernets:\n    eth0:\n      addresses: [10.0.0.11/24]\n'),
      ],
      ['time-daemons', ok('chronyd\n')],
      [
        'chrony-tracking',
        ok(
          'Reference ID    : 0A000001 (10.0.0.1)\nStratum         : 3\nSystem time     : 0.000001 seconds fast of NTP time\nLeap status     : Normal\n',
        ),
      ],
      ['docker-path', ok('/usr/bin/docker\n')],
      ['daemon-json', ok(DAEMON_JSON)],
      [
        'docker-info',
        ok(
          JSON.stringify({
            ServerVersion: '18.09.7',
            DefaultRuntime: 'nvidia',
            Runtimes: { nvidia: { path: '/usr/bin/nvidia-container-runtime' }, runc: { path: 'runc' } },
            CgroupDriver: 'cgroupfs',
            DockerRootDir: '/var/lib/docker',
          }),
        ),
      ],
      ['runtime-paths', ok('/usr/bin/nvidia-container-runtime\n')],
      ['nvidia-smi-list', ok('GPU 0: Tesla K80 (UUID: GPU-1)\nGPU 1: Tesla K80 (UUID: GPU-2)\n')],
      ['nvidia-smi-query', ok('Tesla K80, 418.87.01\nTesla K80, 418.87.01\n')],
      ['nvidia-container-runtime', ok('/usr/bin/nvidia-container-runtime\n')],
      ['meminfo', ok('MemTotal:       32780000 kB\n')],
      ['nproc', ok('8\n')],
      ['swaps', ok('Filename\tType\tSize\tUsed\tPriority\n')],
      ['ip-forward', ok('1\n')],
      ['br-netfilter', ok('loaded\n')],
      ['kube-tools', ok('conntrack\nsocat\nebtables\nipset\n')],
      ['python-on-path', ok('path=/usr/bin/python\nversion=3.6\napt=yes\n')],
      ['k8s-leftovers', ok('')],
    ]),
  };
}

const options = { maxClockOffsetSeconds: 1 };

function statusOf(facts: MachineFacts, id: string, target = gpuTarget): string {
  const report = evaluateMachine(target, facts, checkCatalog(), { ignore: [] }, options);
  return report.checks.find((check) => check.id === id)?.status ?? 'absent';
}

describe('the check catalog', () => {
  it('has an evaluator for every machine check and a unique, well-formed id each', () => {
    const special = new Set(['ssh.connect', 'ssh.host-key']);
    for (const spec of checkCatalog().filter((check) => check.scope === 'machine')) {
      expect(special.has(spec.id) || evaluators[spec.id] !== undefined, spec.id).toBe(true);
    }
    expect(Object.keys(evaluators).every((id) => checkCatalog().some((spec) => spec.id === id))).toBe(true);
    expect(factCatalog().length).toBeGreaterThan(15);
  });
  it('selects ids and globs', () => {
    expect(matchesPattern('docker.version', 'docker.*')).toBe(true);
    expect(matchesPattern('docker.version', 'docker.v*')).toBe(true);
    expect(matchesPattern('gpu.count', 'docker.*')).toBe(false);
    expect(isSelected('gpu.count', { only: ['gpu.*'], skip: [] })).toBe(true);
    expect(isSelected('gpu.count', { only: ['gpu.*'], skip: ['gpu.count'] })).toBe(false);
  });
});

describe('evaluating a healthy GPU worker', () => {
  it('passes every check', () => {
    const report = evaluateMachine(gpuTarget, healthyFacts(), checkCatalog(), { ignore: [] }, options);
    expect(
      report.checks.filter((check) => check.status !== 'pass').map((check) => `${check.id}: ${check.message}`),
    ).toEqual([]);
    expect(report.checks.map((check) => check.id)).toContain('docker.default-runtime');
  });
  it('leaves GPU checks off CPU machines and port checks off workers', () => {
    const cpu: MachineTarget = {
      ...gpuTarget,
      roles: new Set(['worker']),
      sku: { ...gpuTarget.sku!, device: undefined },
    };
    const ids = evaluateMachine(cpu, healthyFacts(), checkCatalog(), { ignore: [] }, options).checks.map(
      (check) => check.id,
    );
    expect(ids).not.toContain('gpu.count');
    expect(ids).not.toContain('docker.default-runtime');
    expect(ids).not.toContain('ports.free');
  });
});

const cases: Array<[string, string, (facts: MachineFacts) => void]> = [
  [
    'password login only',
    'ssh.key-auth',
    (f) => {
      f.authMethod = 'password';
    },
  ],
  [
    'sudo asks for a password',
    'sudo.nopasswd',
    (f) => {
      f.facts.set('sudo-nopasswd', failed('sudo: a password is required'));
      f.sudo = 'password';
    },
  ],
  [
    'not systemd',
    'os.systemd',
    (f) => {
      f.facts.set('init-process', ok('tini\n'));
    },
  ],
  [
    'layout IP elsewhere',
    'net.ip-assigned',
    (f) => {
      f.facts.set(
        'ip-addr',
        ok(JSON.stringify([{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.0.0.99', prefixlen: 24 }] }])),
      );
    },
  ],
  [
    'DHCP lease',
    'net.static-ip',
    (f) => {
      f.facts.set(
        'ip-addr',
        ok(
          JSON.stringify([
            {
              ifname: 'eth0',
              addr_info: [{ family: 'inet', local: '10.0.0.11', prefixlen: 24, dynamic: true, valid_life_time: 3600 }],
            },
          ]),
        ),
      );
    },
  ],
  [
    'DHCP in netplan',
    'net.static-ip',
    (f) => {
      f.facts.set('network-config', ok('==> /etc/netplan/50-cloud-init.yaml <==\n      dhcp4: true\n'));
    },
  ],
  [
    'no time daemon',
    'time.sync',
    (f) => {
      f.facts.set('time-daemons', ok(''));
      f.facts.set('chrony-tracking', failed('506 Cannot talk to daemon'));
    },
  ],
  [
    'chrony unsynchronised',
    'time.sync',
    (f) => {
      f.facts.set(
        'chrony-tracking',
        ok('Reference ID    : 00000000 ()\nStratum         : 0\nLeap status     : Not synchronised\n'),
      );
    },
  ],
  [
    'clock 5 s ahead',
    'time.skew',
    (f) => {
      f.clock = { offsetSeconds: 5.2, rttSeconds: 0.01 };
    },
  ],
  [
    'docker missing',
    'docker.installed',
    (f) => {
      f.facts.set('docker-path', failed('', 1));
      f.facts.set('docker-info', failed('sh: docker: not found', 127));
    },
  ],
  [
    'docker too old',
    'docker.version',
    (f) => {
      f.facts.set('docker-info', ok(JSON.stringify({ ServerVersion: '1.12.6', DefaultRuntime: 'nvidia' })));
    },
  ],
  [
    'daemon.json conflicting key',
    'docker.daemon-json',
    (f) => {
      f.facts.set('daemon-json', ok(JSON.stringify({ ...JSON.parse(DAEMON_JSON), 'log-opts': { 'max-size': '10m' } })));
    },
  ],
  [
    'daemon.json broken',
    'docker.daemon-json',
    (f) => {
      f.facts.set('daemon-json', ok('{"default-runtime": "nvidia",'));
    },
  ],
  [
    'runtime runc',
    'docker.default-runtime',
    (f) => {
      f.facts.set('daemon-json', ok('{}'));
      f.facts.set('docker-info', ok(JSON.stringify({ ServerVersion: '18.09.7', DefaultRuntime: 'runc' })));
    },
  ],
  [
    'runtime by flag only',
    'docker.default-runtime',
    (f) => {
      f.facts.set('daemon-json', failed('cat: /etc/docker/daemon.json: No such file or directory'));
    },
  ],
  [
    'runtime path missing',
    'docker.default-runtime',
    (f) => {
      f.facts.set('runtime-paths', ok(''));
    },
  ],
  [
    'no driver',
    'gpu.driver',
    (f) => {
      f.facts.set('nvidia-smi-list', failed('sh: 1: nvidia-smi: not found', 127));
    },
  ],
  [
    'one GPU fewer',
    'gpu.count',
    (f) => {
      f.facts.set('nvidia-smi-list', ok('GPU 0: Tesla K80 (UUID: GPU-1)\n'));
    },
  ],
  [
    'no container runtime',
    'gpu.container-runtime',
    (f) => {
      f.facts.set('nvidia-container-runtime', failed('', 1));
    },
  ],
  [
    'fewer CPUs',
    'resources.cpu',
    (f) => {
      f.facts.set('nproc', ok('2\n'));
    },
  ],
  [
    'less memory',
    'resources.memory',
    (f) => {
      f.facts.set('meminfo', ok('MemTotal:       8000000 kB\n'));
    },
  ],
  [
    'old cluster left',
    'k8s.leftovers',
    (f) => {
      f.facts.set('k8s-leftovers', ok('manifest kube-apiserver.yaml\nkubelet-running\n'));
    },
  ],
];

describe('each fault fails exactly its check', () => {
  for (const [name, id, breakIt] of cases) {
    it(`${name} → ${id}`, () => {
      const facts = healthyFacts();
      breakIt(facts);
      const report = evaluateMachine(gpuTarget, facts, checkCatalog(), { ignore: [] }, options);
      const notPassing = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
      expect(notPassing).toEqual([id]);
      const check = report.checks.find((c) => c.id === id)!;
      expect(check.hint).not.toBe('');
      expect(check.observed).not.toBe('');
    });
  }
  it('warns, not fails, for warning-severity checks and --ignore', () => {
    const facts = healthyFacts();
    facts.facts.set('swaps', ok('Filename\tType\n/swap.img file 2097148 0 -2\n'));
    expect(statusOf(facts, 'kubeadm.swap')).toBe('warn');
    facts.facts.set('nproc', ok('1\n'));
    const report = evaluateMachine(gpuTarget, facts, checkCatalog(), { ignore: ['resources.*'] }, options);
    expect(report.checks.find((c) => c.id === 'resources.cpu')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('ignored'),
    });
  });
  it('warns on docker newer than 18.09 and on an unsupported OS', () => {
    const facts = healthyFacts();
    facts.facts.set('docker-info', ok(JSON.stringify({ ServerVersion: '20.10.24+dfsg1', DefaultRuntime: 'nvidia' })));
    facts.facts.set('os-release', ok('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'));
    expect(statusOf(facts, 'docker.version')).toBe('warn');
    expect(statusOf(facts, 'os.release')).toBe('warn');
  });
  it('warns when the machine calls itself by another name than the layout', () => {
    const facts = healthyFacts();
    facts.facts.set('hostname', ok('ubuntu-1804\n'));
    const report = evaluateMachine(gpuTarget, facts, checkCatalog(), { ignore: [] }, options);
    expect(report.checks.filter((check) => check.status !== 'pass').map((check) => check.id)).toEqual(['os.hostname']);
    expect(report.checks.find((check) => check.id === 'os.hostname')).toMatchObject({
      status: 'warn',
      observed: 'ubuntu-1804',
      message: expect.stringContaining('rename it to pai-gpu-01'),
    });
  });
});

describe('unreachable and refused machines', () => {
  it('fail ssh.connect and skip the rest', () => {
    const facts: MachineFacts = {
      connected: false,
      sudo: 'none',
      facts: new Map(),
      connectFailure: { kind: 'unreachable', message: 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.11:22' },
    };
    const report = evaluateMachine(gpuTarget, facts, checkCatalog(), { ignore: [] }, options);
    expect(report.reachable).toBe(false);
    expect(report.checks.filter((check) => check.status !== 'skip').map((check) => [check.id, check.status])).toEqual([
      ['ssh.connect', 'fail'],
    ]);
  });
  it('fail ssh.host-key on a changed key', () => {
    const facts: MachineFacts = {
      connected: false,
      sudo: 'none',
      facts: new Map(),
      connectFailure: { kind: 'host-key-mismatch', message: 'refused' },
      hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:new', status: 'mismatch', expected: 'SHA256:old' },
    };
    const report = evaluateMachine(gpuTarget, facts, checkCatalog(), { ignore: [] }, options);
    expect(report.checks.filter((check) => check.status === 'fail').map((check) => check.id)).toEqual(['ssh.host-key']);
    expect(report.checks.find((check) => check.id === 'ssh.host-key')?.message).toContain('SHA256:new');
  });
});

describe('report formats', () => {
  const machine = evaluateMachine(
    gpuTarget,
    { ...healthyFacts(), authMethod: 'password' },
    checkCatalog(),
    { ignore: [] },
    options,
  );
  const report: CheckReport = {
    summary: summarize([machine]),
    machines: [machine],
    cluster: { checks: [] },
    devbox: { checks: [] },
  };
  it('counts machines in the summary', () =>
    expect(report.summary).toEqual({ machines: 1, passed: 0, warnings: 0, failed: 1, unreachable: 0 }));
  it('prints a table per machine', () => {
    const text = formatCheckText(report, makePalette(false));
    expect(text).toMatch(/^pai-gpu-01 \(10\.0\.0\.11, pai-worker\)$/m);
    expect(text).toMatch(/^ {2}FAIL {2}ssh\.key-auth/m);
    expect(text).toContain('1 machines: 0 passed, 0 with warnings, 1 failed, 0 unreachable');
  });
  it('writes JUnit with a testcase per check and escaped text', () => {
    const xml = formatCheckJunit(report);
    expect(xml).toContain('<testsuite name="pai-gpu-01"');
    expect(xml).toMatch(
      /<testcase classname="pai-gpu-01" name="ssh.key-auth">\s*<failure message="[^"]+" type="ssh.key-auth">/,
    );
    expect(xml.match(/<testcase /g)?.length).toBe(machine.checks.length);
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
  });
});

describe('the dev-box Docker engine', () => {
  it('accepts API 1.25 and newer, refuses older engines and engines that hide their API version', () => {
    expect(judgeDevboxDocker({ Version: '20.10.24', ApiVersion: '1.41' })).toEqual({
      ok: true,
      observed: 'docker 20.10.24 (API 1.41)',
    });
    expect(judgeDevboxDocker({ Version: '1.13.1', ApiVersion: '1.25' })).toMatchObject({ ok: true });
    expect(judgeDevboxDocker({ Version: '1.12.6', ApiVersion: '1.24' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('needs 1.25'),
    });
    expect(judgeDevboxDocker({ Version: '1.12.6' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('did not report'),
    });
  });
});

describe('the facts each check declares', () => {
  /** The machine as a check that declares `needs` sees it when only those facts were gathered. */
  function onlyDeclared(facts: MachineFacts, needs: readonly string[]): MachineFacts {
    const narrowed: MachineFacts = { ...facts, facts: new Map([...facts.facts].filter(([id]) => needs.includes(id))) };
    if (!needs.includes('clock')) delete narrowed.clock;
    return narrowed;
  }
  it('are all it reads: gathering only those gives the same verdict on a healthy machine and on every fault', () => {
    const worlds: Array<[string, MachineFacts]> = [
      ['healthy', healthyFacts()],
      ...cases.map(([name, , breakIt]): [string, MachineFacts] => {
        const facts = healthyFacts();
        breakIt(facts);
        return [name, facts];
      }),
    ];
    for (const spec of checkCatalog().filter((check) => check.scope === 'machine')) {
      for (const [name, facts] of worlds) {
        const full = evaluateMachine(gpuTarget, facts, [spec], { ignore: [] }, options).checks;
        const narrow = evaluateMachine(
          gpuTarget,
          onlyDeclared(facts, spec.facts),
          [spec],
          { ignore: [] },
          options,
        ).checks;
        expect(narrow, `${spec.id} on the ${name} machine`).toEqual(full);
      }
    }
  });
  it('make the machine script as small as the selection: nothing for ssh.*, the clock for time.skew', () => {
    const select = (pattern: string) =>
      factsNeeded(checkCatalog().filter((check) => isSelected(check.id, { only: [pattern], skip: [] })));
    expect([...select('ssh.*')]).toEqual([]);
    expect([...select('time.skew')]).toEqual(['clock']);
    expect([...select('docker.*')].sort()).toEqual(['daemon-json', 'docker-info', 'docker-path', 'runtime-paths']);
    expect(factsNeeded(checkCatalog()).size).toBe(factCatalog().length + 2);
  });
});

describe('kubespray.python (from the run on the real kubespray 2.11 tree)', () => {
  const withPython = (stdout: string, interpreters = '') => {
    const facts = healthyFacts();
    facts.facts.set('python-on-path', ok(stdout));
    facts.facts.set('python-interpreters', ok(interpreters));
    return evaluateMachine(gpuTarget, facts, checkCatalog(), { ignore: [] }, options).checks.find(
      (check) => check.id === 'kubespray.python',
    )!;
  };
  it('passes a Python <= 3.7 with apt bindings, warns on none, 3.8+ or no apt_pkg', () => {
    expect(withPython('path=/usr/bin/python\nversion=3.6\napt=yes\n')).toMatchObject({
      status: 'pass',
      observed: '/usr/bin/python (Python 3.6, apt bindings)',
    });
    expect(withPython('path=\n')).toMatchObject({
      status: 'warn',
      observed: 'no python on PATH; no Python 2.7 or 3.5-3.7 found',
    });
    // The interpreters that would do are named, for ansible_python_interpreter.
    const found =
      '/usr/bin/python 3.11 apt=yes\n/usr/bin/python3 3.11 apt=yes\n/opt/python3.7/bin/python3.7 3.7 apt=no\n';
    expect(withPython('path=/usr/bin/python\nversion=3.11\napt=yes\n', found)).toMatchObject({
      status: 'warn',
      observed: '/usr/bin/python is Python 3.11; usable here: /opt/python3.7/bin/python3.7 (3.7)',
    });
    expect(withPython('path=/opt/py/python\nversion=3.7\napt=no\n')).toMatchObject({
      status: 'warn',
      observed: '/opt/py/python (3.7) without apt_pkg',
    });
    expect(withPython('path=/usr/bin/python\nversion=3.6\napt=no\n').hint).toContain('python-minimal');
  });
});
