import type { OpenpaiTree } from '../../openpai/tree/openpai-tree.js';
import type { ServiceParts } from './services.js';

/**
 * The product's parts of a services run, loaded when a service command runs (nunjucks, the model's 25 parsers and
 * the recipes are not needed for --help or any other command).
 */
export async function serviceParts(): Promise<ServiceParts> {
  const [model, templates, recipes, readiness] = await Promise.all([
    import('../../openpai/model/index.js'),
    import('../../openpai/templates/render-template.js'),
    import('../../openpai/services/recipe-catalog.js'),
    import('./service-readiness.js'),
  ]);
  return {
    render: templates.renderTemplate,
    recipeFor: recipes.recipeFor,
    waiter: readiness.workloadWaiter,
    status: readiness.workloadStates,
    model: ({ layout, servicesConfiguration, tree }) =>
      model.buildClusterModel({
        layout,
        servicesConfiguration,
        defaults: tree.defaults,
        alertTemplates: alertTemplatesOf(tree, model.isAlertTemplateDirectory),
      }),
  };
}

/**
 * alert-manager's e-mail templates in the tree: the folders under its deploy/alert-templates/ that hold both
 * html.ejs and subject.ejs (the model's alert-manager parser listed that folder itself).
 */
export function alertTemplatesOf(tree: OpenpaiTree, isTemplate: (files: readonly string[]) => boolean): string[] {
  const folders = new Map<string, string[]>();
  for (const path of tree.deployFiles('alert-manager').keys()) {
    const match = /^alert-templates\/([^/]+)\/([^/]+)$/.exec(path);
    if (match) folders.set(match[1]!, [...(folders.get(match[1]!) ?? []), match[2]!]);
  }
  return [...folders]
    .filter(([, files]) => isTemplate(files))
    .map(([name]) => name)
    .sort();
}
