/**
 * What a ported parser works with: the loaded input files (with positions, for findings), the report findings go
 * to, and a way to stop a parser where OpenPAI's would have raised an exception.
 */
import { PaiDeployError } from '../../errors.js';
import {
  formatPath,
  type Finding,
  type PathSegment,
  type Severity,
  type SourceLocation,
} from '../../findings/finding.js';
import { implicitTag } from '../../config/yaml-values.js';
import { get, isMap } from './values.js';
import type { ModelMap, ModelValue } from './types.js';

/** A parsed input file: its value (undefined when it could not be parsed) and where each field is. */
export interface LoadedFile {
  path: string;
  text: string;
  value: ModelValue | undefined;
  locate(path: readonly PathSegment[], part?: 'key' | 'value'): SourceLocation;
}

/** The files a finding can point into; a service's defaults file by the service's name. */
export type FileRef = 'layout' | 'services' | { defaults: string };

export interface Where {
  file: FileRef;
  path: readonly PathSegment[];
  part?: 'key' | 'value';
}

export interface InputFiles {
  layout: LoadedFile;
  services: LoadedFile;
  defaults: ReadonlyMap<string, LoadedFile>;
}

/**
 * Thrown inside a parser where OpenPAI's Python would have raised (a KeyError, a TypeError): the finding is already
 * in the report, and the driver moves on to the next parser. Never leaves buildClusterModel.
 */
export class ParserStop extends PaiDeployError {
  constructor(readonly finding: Finding) {
    super(finding.message, { hint: finding.hint });
  }
}

export class Report {
  readonly findings: Finding[] = [];

  constructor(private readonly files: InputFiles) {}

  file(ref: FileRef): LoadedFile | undefined {
    if (ref === 'layout') return this.files.layout;
    if (ref === 'services') return this.files.services;
    return this.files.defaults.get(ref.defaults);
  }

  add(severity: Severity, code: string, where: Where, message: string, hint: string): Finding {
    const file = this.file(where.file);
    const location: SourceLocation = file
      ? file.locate(where.path, where.part)
      : { file: typeof where.file === 'string' ? where.file : where.file.defaults, line: 0, column: 0 };
    const path = formatPath(where.path);
    const finding: Finding = {
      severity,
      code,
      ...location,
      path,
      message: path ? `${path}: ${message}` : message,
      hint,
    };
    this.findings.push(finding);
    return finding;
  }

  error(code: string, where: Where, message: string, hint: string): void {
    this.add('error', code, where, message, hint);
  }

  warning(code: string, where: Where, message: string, hint: string): void {
    this.add('warning', code, where, message, hint);
  }

  /** An error where OpenPAI's parser raised: reported; the caller throws what this returns to stop the parser. */
  stop(code: string, where: Where, message: string, hint: string): ParserStop {
    return new ParserStop(this.add('error', code, where, message, hint));
  }

  /**
   * Whether the YAML text of a number was a float (`3000.0`): a loaded number no longer tells, and OpenPAI's
   * `type(port) != int` checks turn floats away. Reads the plain scalar at the value's position.
   */
  wasFloat(where: Where): boolean {
    const file = this.file(where.file);
    if (!file) return false;
    const { line, column } = file.locate(where.path, 'value');
    if (line < 1) return false;
    const lineText = file.text.split(/\r\n?|\n/)[line - 1] ?? '';
    const token = lineText
      .slice(column - 1)
      .split(/\s#|[,\]}]/)[0]!
      .trim();
    return token !== '' && implicitTag(token) === 'float';
  }
}

/** Where a top-level key of a service's merged configuration came from: the user's section, else the defaults. */
export function keyOrigin(
  service: string,
  section: ModelMap,
  path: readonly PathSegment[],
  part?: 'key' | 'value',
): Where {
  let node: ModelValue | undefined = section;
  for (const segment of path) {
    if (isMap(node)) node = get(node, String(segment));
    else if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else node = undefined;
    if (node === undefined) break;
  }
  if (node !== undefined) return { file: 'services', path: [service, ...path], part };
  return { file: { defaults: service }, path, part };
}
