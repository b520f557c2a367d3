import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { ciUri, entrySentence, type CiEntry, type CiReport } from './ci-report.js';

/** The schema SARIF 2.1.0 logs name (OASIS' published copy); tests validate against the same schema. */
export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** Where relative artifact URIs are resolved: the working directory, a pipeline's checkout. */
const SRCROOT = '%SRCROOT%';

export interface SarifOptions {
  /** pai-deploy's version (the tool driver's). */
  version: string;
  /** Artifact URIs are relative to this directory. */
  cwd: string;
}

/**
 * SARIF 2.1.0, what GitHub code scanning (upload-sarif) and other static-analysis dashboards read: one run whose
 * tool is pai-deploy, a rule per finding or check code (its hint as the rule's help), a result per error and
 * warning. A result has a location when the finding (or the machine a check is about) has a place in the inputs.
 *
 * The log is built as a plain object typed by @types/sarif. node-sarif-builder was read and does not fit: it is a
 * layer of setters over the same object, and its initSimple() fills in a region ending at column 1, an invalid
 * region for a finding at column 15; the URIs and rules it would take are still ours to compute.
 */
export function formatSarif(report: CiReport, options: SarifOptions): string {
  const rules: ReportingDescriptor[] = report.rules.map((rule) => ({
    id: rule.id,
    shortDescription: { text: rule.title },
    help: { text: rule.hint },
    defaultConfiguration: { level: rule.level },
  }));
  const ruleIndex = new Map(report.rules.map((rule, index) => [rule.id, index]));
  const results = report.entries
    .filter((entry) => entry.outcome === 'error' || entry.outcome === 'warning')
    .map((entry) => result(entry, ruleIndex.get(entry.code), options.cwd));
  const log: Log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pai-deploy',
            version: options.version,
            ...(/^\d+\.\d+\.\d+/.test(options.version) && { semanticVersion: options.version }),
            rules,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(options.cwd) } },
        // Columns count UTF-16 code units: positions come from JavaScript strings of the YAML text.
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function result(entry: CiEntry, ruleIndex: number | undefined, cwd: string): Result {
  const out: Result = {
    ruleId: entry.code,
    ...(ruleIndex !== undefined && { ruleIndex }),
    level: entry.outcome === 'error' ? 'error' : 'warning',
    message: { text: entrySentence(entry) },
  };
  if (entry.location) {
    const place = ciUri(entry.location.file, cwd);
    const { line, column } = entry.location;
    out.locations = [
      {
        physicalLocation: {
          artifactLocation: place.relative ? { uri: place.uri, uriBaseId: SRCROOT } : { uri: place.uri },
          ...(line > 0 && { region: { startLine: line, ...(column > 0 && { startColumn: column }) } }),
        },
      },
    ];
  }
  return out;
}

/** A directory's file: URI with the trailing slash that makes relative references resolve inside it. */
function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}
