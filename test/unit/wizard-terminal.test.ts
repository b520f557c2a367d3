import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { TerminalHost } from '../../src/cli/io/terminal-host.js';
import { runQuickStartWizard, type MachineProbe } from '../../src/cli/wizard/index.js';
import { InterruptedError } from '../../src/errors.js';
import { validateCluster } from '../../src/rules/validate-cluster.js';
import { fakePorts } from '../support/fake-ports.js';
import { FakeStream } from '../support/fake-stream.js';
import { tempDir } from '../support/fixtures.js';

/**
 * The wizard on the terminal host with the real @inquirer/prompts, on a fake terminal (a TTY-looking stdin the test
 * types into, a sized stderr it reads): what the user sees under a prompt, a masked password, Ctrl-C.
 */
const dir = tempDir('pai-deploy-wizard-terminal-');
const ENTER = '\r';
const DOWN = '\x1b[B';
const CTRL_U = '\x15';

class FakeTerminal {
  readonly stdin = Object.assign(new PassThrough(), { isTTY: true });
  // Like process.stderr, a stdio stream: @inquirer/core pipes each prompt's output into it through a legacy pipe,
  // which ends any other destination when the prompt is done.
  readonly stderr = Object.assign(new FakeStream({ isTTY: true, columns: 160, rows: 50 }), { _isStdio: true });
  readonly host = new TerminalHost({
    stdout: new FakeStream({ isTTY: true, columns: 160, rows: 50 }),
    stderr: this.stderr,
    env: { TERM: 'xterm' },
    stdin: this.stdin,
    intervalMs: 10,
  });
  #seen = 0;

  get screen(): string {
    return stripVTControlCharacters(this.stderr.text);
  }

  /** Waits until `text` is shown (after what was already waited for), then types `keys`. */
  async answer(text: string | RegExp, keys: string): Promise<string> {
    const shown = await this.waitFor(text);
    this.stdin.write(keys);
    return shown;
  }

