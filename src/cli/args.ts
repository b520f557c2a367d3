import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Strict flag parsing; any mistake is a UsageError naming the command's --help. */
export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpec, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error);
    throw new UsageError(`${command}: ${message}`, `Run \`pai-deploy ${command} --help\` for the usage and examples.`);
  }
}

export function requireString(parsed: Parsed, name: string, command: string): string {
  const value = parsed.values[name];
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`${command}: --${name} is required`, `Run \`pai-deploy ${command} --help\` for the usage and examples.`);
  }
  return value;
}

export function optionalString(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function formatOption(parsed: Parsed, command: string, allowed: readonly string[]): string {
  const value = optionalString(parsed, 'format') ?? 'text';
  if (!allowed.includes(value)) {
    throw new UsageError(`${command}: --format must be one of ${allowed.join(', ')}, not "${value}"`);
  }
  return value;
}

export function positiveInt(parsed: Parsed, name: string, command: string, fallback: number): number {
  const value = optionalString(parsed, name);
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`${command}: --${name} must be a positive whole number, not "${value}"`);
  return Number(value);
}
