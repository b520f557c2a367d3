import { describe, expect, it } from 'vitest';
import { parseDaemonJson, parseDockerInfo } from '../../src/checks/parsers/docker.js';
import { findDhcpConfig, parseIpAddrJson } from '../../src/checks/parsers/ip-addr.js';
import { parseNvidiaSmiList, parseNvidiaSmiQuery } from '../../src/checks/parsers/nvidia-smi.js';
import { parseOsRelease } from '../../src/checks/parsers/os-release.js';
import { parseDfAvailable, parseListeningPorts, parseMemTotal, parseSwaps } from '../../src/checks/parsers/system.js';
import { parseChronyTracking, parseNtpqPeers, parseTimedatectl } from '../../src/checks/parsers/time-sync.js';

const osRelease = {
  'ubuntu 16.04':
    'NAME="Ubuntu"\nVERSION="16.04.7 LTS (Xenial Xerus)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 16.04.7 LTS"\nVERSION_ID="16.04"\nHOME_URL="http://www.ubuntu.com/"\nSUPPORT_URL="http://help.ubuntu.com/"\nBUG_REPORT_URL="http://bugs.launchpad.net/ubuntu/"\nVERSION_CODENAME=xenial\nUBUNTU_CODENAME=xenial\n',
  'ubuntu 18.04':
    'NAME="Ubuntu"\nVERSION="18.04.6 LTS (Bionic Beaver)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 18.04.6 LTS"\nVERSION_ID="18.04"\nHOME_URL="https://www.ubuntu.com/"\nVERSION_CODENAME=bionic\nUBUNTU_CODENAME=bionic\n',
  'ubuntu 20.04':
    'NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 20.04.6 LTS"\nVERSION_ID="20.04"\nVERSION_CODENAME=focal\nUBUNTU_CODENAME=focal\n',
  'ubuntu 22.04':
    'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n',
  'centos 7':
    'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\nANSI_COLOR="0;31"\nCPE_NAME="cpe:/o:centos:centos:7"\n',
};

describe('os-release', () => {
  it.each([
    ['ubuntu 16.04', 'ubuntu', '16.04', 'Ubuntu 16.04.7 LTS', ['debian']],
    ['ubuntu 18.04', 'ubuntu', '18.04', 'Ubuntu 18.04.6 LTS', ['debian']],
    ['ubuntu 20.04', 'ubuntu', '20.04', 'Ubuntu 20.04.6 LTS', ['debian']],
    ['ubuntu 22.04', 'ubuntu', '22.04', 'Ubuntu 22.04.4 LTS', ['debian']],
    ['centos 7', 'centos', '7', 'CentOS Linux 7 (Core)', ['rhel', 'fedora']],
  ] as const)('%s', (name, id, versionId, prettyName, idLike) => {
    expect(parseOsRelease(osRelease[name])).toEqual({ id, versionId, prettyName, idLike });
  });
  it('rejects text without ID', () => expect(parseOsRelease('NAME=x\n')).toBeUndefined());
});

describe('nvidia-smi', () => {
  it('counts GPUs from -L', () => {
    const text =
      'GPU 0: Tesla K80 (UUID: GPU-2b4a1f3e-6f1e-0b2c-8e2d-2b8f1d6c1a11)\nGPU 1: Tesla K80 (UUID: GPU-7d1c2b3a-1111-2222-3333-444455556666)\n';
    expect(parseNvidiaSmiList(text)).toEqual([
      { index: 0, name: 'Tesla K80', uuid: 'GPU-2b4a1f3e-6f1e-0b2c-8e2d-2b8f1d6c1a11' },
      { index: 1, name: 'Tesla K80', uuid: 'GPU-7d1c2b3a-1111-2222-3333-444455556666' },
    ]);
    expect(
      parseNvidiaSmiList("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"),
    ).toEqual([]);
  });
  it('reads name and driver from a CSV query', () => {
    expect(parseNvidiaSmiQuery('Tesla V100-SXM2-16GB, 418.87.01\nTesla V100-SXM2-16GB, 418.87.01\n')).toEqual([
      { name: 'Tesla V100-SXM2-16GB', driverVersion: '418.87.01' },
      { name: 'Tesla V100-SXM2-16GB', driverVersion: '418.87.01' },
    ]);
  });
});