  async waitFor(text: string | RegExp, timeoutMs = 5000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const raw = this.stderr.text;
      const fresh = stripVTControlCharacters(raw.slice(this.#seen));
      if (typeof text === 'string' ? fresh.includes(text) : text.test(fresh)) {
        this.#seen = raw.length;
        return fresh;
      }
      if (Date.now() > until)
        throw new Error(`not shown within ${timeoutMs} ms: ${String(text)}\n--- screen ---\n${fresh}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

const terminals: FakeTerminal[] = [];
afterEach(async () => {
  for (const terminal of terminals.splice(0)) await terminal.host.close();
});

function keyFile(): string {
  const path = join(dir, `id_${terminals.length}_${Date.now()}`);
  writeFileSync(path, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', {
    mode: 0o600,
  });
  chmodSync(path, 0o600);
  return path;
}

function start(probe?: MachineProbe) {
  const terminal = new FakeTerminal();
  terminals.push(terminal);
  const ports = fakePorts();
  const out = join(dir, `out-${terminals.length}-${Date.now()}`);
  mkdirSync(out);
  const run = runQuickStartWizard(
    terminal.host,
    {
      ports,
      cwd: dir,
      signal: new AbortController().signal,
      env: { PAI_DEPLOY_HOME: join(dir, 'home') },
      ...(probe ? { probe } : {}),
    },
    { dir: out },
  );
  // A rejection is asserted by the test; never unhandled meanwhile.
  run.catch(() => undefined);
  return { terminal, ports, out, run };
}

describe('the wizard on a terminal', () => {
  it("shows the finding's message and hint under the prompt and asks again", async () => {
    const { terminal, run } = start();
    await terminal.answer('Cluster id', `Bad_Id${ENTER}`);
    const shown = await terminal.waitFor('has the wrong format');
    expect(shown).toContain('hint: (pai-deploy) the OpenPAI cluster id');
    // The prompt is still open with the bad answer kept: clear it and give a good one.
    terminal.stdin.write(`${CTRL_U}lab${ENTER}`);
    await terminal.answer('SSH user', `pai${ENTER}`);
    await terminal.answer('SSH port', `99999${ENTER}`);
    await terminal.waitFor('is above the maximum 65535');
    terminal.stdin.write('\x03');
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
  });

  it('Ctrl-C in a prompt rejects with InterruptedError and writes nothing', async () => {
    const { terminal, ports, run } = start();
    await terminal.answer('Cluster id', ENTER);
    await terminal.answer('SSH user', 'pa\x03');
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(ports.calls).toEqual([]);
  });

  it('a whole run: selects, a masked password, a machine list from the editor, the summary, the write', async () => {
    const list = join(dir, 'machines.txt');
    writeFileSync(list, 'pai-master-01 10.0.0.10\npai-gpu-01 10.0.0.11\n');
    const editor = join(dir, 'fake-editor');
    writeFileSync(editor, `#!/bin/sh\ncat ${JSON.stringify(list)} > "$1"\n`, { mode: 0o755 });
    const saved = { VISUAL: process.env['VISUAL'], EDITOR: process.env['EDITOR'] };
    process.env['VISUAL'] = editor;
    try {
      const probe: MachineProbe = async (request) =>
        request.targets.map((target) => ({
          ...target,
          ok: true,
          authMethod: 'publickey',
          pythons: [{ path: '/usr/bin/python', major: 2, minor: 7, apt: true }],
          hardware:
            target.hostname === 'pai-gpu-01'
              ? { gpus: 2, gpuModel: 'Tesla T4', cpus: 16, memoryBytes: 64.2 * 2 ** 30 }
              : { gpus: 0, gpuModel: undefined, cpus: 4, memoryBytes: 15.5 * 2 ** 30 },
        }));
      const { terminal, ports, out, run } = start(probe);
      const secret = 'pw-on-the-terminal';
      await terminal.answer('Cluster id', ENTER);
      await terminal.answer('SSH user', `pai${ENTER}`);
      await terminal.answer('SSH port', ENTER);
      await terminal.answer('How does pai-deploy log in', ENTER);
      await terminal.answer('Private key file', `${CTRL_U}${keyFile()}${ENTER}`);
      await terminal.answer('Does sudo ask', `y${ENTER}`);
      await terminal.answer('Password of the user for sudo', `${secret}${ENTER}`);
      await terminal.answer('The machines', `${DOWN}${ENTER}`);
      await terminal.answer('Press', ENTER);
      await terminal.answer('over SSH now', ENTER);
      // The master's SKU, prefilled from the probe.
      await terminal.answer(/CPU cores per machine.*\(4\)/, ENTER);
      await terminal.answer(/Memory per machine.*\(15Gi\)/, ENTER);
      // The GPU worker's SKU: NVIDIA is the default, the model and count come from nvidia-smi.
      await terminal.answer("GPUs of gpu-machine's machines", ENTER);
      await terminal.answer(/Device model.*\(Tesla T4\)/, ENTER);
      await terminal.answer(/Devices per machine.*\(2\)/, ENTER);
      await terminal.answer(/CPU cores per machine.*\(16\)/, ENTER);
      await terminal.answer(/Memory per machine.*\(64Gi\)/, ENTER);
      await terminal.answer('Registry of OpenPAI', ENTER);
      await terminal.answer('Image namespace', ENTER);
      await terminal.answer(/OpenPAI release.*\(v1\.8\.0\)/, ENTER);
      await terminal.answer('network plugin', ENTER);
      await terminal.answer('advanced', ENTER);
      const summary = await terminal.answer(`Write ${join(out, 'layout.yaml')}`, ENTER);
      expect(summary).toContain('Cluster "pai": 1 master, 1 worker');
      expect(summary).toContain('SKU gpu-machine: 2 x nvidia.com/gpu (Tesla T4), 16 CPU cores, 64Gi');
      await expect(run).resolves.toEqual({
        layoutPath: join(out, 'layout.yaml'),
        configPath: join(out, 'config.yaml'),
      });
      // The password was masked on the terminal and is in config.yaml only.
      expect(terminal.screen).not.toContain(secret);
      const files = Object.fromEntries(ports.written[0]!.files.map((file) => [file.path, file]));
      expect(files['config.yaml']!.mode).toBe(0o600);
      expect(files['config.yaml']!.content).toContain(`password: "${secret}"`);
      for (const [name, file] of Object.entries(files))
        writeFileSync(join(out, name), file.content, { mode: file.mode });
      const validation = await validateCluster(
        { kind: 'yaml', path: join(out, 'layout.yaml') },
        join(out, 'config.yaml'),
      );
      expect(validation.errors).toEqual([]);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
