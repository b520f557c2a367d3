import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAction } from '../../src/actions/check.js';
import { deployAction } from '../../src/actions/deploy.js';
import { InterruptedError } from '../../src/errors.js';
import { runAction } from '../../src/phase/manager.js';
import type { CheckPhaseOptions } from '../../src/phase/phases/check.js';
import type { KubesprayTrees } from '../../src/ports/kubespray-source.js';
import type { ConnectResult, RemoteHosts, RemoteSession } from '../../src/ports/ports.js';
import { FakeIoHost } from '../support/fake-io.js';
import { fakeDevbox } from '../support/fake-devbox.js';
import { fakePorts } from '../support/fake-ports.js';
import { baseConfig, baseLayout, tempDir, writeInputs } from '../support/fixtures.js';

const dir = tempDir('pai-deploy-actions-');

function checkOptions(workDir: string, only: string[] = ['ssh.*']): CheckPhaseOptions {
  return {
    checks: {
      concurrency: 4,
      commandTimeoutMs: 1000,
      machineTimeoutMs: 60_000,
      only,
      skip: [],
      ignore: [],
      maxClockOffsetSeconds: 1,
    },
    limit: undefined,
    workDirOverride: workDir,
    knownHostsFile: undefined,
    acceptNewHostKeys: false,
    connectTimeoutMs: 1000,
    connectAttempts: 1,
    retryDelayMs: 1,
    env: {},
  };
}

const session: RemoteSession = {
  authMethod: 'publickey',
  exec: () => Promise.reject(new Error('no command expected: only ssh.* checks are selected')),
  close: () => undefined,
};

/** pai-gpu-01 connects at once; every other machine hangs until the run is aborted. */
function hostsWhereOneAnswers(answered: () => void): RemoteHosts {
  return {
    connect(target, { signal }): Promise<ConnectResult> {
      if (target.hostname === 'pai-gpu-01') {
        setImmediate(answered);
        return Promise.resolve({
          ok: true,
          session,
          hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x', status: 'known' },
          attempts: 1,
          millis: 3,
        });
      }
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
      );
    },
  };
}

describe('the check action', () => {
  it('on Ctrl-C keeps what it had found, releases the lock and records the interruption', async () => {
    const { layoutPath, configPath } = writeInputs(dir, baseLayout(), baseConfig());
    const workDir = join(dir, 'interrupted-work');
    const controller = new AbortController();
    const ports = fakePorts({ hosts: hostsWhereOneAnswers(() => controller.abort(new InterruptedError('SIGINT'))) });
    const io = new FakeIoHost();
    const action = checkAction(
      { layout: { kind: 'yaml', path: layoutPath }, configPath },
      { report: async () => undefined },
      checkOptions(workDir),
    );
    const run = runAction(action, { io, ports, signal: controller.signal, dryRun: false });
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    const partial = ports.written.find((write) => write.dir === join(workDir, 'logs'));
    expect(partial?.files[0]?.path).toBe('check-interrupted.json');
    const saved = JSON.parse(partial?.files[0]?.content ?? '{}') as { machines: Array<{ hostname: string }> };
    expect(saved.machines.map((machine) => machine.hostname)).toEqual(['pai-gpu-01']);
    expect(io.messages.map((message) => message.code)).toContain('check.partial-report');
    expect(existsSync(join(workDir, 'lock'))).toBe(false);
    const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as {
      phases: Record<string, { status: string }>;
      lastRun: { outcome: string };
    };
    expect(state.phases['check']?.status).toBe('interrupted');
    expect(state.lastRun.outcome).toBe('interrupted');
  });

  it('checks only the machines --limit selects', async () => {
    const { layoutPath, configPath } = writeInputs(dir, baseLayout(), baseConfig());
    const asked: string[] = [];
    const hosts: RemoteHosts = {
      connect(target) {
        asked.push(target.hostname);
        return Promise.resolve({
          ok: false,
          failure: { kind: 'unreachable', message: 'ECONNREFUSED' },
          hostKey: undefined,
          attempts: 1,
        });
      },
    };
    const options = { ...checkOptions(join(dir, 'limit-work')), limit: ['pai-gpu-*', '!pai-gpu-02'] };
    const action = checkAction(
      { layout: { kind: 'yaml', path: layoutPath }, configPath },
      { report: async () => undefined },
      options,
    );
    await runAction(action, {
      io: new FakeIoHost(),
      ports: fakePorts({ hosts }),
      signal: new AbortController().signal,
      dryRun: false,
    });
    expect(asked).toEqual(['pai-gpu-01']);
    expect(action.data.report?.machines.map((machine) => machine.hostname)).toEqual(['pai-gpu-01']);
  });
});

