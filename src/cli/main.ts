import { readFileSync, writeSync } from 'node:fs';
import { ExitCode, PaiDeployError } from '../errors.js';
import { runInterruptCleanups } from '../interrupt.js';
import type { CommandContext, CommandRunner } from './context.js';
import { commandHelp, mainHelp } from './help.js';
import { colourEnabled, liveDisplayPossible, makeStyle } from './output.js';

type CommandName = keyof typeof commandHelp;

/** Commands are imported only when run, so `--help` and `--version` load nothing heavy. */
const commands: Record<CommandName, () => Promise<CommandRunner>> = {
  validate: async () => (await import('./commands/validate.js')).runValidate,
  render: async () => (await import('./commands/render.js')).runRender,
  plan: async () => (await import('./commands/plan.js')).runPlan,
  'config init': async () => (await import('./commands/config-init.js')).runConfigInit,
  'config import-csv': async () => (await import('./commands/config-import-csv.js')).runConfigImportCsv,
  check: async () => (await import('./commands/check.js')).runCheck,
  'ssh setup-keys': async () => (await import('./commands/ssh-setup-keys.js')).runSshSetupKeys,
};

export async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = second === 'config' || second === 'ssh' ? `${second} ${argv[2] ?? ''}` : second;
    context.stdout.write(topic !== undefined && isCommand(topic) ? commandHelp[topic] : mainHelp);
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === '-V' || first === '--version') {
    context.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const grouped = (first === 'config' || first === 'ssh') && second !== undefined && !second.startsWith('-');
  const name = grouped ? `${first} ${second}` : first;
  if (!isCommand(name)) {
    const known = Object.keys(commands).join(', ');
    context.stderr.write(`pai-deploy: unknown command "${first === 'config' || first === 'ssh' ? `${first} ${second ?? ''}`.trim() : first}"\n    hint: the commands are ${known}; run pai-deploy --help\n`);
    return ExitCode.usage;
  }
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(commandHelp[name]);
    return ExitCode.ok;
  }
  try {
    const run = await commands[name]();
    return await run(rest, context);
  } catch (error) {
    return reportError(error, context);
  }
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

function reportError(error: unknown, context: CommandContext): number {
  const style = context.style;
  if (error instanceof PaiDeployError) {
    context.stderr.write(`${style.red('error:')} ${error.message}\n${error.hint ? `    hint: ${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (context.env['PAI_DEPLOY_DEBUG'] ? error.stack ?? error.message : error.message) : String(error);
  context.stderr.write(`${style.red('internal error:')} ${detail}\n    hint: this is a bug in pai-deploy; rerun with PAI_DEPLOY_DEBUG=1 and report the output\n`);
  return ExitCode.failed;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** The process entry: wires real streams, maps Ctrl-C to exit 130. The only place that exits. */
export async function runCli(): Promise<void> {
  process.on('SIGINT', () => {
    runInterruptCleanups();
    // Straight to the descriptor: a live display may have hijacked process.stderr.write into a buffer.
    writeSync(2, '\ninterrupted\n');
    process.exit(ExitCode.interrupted);
  });
  const context: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    style: makeStyle(colourEnabled(process.stdout)),
    liveDisplay: liveDisplayPossible(process.stdout, process.stderr, process.env),
  };
  process.exitCode = await main(process.argv.slice(2), context);
}
