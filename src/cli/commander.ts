import { createRequire } from 'node:module';
import type * as Commander from 'commander';

/**
 * commander, loaded through require: it ships CommonJS, and importing it as ESM makes Node 20 scan its source for
 * named exports first. Measured on the 2-core machine: `import('commander')` adds ~16 ms to a bare node start,
 * require ~3 ms; on `pai-deploy --help` (~65 ms in all) that is the difference that matters.
 */
const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, Option, InvalidArgumentError, CommanderError } = commander;
export type Command = Commander.Command;
export type Option = Commander.Option;
export type CommanderError = Commander.CommanderError;
