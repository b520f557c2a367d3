import { ExitCode, PaiDeployError } from '../../errors.js';
import type { ServiceFiles } from '../services/recipe.js';
import type { OpenpaiTree } from './openpai-tree.js';
import type { ServiceDefinition } from './service-definition.js';

/** Renders one template: Jinja2 semantics (src/openpai/templates/), the template's name for messages. */
export type TemplateRenderer = (source: string, context: Record<string, unknown>, options: { name: string }) => string;

/** A service's rendered deploy folder: the files recipes read, and which of them were rendered from templates. */
export interface RenderedService {
  readonly files: ServiceFiles;
  /** The template-list entries (paths relative to deploy/, without `.template`) that were rendered. */
  readonly rendered: ReadonlySet<string>;
}

export class MissingTemplateError extends PaiDeployError {
  constructor(service: string, path: string) {
    super(`service ${service}: its service.yaml lists template ${path}, but deploy/${path}.template does not exist`, {
      exitCode: ExitCode.usage,
      hint: 'Use an unmodified OpenPAI release tree (--openpai-src), or fix the template-list in service.yaml.',
    });
  }
}

/**
 * What paictl's service_template_generate did before a start.sh ran: each template-list entry rendered from
 * `<entry>.template` with `cluster_cfg` as the only variable. Nothing is written next to the templates (paictl wrote
 * into the source tree and deleted afterwards); the rendered text stays in memory. The sources of the rendered
 * templates are not part of the deploy folder the recipes see.
 */
export function renderService(
  tree: OpenpaiTree,
  service: ServiceDefinition,
  cfg: Readonly<Record<string, unknown>>,
  render: TemplateRenderer,
): RenderedService {
  const deploy = tree.deployFiles(service.name);
  const files = new Map<string, string>();
  // A template of the template-list is replaced by its rendering; other `.template` files stay as they are
  // (pylon's nginx templates are rendered by its own container at start).
  const listed = new Set(service.templates.map((entry) => `${entry}.template`));
  for (const [path, file] of deploy) if (!listed.has(path)) files.set(path, file.text);
  const rendered = new Set<string>();
  for (const entry of service.templates) {
    const template = deploy.get(`${entry}.template`);
    if (!template) throw new MissingTemplateError(service.name, entry);
    files.set(entry, render(template.text, { cluster_cfg: cfg }, { name: template.path }));
    rendered.add(entry);
  }
  const sorted = [...files.keys()].sort();
  return {
    rendered,
    files: {
      read: (path) => files.get(path),
      list: (dir) => {
        if (dir === undefined || dir === '' || dir === '.') return sorted;
        const prefix = dir.endsWith('/') ? dir : `${dir}/`;
        return sorted.filter((path) => path.startsWith(prefix));
      },
      readService: (path) => tree.serviceFile(service.name, path)?.text,
    },
  };
}
