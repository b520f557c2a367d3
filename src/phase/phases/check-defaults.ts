// No imports: the CLI reads these while it builds --help, which must load nothing heavy.

/** The defaults of `check`'s flags (program.ts shows them in --help; `plan` runs the check phase with them). */
export const CHECK_DEFAULTS = {
  concurrency: 20,
  connectTimeoutMs: 10_000,
  connectAttempts: 3,
  commandTimeoutMs: 30_000,
  machineTimeoutMs: 300_000,
  maxClockOffsetMs: 1000,
  retryDelayMs: 1000,
} as const;
