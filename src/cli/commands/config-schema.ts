import type { SchemaKind } from '../../config/json-schema.js';
import type { CommandEnv } from '../command-env.js';

/** Prints the JSON Schema of layout.yaml or config.yaml (generated from the schemas validation uses). */
export async function runConfigSchema(_flags: object, env: CommandEnv, [kind]: string[]): Promise<void> {
  const { jsonSchema } = await import('../../config/json-schema.js');
  await env.io.result(JSON.stringify(jsonSchema(kind as SchemaKind), null, 2) + '\n');
}
