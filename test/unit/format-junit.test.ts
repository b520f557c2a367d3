import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/checks/run-checks.js';
import { findingsCiReport } from '../../src/cli/format/ci-report.js';
import { formatCheckJunit } from '../../src/cli/format/check-report.js';
import { formatJunit } from '../../src/cli/format/junit.js';
import { summarize, type Finding } from '../../src/findings/finding.js';

function finding(overrides: Partial<Finding>): Finding {
  return {
    severity: 'error',
    code: 'duplicate-hostname',
    file: 'layout.yaml',
    line: 42,
    column: 15,
    path: 'machine-list[2].hostname',
    message: 'machine-list[2].hostname: hostname "pai-gpu-01" is already used by machine-list[1]',
    hint: 'Every machine needs its own hostname; it becomes its Kubernetes node name.',
    ...overrides,
  };
}

describe('JUnit of a check report', () => {
  const report: CheckReport = {
    summary: { machines: 1, passed: 0, warnings: 0, failed: 1, unreachable: 0 },
    machines: [
      {
        hostname: 'pai-gpu-01',
        ip: '10.0.0.11',
        roles: ['pai-worker'],
        reachable: true,
        checks: [
          { id: 'ssh.connect', status: 'pass', observed: 'publickey', message: '', hint: '' },
          {
            id: 'gpu.count',
            status: 'fail',
            observed: 'GPU <0> & "1"\u0007',
            message: 'the layout says 4 GPUs',
            hint: 'Fix the sku.',
          },
          { id: 'docker.version', status: 'warn', observed: '18.06', message: 'old docker', hint: 'Upgrade.' },
          { id: 'os.systemd', status: 'skip', observed: '', message: 'skipped by --skip', hint: '' },
        ],
      },
    ],
    cluster: { checks: [] },
    devbox: { checks: [{ id: 'devbox.disk', status: 'pass', observed: '80 GiB', message: '', hint: '' }] },
  };

  it('keeps its shape: a testsuite per machine and the dev-box, failures, skips with their reason, warnings as output', () => {
    expect(formatCheckJunit(report)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="pai-deploy check" tests="5" failures="1">',
        '  <testsuite name="pai-gpu-01" tests="4" failures="1" skipped="1">',
        '    <testcase classname="pai-gpu-01" name="ssh.connect"/>',
        '    <testcase classname="pai-gpu-01" name="gpu.count">',
        '      <failure message="the layout says 4 GPUs" type="gpu.count">observed: GPU &lt;0&gt; &amp; &quot;1&quot;\nhint: Fix the sku.</failure>',
        '    </testcase>',
        '    <testcase classname="pai-gpu-01" name="docker.version">',
        '      <system-out>warning: old docker\nobserved: 18.06\nhint: Upgrade.</system-out>',
        '    </testcase>',
        '    <testcase classname="pai-gpu-01" name="os.systemd">',
        '      <skipped message="skipped by --skip"/>',
        '    </testcase>',
        '  </testsuite>',
        '  <testsuite name="dev-box" tests="1" failures="0" skipped="0">',
        '    <testcase classname="dev-box" name="devbox.disk"/>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
  it("does not name the layout as a check's file, even with the machine's layout line known", () => {
    const xml = formatCheckJunit(report, { locateMachine: () => ({ file: 'layout.yaml', line: 3, column: 5 }) });
    expect(xml).not.toContain('file=');
  });
  it('adds the validation warnings as a testsuite of their file, before the machines', () => {
    const xml = formatCheckJunit(report, {
      findings: summarize([finding({ severity: 'warning', code: 'low-memory', path: 'machine-sku.s.mem' })]),
    });
    expect(xml).toMatch(
      /<testsuites name="pai-deploy check" tests="6" failures="1">\n {2}<testsuite name="layout.yaml"/,
    );
    expect(xml).toContain('<testcase classname="layout.yaml" name="low-memory machine-sku.s.mem" file="layout.yaml">');
  });
});

describe('JUnit of validate findings', () => {
  const findings = [
    finding({}),
    finding({
      severity: 'warning',
      code: 'unknown-key',
      file: 'config.yaml',
      line: 3,
      column: 1,
      path: 'docker_data_rot',
      message: 'unknown key',
      hint: 'Fix its spelling.',
    }),
  ];

  it('has a testsuite per input file, a failure per error at its file:line:col, and a passed testcase for a clean file', () => {
    const xml = formatJunit(findingsCiReport(summarize([findings[0]!]), { inputs: ['layout.yaml', 'config.yaml'] }));
    expect(xml).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="pai-deploy validate" tests="2" failures="1">',
        '  <testsuite name="layout.yaml" tests="1" failures="1" skipped="0">',
        '    <testcase classname="layout.yaml" name="duplicate-hostname machine-list[2].hostname" file="layout.yaml">',
        '      <failure message="machine-list[2].hostname: hostname &quot;pai-gpu-01&quot; is already used by machine-list[1]" type="duplicate-hostname">at layout.yaml:42:15\nhint: Every machine needs its own hostname; it becomes its Kubernetes node name.</failure>',
        '    </testcase>',
        '  </testsuite>',
        '  <testsuite name="config.yaml" tests="1" failures="0" skipped="0">',
        '    <testcase classname="config.yaml" name="valid"/>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });
  it('passes a warning with its text as output, and fails it under --strict', () => {
    const inputs = ['layout.yaml', 'config.yaml'];
    const relaxed = formatJunit(findingsCiReport(summarize(findings), { inputs }));
    expect(relaxed).toContain('<testsuite name="config.yaml" tests="1" failures="0" skipped="0">');
    expect(relaxed).toContain(
      '<system-out>warning: unknown key\nat config.yaml:3:1\nhint: Fix its spelling.</system-out>',
    );
    const strict = formatJunit(findingsCiReport(summarize(findings), { inputs, strict: true }));
    expect(strict).toContain('<testsuite name="config.yaml" tests="1" failures="1" skipped="0">');
    expect(strict).toContain('<failure message="unknown key" type="unknown-key">at config.yaml:3:1');
  });
  it('says where a finding about a whole file is without a line', () => {
    const xml = formatJunit(
      findingsCiReport(summarize([finding({ line: 0, column: 0, code: 'empty-file', path: '', hint: 'Fill it.' })])),
    );
    expect(xml).toContain('<testcase classname="layout.yaml" name="empty-file" file="layout.yaml">');
    expect(xml).toContain('type="empty-file">hint: Fill it.</failure>');
  });
});
