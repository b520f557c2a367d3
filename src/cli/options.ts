import { InvalidArgumentError } from './commander.js';

/**
 * Typed option values for commander. A value that does not parse is refused with a message naming what was
 * expected (commander turns InvalidArgumentError into "error: option '--x <n>' argument 'abc' is invalid. ...").
 * Never NaN: `--max-clock-offset abc` once became NaN and then every clock-skew check passed.
 */
export function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return Number(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: `90s`, `2m`, `1.5s`, `500ms`, `1h`; a bare number is seconds (as these flags always
 * took). Zero and negative durations are refused.
 */
export function duration(value: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match)
    throw new InvalidArgumentError('expected a duration such as 30, 30s, 2m or 500ms (a bare number is seconds).');
  const milliseconds = Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000);
  if (!(milliseconds > 0) || !Number.isFinite(milliseconds))
    throw new InvalidArgumentError('expected a duration above zero.');
  return milliseconds;
}

/** Comma-separated and repeatable: `--skip a,b --skip c` → [a, b, c]. */
export function list(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected one or more comma-separated names.');
  return [...(previous ?? []), ...items];
}

/**
 * A path. A value that starts with "-" is almost always a forgotten argument (`render --out --help`), so it is
 * refused; a file really named like that can be given as ./-name.
 */
export function path(value: string): string {
  if (value === '') throw new InvalidArgumentError('expected a path, got an empty string.');
  if (value.startsWith('-'))
    throw new InvalidArgumentError(
      `expected a path, got the flag-like "${value}" (write ./${value} for a file of that name).`,
    );
  return value;
}
