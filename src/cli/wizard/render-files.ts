import { readAsset } from '../../assets.js';
import { configDefault, type ConfigKey } from '../../config/config-schema.js';
import { schemaFileName } from '../../config/json-schema.js';
import { implicitTag } from '../../config/yaml-values.js';
import type { SkuAnswer, WizardAnswers } from './answers.js';

/**
 * layout.yaml and config.yaml as the wizard writes them, from `pai-deploy config init`'s commented examples
 * (examples/*.yaml, shipped as assets), so the files read the same whichever way they were made: the same
 * `# yaml-language-server: $schema=` line, the same explanations. config.yaml is the example with the answered keys
 * filled in (a commented `# key: default` line becomes `key: value`, keeping its trailing comment); every other key
 * stays a commented example. layout.yaml keeps the example's comments around the answered SKUs and machines.
 *
 * Pure: the same answers give the same bytes.
 */
export interface RenderedFiles {
  layout: string;
  config: string;
}

export function renderFiles(answers: WizardAnswers): RenderedFiles {
  return { layout: renderLayout(answers), config: renderConfig(answers) };
}

function schemaLine(kind: 'layout' | 'config'): string {
  return `# yaml-language-server: $schema=./${schemaFileName(kind)}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars

/**
 * A string as a YAML scalar that reads back as exactly that string under YAML 1.1 (PyYAML, and pai-deploy's reader):
 * plain when it is a plain word the resolver keeps as a string, else double-quoted with every character YAML does
 * not allow raw escaped.
 */
export function yamlString(value: string, options: { quote?: boolean } = {}): string {
  if (options.quote !== true && /^[A-Za-z0-9][A-Za-z0-9._/@-]*$/.test(value) && implicitTag(value) === 'str') {
    return value;
  }
  // JSON's escapes are YAML's too; JSON leaves DEL, the C1 block, U+2028/2029 (line breaks in YAML 1.1) and BOMs
  // raw, which YAML wants escaped.
  return JSON.stringify(value).replace(/[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function yamlValue(value: string | number | boolean | readonly string[]): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return yamlString(value);
  return `[${value.map((item) => yamlString(item, { quote: true })).join(', ')}]`;
}

/** `key: value` with the template's trailing comment kept at its column (at least two spaces after the value). */
function withComment(text: string, comment: string | undefined, column: number | undefined): string {
  if (comment === undefined) return text;
  const pad = Math.max(2, (column ?? 0) - text.length);
  return `${text}${' '.repeat(pad)}${comment}`;
}

// ---------------------------------------------------------------------------------------------------------------
// layout.yaml

interface LayoutTemplate {
  /** The comment block before `machine-sku:` (what the file is, the optional kubernetes section, SKUs explained). */
  head: string[];
  /** The comment block right before `machine-list:`. */
  listHead: string[];
  /** Trailing comments of keys inside the example's SKUs (`type:`, `count:`) and machines (`pai-storage`). */
  inline: Map<string, { comment: string; column: number }>;
  /** The example's commented `# pai-storage: "true"  # ...` line, kept below the last machine. */
  storageLine: string | undefined;
}

