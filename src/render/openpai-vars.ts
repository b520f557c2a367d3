import { isMap, parseDocument, type Document, type Pair } from 'yaml';
import { readAsset } from '../assets.js';
import type { ClusterSpec } from '../model/cluster.js';
import { configVarDefaults } from '../config/kubespray-overrides.js';
import { OPENPAI_VARS_TEMPLATE } from '../kubespray/effective-vars.js';
import { escapeRawInQuoted, quoteStrings } from './yaml-emit.js';

/**
 * openpai.yml, the extra-vars file kubespray runs with (`-e @openpai.yml`): OpenPAI's template
 * (inventory-templates/openpai.yml), then what config.yaml sets, then openpai_kubespray_extra_var with its YAML types
 * kept (OpenPAI quoted every value, which breaks kubespray's boolean assertions). A key set by a later section is
 * removed from the earlier one, so each variable appears once, where its value comes from.
 */
export function renderOpenpaiVars(input: ClusterSpec): string {
  const doc = parseDocument(readAsset(OPENPAI_VARS_TEMPLATE), { version: '1.1' });
  const fromConfig: Record<string, unknown> = { ...configVarDefaults };
  for (const { name, value } of input.config.kubespray.filter((entry) => entry.layer === 'config'))
    fromConfig[name] = value;
  const extra = input.config.extraVars;
  for (const name of [...Object.keys(fromConfig), ...Object.keys(extra)]) doc.delete(name);
  for (const name of Object.keys(extra)) delete fromConfig[name];
  appendSection(doc, ' From config.yaml:', fromConfig);
  appendSection(doc, ' From openpai_kubespray_extra_var in config.yaml:', extra);
  // The values added here are written double-quoted (`=` and `<<` would be YAML tags to Ansible's PyYAML) and the
  // characters the yaml library leaves raw in quotes are escaped.
  return escapeRawInQuoted(doc.toString({ lineWidth: 0, indentSeq: true, nullStr: '' }));
}

function appendSection(doc: Document, title: string, values: Record<string, unknown>): void {
  const entries = Object.entries(values);
  if (entries.length === 0 || !isMap(doc.contents)) return;
  entries.forEach(([name, value], index) => {
    const pair = doc.createPair(name, value) as Pair<{ commentBefore?: string | null; spaceBefore?: boolean }, unknown>;
    quoteStrings(pair.value);
    if (index === 0 && pair.key && typeof pair.key === 'object') {
      pair.key.commentBefore = title;
      pair.key.spaceBefore = true;
    }
    (doc.contents as { items: unknown[] }).items.push(pair);
  });
}
