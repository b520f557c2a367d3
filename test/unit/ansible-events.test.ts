import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  emptyProgress,
  eventMarker,
  failureCause,
  hostCounters,
  parseEventLine,
  type AnsibleEvent,
} from '../../src/kubespray/ansible-events.js';

describe('event lines', () => {
  it("are read only behind this run's marker; anything else is output", () => {
    const line = `${eventMarker('t1')}{"event":"task","task":"x","role":null,"action":"command","time":1}`;
    expect(parseEventLine(line, 't1')).toMatchObject({ event: 'task', task: 'x' });
    expect(parseEventLine(line, 't2')).toBeUndefined();
    expect(parseEventLine(`${eventMarker('t1')}{"event": tru`, 't1')).toBeUndefined();
    expect(parseEventLine('ok: [a]', 't1')).toBeUndefined();
    expect(parseEventLine(`  ${line}`, 't1')).toBeUndefined();
  });
});

describe('the cause of a failure', () => {
  it("is apt's E: line, not 'non-zero return code'", () => {
    expect(
      failureCause({
        msg: 'non-zero return code',
        rc: 100,
        stdout: 'Reading package lists... 0%\rReading package lists... 100%\nBuilding dependency tree',
        stderr_lines: ['W: some warning', 'E: Unable to locate package nvidia-driver-999', ''],
      }),
    ).toBe('E: Unable to locate package nvidia-driver-999');
  });

  it("is a Python traceback's exception line for MODULE FAILURE", () => {
    expect(
      failureCause({
        msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error',
        module_stderr:
          "Traceback (most recent call last):\n  File \"/tmp/x.py\", line 3, in <module>\n    import platform; platform.dist()\nAttributeError: module 'platform' has no attribute 'dist'\n",
      }),
    ).toBe("AttributeError: module 'platform' has no attribute 'dist'");
  });

  it('is msg when msg says something', () => {
    expect(failureCause({ msg: 'Timeout (12s) waiting for privilege escalation prompt: ', stderr: 'x' })).toBe(
      'Timeout (12s) waiting for privilege escalation prompt:',
    );
    expect(failureCause({ msg: 'Failed to connect to the host via ssh: Host key verification failed.' })).toBe(
      'Failed to connect to the host via ssh: Host key verification failed.',
    );
  });

  it('is the last non-empty stderr line, then stdout, then the exit code', () => {
    expect(failureCause({ msg: 'non-zero return code', stderr: 'first\nthe reason\n\n' })).toBe('the reason');
    expect(failureCause({ msg: 'non-zero return code', stdout: 'done 1\nstopped at 2\n' })).toBe('stopped at 2');
    expect(failureCause({ msg: 'non-zero return code', rc: 3 })).toBe('non-zero return code');
    expect(failureCause({ rc: 3 })).toBe('exit code 3');
  });

  it('comes from the failing item of a loop', () => {
    expect(
      failureCause({
        msg: 'One or more items failed',
        failedItems: [{ item: 'nvidia-docker2', msg: 'non-zero return code', stderr: 'E: Package has no candidate' }],
      }),
    ).toBe('E: Package has no candidate (item nvidia-docker2)');
  });
});

describe('progress folded from events', () => {
  const events: AnsibleEvent[] = [
    { event: 'playbook', file: 'cluster.yml', time: 1 },
    { event: 'play', name: 'k8s-cluster', hosts: ['k8s-cluster'], time: 2 },
    {
      event: 'task',
      task: 'kubernetes/preinstall : Stop if ansible version is too low',
      role: 'kubernetes/preinstall',
      action: 'assert',
      time: 3,
    },
    { event: 'ok', host: 'm', changed: false, task: 't', role: null, action: 'assert', time: 4 },
    { event: 'ok', host: 'w', changed: true, task: 't', role: null, action: 'assert', time: 4 },
    { event: 'failed', host: 'w', changed: false, ignored: true, task: 't', role: null, action: 'shell', time: 5 },
    {
      event: 'unreachable',
      host: 'x',
      changed: false,
      task: 't',
      role: null,
      action: 'setup',
      msg: 'Failed to connect to the host via ssh: timeout',
      time: 5,
    },
    {
      event: 'failed',
      host: 'm',
      changed: false,
      task: 'install',
      role: 'docker',
      action: 'apt',
      msg: 'non-zero return code',
      stderr: 'E: boom',
      rc: 100,
      time: 6,
    },
    {
      event: 'failed',
      host: 'w',
      changed: false,
      censored: true,
      task: 'secret',
      role: null,
      action: 'command',
      time: 7,
    },
  ];

  it('counts hosts, ignores ignored failures and keeps each real one with its cause', () => {
    const progress = events.reduce(applyEvent, emptyProgress());
    expect(progress.playbook).toBe('cluster.yml');
    expect(progress.play).toBe('k8s-cluster');
    expect(progress.tasksStarted).toBe(1);
    expect(
      hostCounters(
        applyEvent(progress, {
          event: 'ok',
          host: 'localhost',
          changed: false,
          task: 'gate',
          role: null,
          action: 'assert',
          time: 8,
        }),
      ),
    ).toEqual({ hosts: 3, ok: 0, changed: 1, failed: 2, unreachable: 1 });
    expect(progress.failures.map((failure) => `${failure.kind} ${failure.host}: ${failure.cause}`)).toEqual([
      'unreachable x: Failed to connect to the host via ssh: timeout',
      'failed m: E: boom',
      'failed w: the output is hidden (no_log: the task handles secrets)',
    ]);
  });
});
