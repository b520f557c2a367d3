/** /etc/os-release (KEY=value, optionally quoted). */
export interface OsRelease {
  id: string;
  versionId: string;
  prettyName: string;
  idLike: string[];
}

export function parseOsRelease(text: string): OsRelease | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    }
    fields.set(match[1]!, value);
  }
  const id = fields.get('ID');
  if (!id) return undefined;
  return {
    id: id.toLowerCase(),
    versionId: fields.get('VERSION_ID') ?? '',
    prettyName: fields.get('PRETTY_NAME') ?? `${id} ${fields.get('VERSION_ID') ?? ''}`.trim(),
    idLike: (fields.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
  };
}
