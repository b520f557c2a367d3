import type { z } from 'zod';
import type { PathSegment } from '../findings/finding.js';
import { quote } from '../findings/finding.js';
import { describeHidden } from './secrets.js';
import type { FindingSink, InputFile } from '../findings/sink.js';

/** Turns zod issues into findings that name the field, the value found and what belongs there. */
export function reportSchemaIssues(
  sink: FindingSink,
  file: InputFile,
  root: unknown,
  issues: readonly z.core.$ZodIssue[],
  hintFor: (path: readonly PathSegment[]) => string,
  isSecret: (path: readonly PathSegment[]) => boolean,
): void {
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
    const value = valueAt(root, path);
    const secret = isSecret(path);
    // A value that may be secret is described (kind and length), never quoted.
    const shown = secret ? describeHidden(value) : quote(value);
    const what = secret ? describeHidden(value) : `${describeType(value)} ${quote(value)}`;
    const hint = hintFor(path);
    switch (issue.code) {
      case 'invalid_type':
      case 'invalid_union':
        if (value === undefined) {
          sink.error(
            'missing-field',
            { file, path: path.slice(0, -1), part: 'key' },
            `required field "${String(path.at(-1))}" is missing`,
            hint,
          );
        } else if (value === null) {
          sink.error(
            'empty-value',
            { file, path },
            issue.code === 'invalid_type'
              ? `has no value (expected ${describeExpected(issue.expected)})`
              : 'has no value',
            hint,
          );
        } else if (issue.code === 'invalid_union') {
          sink.error('wrong-type', { file, path }, `${what} is not allowed here`, hint);
        } else {
          sink.error('wrong-type', { file, path }, `expected ${describeExpected(issue.expected)}, found ${what}`, hint);
        }
        break;
      case 'invalid_value':
        sink.error(
          'invalid-value',
          { file, path },
          `${shown} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
          hint,
        );
        break;
      case 'too_small':
        if (issue.origin === 'array') sink.error('empty-list', { file, path }, 'must not be empty', hint);
        else if (issue.origin === 'string') sink.error('empty-value', { file, path }, 'must not be empty', hint);
        else sink.error('out-of-range', { file, path }, `${shown} is below the minimum ${String(issue.minimum)}`, hint);
        break;
      case 'too_big':
        sink.error('out-of-range', { file, path }, `${shown} is above the maximum ${String(issue.maximum)}`, hint);
        break;
      case 'invalid_format':
        sink.error('invalid-format', { file, path }, `${shown} has the wrong format`, hint);
        break;
      default:
        sink.error('invalid-value', { file, path }, `${shown}: ${issue.message}`, hint);
    }
  }
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

export function describeType(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'the string';
    case 'number':
      return Number.isInteger(value) ? 'the number' : 'the decimal';
    case 'boolean':
      return 'the boolean';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
    case 'int':
      return 'a number';
    case 'boolean':
      return 'a boolean (true or false, unquoted)';
    default:
      return expected;
  }
}