describe('time synchronisation', () => {
  it('reads timedatectl show and the status of 16.04 and 18.04', () => {
    expect(parseTimedatectl('NTP=yes\nNTPSynchronized=yes\n')).toEqual({ synchronized: true, ntpEnabled: true });
    expect(
      parseTimedatectl(
        '      Local time: Sat 2021-01-16 10:00:00 UTC\n  Universal time: Sat 2021-01-16 10:00:00 UTC\n        RTC time: Sat 2021-01-16 10:00:00\n       Time zone: Etc/UTC (UTC, +0000)\n Network time on: yes\nNTP synchronized: no\n RTC in local TZ: no\n',
      ),
    ).toEqual({ synchronized: false, ntpEnabled: true });
    expect(
      parseTimedatectl(
        '                      Local time: Sat 2021-01-16 10:00:00 UTC\n       System clock synchronized: yes\nsystemd-timesyncd.service active: yes\n                 RTC in local TZ: no\n',
      ).synchronized,
    ).toBe(true);
    expect(parseTimedatectl('Failed to connect to bus: No such file or directory\n')).toEqual({
      synchronized: undefined,
      ntpEnabled: undefined,
    });
  });
  it('reads chronyc tracking, synchronised and not', () => {
    const synced =
      'Reference ID    : A9FEA97B (169.254.169.123)\nStratum         : 4\nRef time (UTC)  : Sat Jan 16 10:00:00 2021\nSystem time     : 0.000012345 seconds slow of NTP time\nLast offset     : -0.000002117 seconds\nRMS offset      : 0.000020231 seconds\nFrequency       : 13.540 ppm fast\nResidual freq   : -0.000 ppm\nSkew            : 0.012 ppm\nRoot delay      : 0.000365368 seconds\nRoot dispersion : 0.000182394 seconds\nUpdate interval : 16.0 seconds\nLeap status     : Normal\n';
    expect(parseChronyTracking(synced)).toEqual({
      synchronized: true,
      referenceId: 'A9FEA97B (169.254.169.123)',
      stratum: 4,
      systemOffset: -0.000012345,
      leapStatus: 'Normal',
    });
    const unsynced =
      'Reference ID    : 00000000 ()\nStratum         : 0\nRef time (UTC)  : Thu Jan 01 00:00:00 1970\nSystem time     : 0.000000000 seconds fast of NTP time\nLast offset     : +0.000000000 seconds\nLeap status     : Not synchronised\n';
    expect(parseChronyTracking(unsynced)?.synchronized).toBe(false);
    const local = synced.replace('A9FEA97B (169.254.169.123)', '7F7F0101 ()');
    expect(parseChronyTracking(local)?.synchronized).toBe(false);
    expect(parseChronyTracking('506 Cannot talk to daemon\n')).toBeUndefined();
  });
  it('reads ntpq peers', () => {
    const text =
      '     remote           refid      st t when poll reach   delay   offset  jitter\n==============================================================================\n*91.189.89.198   17.253.34.125    2 u   35   64  377   18.393   -0.432   0.214\n+91.189.91.157   194.58.200.20    2 u   33   64  377   80.301    0.167   0.158\n';
    expect(parseNtpqPeers(text)).toEqual({ synchronized: true, peer: '91.189.89.198' });
    expect(parseNtpqPeers(text.replace('*', ' ')).synchronized).toBe(false);
  });
});