function layoutTemplate(): LayoutTemplate {
  const lines = readAsset('examples/layout.yaml').replace(/\n+$/, '').split('\n');
  const skuAt = lines.findIndex((line) => line.startsWith('machine-sku:'));
  const listAt = lines.findIndex((line) => line.startsWith('machine-list:'));
  const head = lines.slice(0, Math.max(0, skuAt));
  let start = listAt;
  while (start > 0 && lines[start - 1]!.startsWith('#')) start--;
  const listHead = listAt > 0 ? lines.slice(start, listAt) : [];
  const inline = new Map<string, { comment: string; column: number }>();
  let storageLine: string | undefined;
  for (const line of lines) {
    const commented = /^(\s+)# (pai-storage:.*)$/.exec(line);
    if (commented) storageLine = line.trimStart();
    const match = /^\s+([a-z-]+): [^#]*?(\s+)(# .*)$/.exec(line);
    if (match && !inline.has(match[1]!)) {
      const comment = match[3]!;
      inline.set(match[1]!, { comment, column: line.length - comment.length });
    }
  }
  return { head, listHead, inline, storageLine };
}

function renderSku(sku: SkuAnswer, inline: LayoutTemplate['inline']): string[] {
  const keyed = (indent: string, key: string, value: string) => {
    const note = inline.get(key);
    return withComment(`${indent}${key}: ${value}`, note?.comment, note?.column);
  };
  const out = [`  ${yamlString(sku.name)}:`];
  if (sku.device) {
    out.push('    computing-device:');
    out.push(keyed('      ', 'type', yamlString(sku.device.type)));
    out.push(`      model: ${yamlString(sku.device.model)}`);
    out.push(keyed('      ', 'count', yamlValue(sku.device.count)));
  }
  out.push(`    mem: ${yamlString(sku.mem, { quote: true })}`);
  out.push('    cpu:');
  out.push(`      vcore: ${yamlValue(sku.vcores)}`);
  return out;
}

export function renderLayout(answers: WizardAnswers): string {
  const template = layoutTemplate();
  const out: string[] = [...template.head];
  out.push('machine-sku:');
  for (const sku of answers.skus) out.push(...renderSku(sku, template.inline));
  if (answers.skus.length === 0) out[out.length - 1] = 'machine-sku: {}';
  out.push('');
  out.push(...template.listHead);
  out.push('machine-list:');
  answers.machines.forEach((machine, index) => {
    if (index > 0) out.push('');
    out.push(`  - hostname: ${yamlString(machine.hostname)}`);
    out.push(`    hostip: ${yamlString(machine.ip)}`);
    out.push(`    machine-type: ${yamlString(machine.sku ?? '')}`);
    out.push(machine.role === 'master' ? '    pai-master: "true"' : '    pai-worker: "true"');
  });
  if (answers.machines.length === 0) out[out.length - 1] = 'machine-list: []';
  else if (template.storageLine !== undefined) out.push(`    ${template.storageLine}`);
  return schemaLine('layout') + out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// config.yaml

type ConfigEntry = [ConfigKey, string | number | boolean | readonly string[] | undefined];

/**
 * The config keys the answers set, in the example's order. A key whose answer is its default (ssh_port 22, the
 * docker.io registry, calico) stays a commented example, as in `config init`'s file; user, docker_image_tag and
 * cluster_id are always written.
 */
function configEntries(answers: WizardAnswers): ConfigEntry[] {
  const unlessDefault = <K extends ConfigKey>(key: K, value: string | number | undefined): ConfigEntry => [
    key,
    value === undefined || value === configDefault(key) ? undefined : value,
  ];
  const { ssh, registry, advanced } = answers;
  return [
    ['user', ssh.user],
    ['ssh_key_file_path', ssh.keyFile],
    ['password', ssh.password],
    unlessDefault('ssh_port', ssh.port),
    ['docker_image_tag', registry.tag],
    ['cluster_id', answers.clusterId],
    unlessDefault('docker_registry_domain', registry.domain),
    unlessDefault('docker_registry_namespace', registry.namespace),
    ['docker_registry_username', registry.username],
    ['docker_registry_password', registry.password],
    unlessDefault('docker_data_root', advanced.dockerDataRoot),
    ['openpai_docker_insecure_registries', advanced.insecureRegistries],
    ['openpai_docker_registry_mirrors', advanced.registryMirrors],
    unlessDefault('openpai_kube_network_plugin', answers.networkPlugin),
  ];
}

/** Keys that are secrets: always double-quoted (a password of digits must stay a string). */
const QUOTED: ReadonlySet<ConfigKey> = new Set(['password', 'docker_registry_password']);

export function renderConfig(answers: WizardAnswers): string {
  const lines = readAsset('examples/config.yaml').replace(/\n+$/, '').split('\n');
  const appended: string[] = [];
  for (const [key, value] of configEntries(answers)) {
    const index = lines.findIndex((line) => keyOfLine(line) === key);
    const rendered =
      value === undefined
        ? undefined
        : `${key}: ${typeof value === 'string' && QUOTED.has(key) ? yamlString(value, { quote: true }) : yamlValue(value)}`;
    if (index < 0) {
      if (rendered !== undefined) appended.push(rendered);
      continue;
    }
    const line = lines[index]!;
    const { comment, column } = trailingComment(line);
    if (rendered !== undefined) {
      lines[index] = withComment(rendered, comment, column);
    } else if (!line.startsWith('#')) {
      // An example value the user did not choose (the example's placeholder password) becomes a commented example.
      lines[index] = withComment(`# ${key}: ""`, comment, column);
    }
  }
  if (answers.ansiblePython !== undefined) {
    const entry = [
      '  # Found on every machine by `pai-deploy quick-start` (Ansible 2.7 needs Python <= 3.7; /usr/bin/python',
      "  # would not do): kubespray's modules run with it.",
      `  ansible_python_interpreter: ${yamlString(answers.ansiblePython)}`,
    ];
    const at = lines.findIndex((line) => line === 'openpai_kubespray_extra_var:');
    if (at >= 0) lines.splice(at + 1, 0, ...entry);
    else appended.push('openpai_kubespray_extra_var:', ...entry);
  }
  if (appended.length > 0) lines.push('', '# --- Answered in `pai-deploy quick-start` ---', ...appended);
  return schemaLine('config') + lines.join('\n') + '\n';
}

/** The top-level key a line sets (`key: v`) or shows commented (`# key: v`), if any. */
function keyOfLine(line: string): string | undefined {
  return /^(?:# ?)?([a-z][a-z0-9_-]*):(?:\s|$)/.exec(line)?.[1];
}

/** A line's `# comment` after its value (two or more spaces before the #), and the column it starts at. */
function trailingComment(line: string): { comment: string | undefined; column: number | undefined } {
  const body = line.replace(/^# ?/, '');
  const match = /^[a-z][a-z0-9_-]*:\s*\S.*?(\s{2,})(# .*)$/.exec(body);
  if (!match) return { comment: undefined, column: undefined };
  const comment = match[2]!;
  return { comment, column: line.length - comment.length };
}
