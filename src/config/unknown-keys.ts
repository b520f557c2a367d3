import type { PathSegment } from '../findings/finding.js';
import type { FindingSink, InputFile } from '../findings/sink.js';
import { didYouMean } from '../findings/did-you-mean.js';

/**
 * Reports keys a mapping may not hold. `knownKeys` is keyed by a path pattern: list items as `[]`, user-chosen
 * mapping keys as `*` (declared with `wildcards`).
 */
export function reportUnknownKeys(
  sink: FindingSink,
  file: InputFile,
  root: unknown,
  knownKeys: Readonly<Record<string, readonly string[]>>,
  wildcards: ReadonlySet<string>,
  explain: (key: string) => string | undefined = () => undefined,
): void {
  const visit = (node: unknown, path: PathSegment[], pattern: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...path, index], `${pattern}[]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (wildcards.has(pattern)) {
      for (const [key, value] of Object.entries(node)) visit(value, [...path, key], join(pattern, '*'));
      return;
    }
    const known = knownKeys[pattern];
    if (!known) return;
    for (const [key, value] of Object.entries(node)) {
      if (known.includes(key)) {
        visit(value, [...path, key], join(pattern, key));
        continue;
      }
      const suggestion = didYouMean(key, known);
      const explanation = explain(key);
      const where = pattern === '' ? 'at the top level' : `in ${pattern.replace(/\[\]/g, '[]')}`;
      sink.error(
        'unknown-key',
        { file, path: [...path, key], part: 'key' },
        `unknown key "${key}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        explanation ??
          (suggestion
            ? `Rename it to "${suggestion}".`
            : `Remove it; the keys allowed ${where} are: ${known.join(', ')}.`),
      );
    }
  };
  visit(root, [], '');
}

function join(pattern: string, key: string): string {
  return pattern === '' ? key : `${pattern}.${key}`;
}