describe('addresses', () => {
  const ipJson = JSON.stringify([
    {
      ifindex: 1,
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
      mtu: 65536,
      addr_info: [
        {
          family: 'inet',
          local: '127.0.0.1',
          prefixlen: 8,
          scope: 'host',
          label: 'lo',
          valid_life_time: 4294967295,
          preferred_life_time: 4294967295,
        },
      ],
    },
    {
      ifindex: 2,
      ifname: 'eth0',
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      mtu: 1500,
      addr_info: [
        {
          family: 'inet',
          local: '10.0.0.11',
          prefixlen: 24,
          broadcast: '10.0.0.255',
          scope: 'global',
          dynamic: true,
          label: 'eth0',
          valid_life_time: 3512,
          preferred_life_time: 3512,
        },
        {
          family: 'inet6',
          local: 'fe80::1',
          prefixlen: 64,
          scope: 'link',
          valid_life_time: 4294967295,
          preferred_life_time: 4294967295,
        },
      ],
    },
    {
      ifindex: 3,
      ifname: 'eth1',
      addr_info: [
        {
          family: 'inet',
          local: '192.168.5.2',
          prefixlen: 24,
          scope: 'global',
          valid_life_time: 4294967295,
          preferred_life_time: 4294967295,
        },
      ],
    },
  ]);
  it('lists IPv4 addresses with their lease', () => {
    expect(parseIpAddrJson(ipJson)).toEqual([
      { ifname: 'lo', address: '127.0.0.1', prefixlen: 8, dynamic: false, validLifetime: undefined },
      { ifname: 'eth0', address: '10.0.0.11', prefixlen: 24, dynamic: true, validLifetime: 3512 },
      { ifname: 'eth1', address: '192.168.5.2', prefixlen: 24, dynamic: false, validLifetime: undefined },
    ]);
    expect(parseIpAddrJson('Object "addr" is unknown')).toBeUndefined();
  });
  it('finds DHCP in netplan, ifupdown and NetworkManager files', () => {
    const files =
      '==> /etc/netplan/50-cloud-init.yaml <==\nnetwork:\n  ethernets:\n    eth0:\n      dhcp4: true\n\n==> /etc/network/interfaces <==\nauto eth1\niface eth1 inet dhcp\niface eth2 inet static\n\n==> /etc/NetworkManager/system-connections/wired.nmconnection <==\n[connection]\nid=wired\n[ipv4]\nmethod=auto\n[ipv6]\nmethod=auto\n';
    expect(findDhcpConfig(files)).toEqual([
      '/etc/netplan/50-cloud-init.yaml: dhcp4: true',
      '/etc/network/interfaces: iface eth1 inet dhcp',
      '/etc/NetworkManager/system-connections/wired.nmconnection: [ipv4] method=auto',
    ]);
    expect(
      findDhcpConfig(
        '==> /etc/netplan/01.yaml <==\nnetwork:\n  ethernets:\n    eth0:\n      dhcp4: no\n      addresses: [10.0.0.11/24]\n',
      ),
    ).toEqual([]);
  });
});

describe('docker', () => {
  it('reads docker info JSON', () => {
    const text = JSON.stringify({
      ID: 'X',
      Containers: 0,
      Driver: 'overlay2',
      ServerVersion: '18.09.7',
      DefaultRuntime: 'nvidia',
      Runtimes: { nvidia: { path: 'nvidia-container-runtime' }, runc: { path: 'runc' } },
      CgroupDriver: 'cgroupfs',
      DockerRootDir: '/var/lib/docker',
    });
    expect(parseDockerInfo(text)).toEqual({
      serverVersion: '18.09.7',
      defaultRuntime: 'nvidia',
      runtimes: { nvidia: { path: 'nvidia-container-runtime' }, runc: { path: 'runc' } },
      cgroupDriver: 'cgroupfs',
      dockerRootDir: '/var/lib/docker',
    });
    expect(
      parseDockerInfo(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      ),
    ).toBeUndefined();
    // A client talking to no daemon prints JSON with an empty ServerVersion.
    expect(parseDockerInfo('{"ServerVersion":"","ServerErrors":["Cannot connect"]}')).toBeUndefined();
  });
  it('reads daemon.json', () => {
    expect(
      parseDaemonJson(
        '{"default-runtime":"nvidia","runtimes":{"nvidia":{"path":"/usr/bin/nvidia-container-runtime","runtimeArgs":[]}}}',
        true,
      ),
    ).toEqual({
      kind: 'ok',
      value: {
        'default-runtime': 'nvidia',
        runtimes: { nvidia: { path: '/usr/bin/nvidia-container-runtime', runtimeArgs: [] } },
      },
    });
    expect(parseDaemonJson('', false)).toEqual({ kind: 'missing' });
    expect(parseDaemonJson('', true).kind).toBe('invalid');
    expect(parseDaemonJson('{"a": 1,}', true).kind).toBe('invalid');
    expect(parseDaemonJson('[]', true).kind).toBe('invalid');
  });
});

describe('system', () => {
  it('reads memory, swap, ports and free disk', () => {
    expect(parseMemTotal('MemTotal:       16314396 kB\nMemFree:         1234 kB\n')).toBe(16314396 * 1024);
    expect(
      parseSwaps(
        'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img                               file\t\t2097148\t\t0\t\t-2\n',
      ),
    ).toEqual(['/swap.img']);
    expect(parseSwaps('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n')).toEqual([]);
    expect([
      ...parseListeningPorts(
        'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*\nLISTEN 0      4096     127.0.0.53%lo:53      0.0.0.0:*\nLISTEN 0      128             [::]:22           [::]:*\n',
      ),
    ]).toEqual([22, 53]);
    expect(
      parseDfAvailable(
        'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/vda1        263174212 123456789 126543210      50% /\n',
      ),
    ).toBe(126543210 * 1024);
  });
});
