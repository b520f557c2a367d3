import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { signalExitCodes } from '../../src/cli/exit-codes.js';
import { buildProgram } from '../../src/cli/program.js';
import { ExitCode } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const program = buildProgram(
  () => async () => undefined,
  () => 'test',
);

function leaves(command: Command, path: string[] = []): string[][] {
  const subs = command.commands.filter((sub) => sub.name() !== 'help');
  if (subs.length === 0) return [path];
  return subs.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

describe('README', () => {
  it('has a row in the command table for every command the CLI declares, and none it does not', () => {
    const declared = leaves(program).map((path) => path.join(' '));
    for (const command of declared) expect(readme, command).toContain(`| \`pai-deploy ${command}`);
    const rows = [...readme.matchAll(/^\| `pai-deploy ([a-z0-9-]+(?: [a-z0-9-]+)?)/gm)].map((match) => match[1]!);
    for (const row of rows)
      expect(
        declared.some((command) => row === command || row.startsWith(`${command} `)),
        row,
      ).toBe(true);
  });

  it('documents the exit codes main uses', () => {
    for (const code of [ExitCode.ok, ExitCode.failed, ExitCode.usage])
      expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    expect(readme).toContain(`| ${signalExitCodes.SIGINT} / ${signalExitCodes.SIGTERM} / ${signalExitCodes.SIGHUP} |`);
  });
});
