/**
 * A small, fast YAML emitter for the large plain documents pai-deploy writes (hosts.yml and layout.yaml hold one
 * entry per machine; the yaml library's stringify costs ~0.5 s at 4,096 machines). Plain data only: mappings,
 * lists, strings, finite numbers, booleans and null. A string is written plain only when both YAML 1.1 readers
 * (PyYAML, Ansible) and YAML 1.2 read it back as the same string; anything else is double-quoted.
 */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

const SAFE_WORD = /^[A-Za-z][A-Za-z0-9_./-]*$/;
const SAFE_IPV4 = /^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(\/[0-9]{1,2})?$/;
const RESERVED_WORD =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|nan|NaN|NAN|inf|Inf|INF)$/;

export function emitYaml(value: PlainValue): string {
  const lines: string[] = [];
  emitBlock(value, 0, lines);
  return lines.join('\n') + '\n';
}

export function scalar(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  return (SAFE_WORD.test(value) && !RESERVED_WORD.test(value)) || SAFE_IPV4.test(value) ? value : JSON.stringify(value);
}

function emitBlock(value: PlainValue, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !isEmpty(item)) {
        const nested: string[] = [];
        emitBlock(item, indent + 2, nested);
        lines.push(`${pad}- ${nested[0]!.slice(indent + 2)}`, ...nested.slice(1));
      } else {
        lines.push(`${pad}- ${inline(item)}`.trimEnd());
      }
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (isCollection(item) && !isEmpty(item)) {
        lines.push(`${pad}${scalar(key)}:`);
        emitBlock(item, Array.isArray(item) ? indent + 2 : indent + 2, lines);
      } else {
        lines.push(`${pad}${scalar(key)}: ${inline(item)}`.trimEnd());
      }
    }
    return;
  }
  lines.push(pad + scalar(value));
}

function inline(value: PlainValue): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value);
}

function isCollection(value: PlainValue): value is PlainValue[] | { [key: string]: PlainValue } {
  return value !== null && typeof value === 'object';
}

function isEmpty(value: PlainValue[] | { [key: string]: PlainValue }): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}
