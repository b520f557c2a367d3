import { stringify } from 'yaml';

/** YAML as Ansible and PyYAML (YAML 1.1) read it back: "yes", "0755" and the like stay quoted strings. */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', nullStr: '', lineWidth: 0, indentSeq: true });
}