describe('the deploy action as a dry run (pai-deploy plan)', () => {
  it('runs every phase, touches no port and writes nothing, and says what it would do where', async () => {
    const { layoutPath, configPath } = writeInputs(dir, baseLayout(), baseConfig());
    const workDir = join(dir, 'plan-work');
    const ports = fakePorts();
    const action = deployAction(
      { layout: { kind: 'yaml', path: layoutPath }, configPath },
      { report: async () => undefined },
      { workDirOverride: workDir, env: {}, cwd: dir, check: checkOptions(workDir, []) },
    );
    const result = await runAction(action, {
      io: new FakeIoHost(),
      ports,
      signal: new AbortController().signal,
      dryRun: true,
    });
    expect(ports.calls).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
    expect(result.dryRun.map((entry) => `${entry.phase} ${entry.target}`)).toEqual([
      `render ${join(workDir, 'rendered')}`,
      'check pai-master-01',
      'check pai-gpu-01',
      'check pai-gpu-02',
      'check pai-cpu-01',
      'kubespray-source dev-box',
      'kubespray dev-box',
      'kubespray dev-box',
      // Described, not contacted: a dry run reaches no cluster (before kubespray there is none).
      'cluster-connect cluster',
      'node-labels cluster',
      'config-push cluster',
      'openpai-source dev-box',
      'services cluster',
    ]);
    expect(action.data.files?.map((file) => file.path)).toContain('inventory/hosts.yml');
  });

  it('run for real, stops plainly at the first phase that cannot go on, with the state saying where', async () => {
    const { layoutPath, configPath } = writeInputs(dir, baseLayout(), baseConfig());
    const workDir = join(dir, 'deploy-work');
    const hosts: RemoteHosts = {
      connect: () =>
        Promise.resolve({
          ok: false,
          failure: { kind: 'unreachable', message: 'refused' },
          hostKey: undefined,
          attempts: 1,
        }),
    };
    const action = deployAction(
      { layout: { kind: 'yaml', path: layoutPath }, configPath },
      { report: async () => undefined },
      { workDirOverride: workDir, env: {}, cwd: dir, check: checkOptions(workDir) },
    );
    const kubesprayTrees: KubesprayTrees = {
      inspect: (inspected, options) =>
        Promise.resolve({
          kind: 'git',
          dir: inspected,
          pinned: true,
          describe: 'pinned',
          commit: options.pinned.commit,
          treeId: options.pinned.treeId,
          branch: undefined,
          modified: [],
        }),
      clone: (_source, dest, options) => {
        mkdirSync(dest, { recursive: true });
        return Promise.resolve({ dir: dest, commit: options.commit, treeId: 't', shallow: true });
      },
    };
    const ports = fakePorts({ hosts, devbox: fakeDevbox({ images: [] }), kubesprayTrees });
    await expect(
      runAction(action, { io: new FakeIoHost(), ports, signal: new AbortController().signal, dryRun: false }),
    ).rejects.toThrow(/the dev-box image .* is not on this Docker engine/);
    expect(ports.calls).toContain('kubesprayTrees');
    const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as {
      phases: Record<string, { status: string }>;
    };
    expect(state.phases['render']?.status).toBe('done');
    expect(state.phases['kubespray-source']?.status).toBe('done');
    expect(state.phases['kubespray']?.status).toBe('failed');

    // The rerun (the image still missing): the finished phases with unchanged inputs are skipped, the source is
    // verified again (cheap, and a tree can change), the failed playbook is run again.
    const rerun = async (path: string) => {
      const io = new FakeIoHost();
      const error = await runAction(
        deployAction(
          { layout: { kind: 'yaml', path }, configPath },
          { report: async () => undefined },
          { workDirOverride: workDir, env: {}, cwd: dir, check: checkOptions(workDir) },
        ),
        { io, ports, signal: new AbortController().signal, dryRun: false },
      ).catch((caught: unknown) => caught);
      expect(String(error)).toMatch(/is not on this Docker engine/);
      const outcome = (phase: string) => io.spanOf(phase)?.outcome;
      return ['render', 'check', 'kubespray-source', 'kubespray'].map((phase) => `${phase} ${outcome(phase)}`);
    };
    expect(await rerun(layoutPath)).toEqual([
      'render skipped',
      'check skipped',
      'kubespray-source ok',
      'kubespray failed',
    ]);

    // A machine's new IP renders differently and is checked again; nothing else that finished runs.
    const moved = baseLayout();
    (moved['machine-list'] as Array<Record<string, unknown>>)[1]!['hostip'] = '10.0.0.99';
    const movedPath = join(dir, 'moved-layout.yaml');
    writeFileSync(movedPath, stringify(moved));
    expect(await rerun(movedPath)).toEqual(['render ok', 'check ok', 'kubespray-source ok', 'kubespray failed']);
  });
});

describe('resuming', () => {
  it('skips a render whose bytes did not change since it finished, and redoes it when they did', async () => {
    const { layoutPath, configPath } = writeInputs(dir, baseLayout(), baseConfig());
    const workDir = join(dir, 'resume-work');
    const run = async (path: string) => {
      const ports = fakePorts();
      const deploy = deployAction(
        { layout: { kind: 'yaml', path }, configPath },
        { report: async () => undefined },
        { workDirOverride: workDir, env: {}, cwd: dir, check: checkOptions(workDir) },
      );
      // validate and render only: the phases that need no machine.
      const action = { ...deploy, phases: deploy.phases.slice(0, 2) };
      const result = await runAction(action, {
        io: new FakeIoHost(),
        ports,
        signal: new AbortController().signal,
        dryRun: false,
      });
      return { result, ports };
    };
    const first = await run(layoutPath);
    expect(first.ports.written.map((write) => write.dir)).toEqual([join(workDir, 'rendered')]);
    const second = await run(layoutPath);
    expect(second.result.skipped).toEqual(['render']);
    expect(second.ports.written).toEqual([]);
    const changed = baseLayout();
    changed['machine-list'][1]!['hostip'] = '10.0.0.99';
    const third = await run(writeInputs(dir, changed, baseConfig()).layoutPath);
    expect(third.result.skipped).toEqual([]);
    expect(third.ports.written.map((write) => write.dir)).toEqual([join(workDir, 'rendered')]);
  });
});
