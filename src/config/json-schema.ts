import { z } from 'zod';
import { configSchema } from './config-schema.js';
import { layoutSchema } from './layout-schema.js';

export type SchemaKind = 'layout' | 'config';

/**
 * JSON Schemas of layout.yaml and config.yaml, generated from the zod schemas validation uses (so they cannot drift):
 * descriptions and defaults included. The zod objects are loose (pai-deploy reports unknown keys itself, with a
 * "did you mean"); for an editor an unknown key should be flagged on the spot, so every mapping with a fixed set of
 * keys is closed here. Mappings of user-chosen keys (machine-sku, openpai_kubespray_extra_var) stay open.
 */
export function jsonSchema(kind: SchemaKind): Record<string, unknown> {
  const schema = z.toJSONSchema(kind === 'layout' ? layoutSchema : configSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  closeFixedMappings(schema);
  return { ...schema, title: kind === 'layout' ? 'OpenPAI layout.yaml' : 'OpenPAI config.yaml' };
}

function closeFixedMappings(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(closeFixedMappings);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record['type'] === 'object' && record['properties'] !== undefined) record['additionalProperties'] = false;
  Object.values(record).forEach(closeFixedMappings);
}

/** Where `config init` puts the schemas: beside the files, referenced relatively (yaml-language-server resolves it). */
export function schemaFileName(kind: SchemaKind): string {
  return `${kind}.schema.json`;
}
