import type { Finding, Locator, PathSegment, Severity } from './finding.js';
import { formatPath } from './finding.js';

export type InputFile = 'layout' | 'config';

export interface FindingTarget {
  file: InputFile;
  path: readonly PathSegment[];
  part?: 'key' | 'value';
}

/** Where the two input files' fields are (the cluster model carries these; so can a CSV import or a wizard). */
export interface FindingSources {
  layoutSource: Locator;
  configSource: Locator;
}

/** Collects findings, resolving each target field to its file, line and column. */
export class FindingSink {
  readonly findings: Finding[] = [];

  constructor(private readonly input: FindingSources) {}

  error(code: string, target: FindingTarget, message: string, hint: string): void {
    this.add('error', code, target, message, hint);
  }

  warning(code: string, target: FindingTarget, message: string, hint: string): void {
    this.add('warning', code, target, message, hint);
  }

  add(severity: Severity, code: string, target: FindingTarget, message: string, hint: string): void {
    const source = target.file === 'layout' ? this.input.layoutSource : this.input.configSource;
    const location = source.locate(target.path, target.part);
    const path = formatPath(target.path);
    this.findings.push({ severity, code, ...location, path, message: path ? `${path}: ${message}` : message, hint });
  }
}
