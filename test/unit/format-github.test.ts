import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/checks/run-checks.js';
import { summarize, type Finding } from '../../src/findings/finding.js';
import { checkCiReport, findingsCiReport } from '../../src/cli/format/ci-report.js';
import { escapeData, escapeProperty, formatGithub } from '../../src/cli/format/github.js';

const cwd = '/repo';

function finding(overrides: Partial<Finding>): Finding {
  return {
    severity: 'error',
    code: 'duplicate-hostname',
    file: 'cluster/layout.yaml',
    line: 42,
    column: 15,
    path: 'machine-list[2].hostname',
    message: 'machine-list[2].hostname: hostname "pai-gpu-01" is already used by machine-list[1]',
    hint: 'Every machine needs its own hostname; it becomes its Kubernetes node name.',
    ...overrides,
  };
}

const github = (findings: Finding[]) => formatGithub(findingsCiReport(summarize(findings)), cwd);

describe('GitHub workflow command escaping', () => {
  it('percent-encodes %, CR and LF in a message, % first so an encoded sequence in the text survives', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeData('literally %0A')).toBe('literally %250A');
    expect(escapeData('a: b, c')).toBe('a: b, c');
  });
  it('also encodes : and , in a property value, which would end it', () => {
    expect(escapeProperty('dir,1/c:d.yaml')).toBe('dir%2C1/c%3Ad.yaml');
    expect(escapeProperty('100%\n')).toBe('100%25%0A');
  });
});

describe('formatGithub', () => {
  it('writes an ::error at the finding file:line:col, titled with its code, the hint on a second line', () => {
    expect(github([finding({})])).toBe(
      '::error file=cluster/layout.yaml,line=42,col=15,title=duplicate-hostname::' +
        'machine-list[2].hostname: hostname "pai-gpu-01" is already used by machine-list[1]' +
        '%0Ahint: Every machine needs its own hostname; it becomes its Kubernetes node name.\n',
    );
  });
  it('writes warnings as ::warning, in file and position order, errors and warnings mixed', () => {
    const out = github([
      finding({ line: 50, column: 3, code: 'late' }),
      finding({ severity: 'warning', line: 7, column: 1, code: 'early' }),
    ]).split('\n');
    expect(out[0]).toMatch(/^::warning file=cluster\/layout.yaml,line=7,col=1,title=early::/);
    expect(out[1]).toMatch(/^::error file=cluster\/layout.yaml,line=50,col=3,title=late::/);
  });
  it('names files relative to the working directory (where GitHub resolves them), outside it absolute', () => {
    expect(github([finding({ file: '/repo/cluster/config.yaml' })])).toContain('file=cluster/config.yaml,');
    expect(github([finding({ file: '../elsewhere/layout.yaml' })])).toContain('file=/elsewhere/layout.yaml,');
  });
  it('leaves out line and col for a finding about the file as a whole', () => {
    expect(github([finding({ line: 0, column: 0, code: 'empty-file' })])).toMatch(
      /^::error file=cluster\/layout.yaml,title=empty-file::/,
    );
  });
  it('escapes a file name with , and : so it stays one property', () => {
    expect(github([finding({ file: 'a,b:c.yaml' })])).toContain('file=a%2Cb%3Ac.yaml,line=42');
  });
  it('keeps a value from the input on one line with no terminal controls: no second command can be injected', () => {
    const out = github([finding({ message: 'hostname "x\n::error::forged\u001b[31m"' })]);
    expect(out.split('\n').filter(Boolean)).toHaveLength(1);
    expect(out).toContain('hostname "x\\x0a::error::forged\\x1b[31m"');
  });
  it('writes nothing for a valid input', () => {
    expect(formatGithub(findingsCiReport(summarize([]), { inputs: ['layout.yaml', 'config.yaml'] }), cwd)).toBe('');
  });
});

describe('formatGithub of a check report', () => {
  const report: CheckReport = {
    summary: { machines: 2, passed: 1, warnings: 0, failed: 0, unreachable: 1 },
    machines: [
      {
        hostname: 'pai-master-01',
        ip: '10.0.0.10',
        roles: ['pai-master'],
        reachable: false,
        checks: [
          {
            id: 'ssh.connect',
            status: 'fail',
            observed: 'ECONNREFUSED',
            message: 'cannot reach 10.0.0.10',
            hint: 'Check sshd.',
          },
          { id: 'ssh.key-auth', status: 'skip', observed: '', message: 'machine unreachable', hint: 'x' },
        ],
      },
      {
        hostname: 'pai-gpu-01',
        ip: '10.0.0.11',
        roles: ['pai-worker'],
        reachable: true,
        checks: [
          { id: 'ssh.connect', status: 'pass', observed: 'key', message: '', hint: '' },
          { id: 'os.release', status: 'warn', observed: 'Debian 12', message: 'not Ubuntu', hint: 'Use Ubuntu.' },
        ],
      },
    ],
    cluster: {
      checks: [
        { id: 'devbox.separate', status: 'fail', observed: 'me', message: 'the dev-box is a machine', hint: 'h' },
      ],
    },
    devbox: { checks: [] },
  };
  const locateMachine = (hostname: string) =>
    hostname === 'pai-master-01' ? { file: 'cluster/layout.yaml', line: 31, column: 15 } : undefined;

  it('annotates failed and warned checks on their machine layout line, named by machine, with what was observed', () => {
    const lines = formatGithub(checkCiReport(report, { locateMachine }), cwd).split('\n').filter(Boolean);
    expect(lines).toEqual([
      '::error file=cluster/layout.yaml,line=31,col=15,title=ssh.connect::pai-master-01: cannot reach 10.0.0.10 [ECONNREFUSED]%0Ahint: Check sshd.',
      '::warning title=os.release::pai-gpu-01: not Ubuntu [Debian 12]%0Ahint: Use Ubuntu.',
      '::error title=devbox.separate::the dev-box is a machine [me]%0Ahint: h',
    ]);
  });
  it('puts the validation warnings first, at their own file:line:col', () => {
    const warnings = summarize([finding({ severity: 'warning', code: 'cpu-vcores-low', line: 12, column: 7 })]);
    const first = formatGithub(checkCiReport(report, { locateMachine, findings: warnings }), cwd).split('\n')[0];
    expect(first).toMatch(/^::warning file=cluster\/layout.yaml,line=12,col=7,title=cpu-vcores-low::/);
  });
});
