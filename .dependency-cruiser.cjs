// The layers of src/ and who may depend on whom (README "Architecture").
// Every layer may import itself and the layers listed in its `allowed` set; everything else under src/ is
// forbidden. Type-only imports count: with tsPreCompilationDeps they are dependencies like any other.
// Run with `npm run lint:deps`.

/** @param {string} dir */
const folder = (dir) => `^src/${dir}/`;

const layers = {
  base: '^src/(errors|assets|cooperate)[.]ts$|^src/(net|fs)/',
  findings: folder('findings'),
  model: folder('model'),
  ports: folder('ports'),
  config: folder('config'),
  kubespray: folder('kubespray'),
  openpai: folder('openpai'),
  cluster: folder('cluster'),
  rules: folder('rules'),
  render: folder('render'),
  checks: folder('checks'),
  phase: folder('phase'),
  actions: folder('actions'),
  infra: folder('infra'),
  cli: folder('cli'),
};

/** @typedef {keyof typeof layers} Layer */

/** Everything phase/ may import (and so actions/ too). @type {Layer[]} */
const belowPhase = [
  'cluster',
  'checks',
  'rules',
  'render',
  'kubespray',
  'openpai',
  'config',
  'ports',
  'model',
  'findings',
  'base',
];

/** What each layer (besides itself) may import from src/. `cli` may import anything. */
/** @type {Record<Exclude<Layer, 'base' | 'cli'>, Layer[]>} */
const allowed = {
  findings: ['base'],
  model: ['findings', 'base'],
  ports: ['model', 'findings', 'base'],
  // config → ports is type-only; see config-imports-ports-types-only below.
  config: ['ports', 'model', 'findings', 'base'],
  // kubespray reads the normalized kubespray overrides from config; it knows nothing of openpai.
  // kubespray → ports is type-only (a planned container run is a ContainerRunSpec); see the rule below.
  kubespray: ['config', 'ports', 'model', 'findings', 'base'],
  // openpai may read kubespray facts (not the other way round). openpai → ports is type-only: a service's recipe
  // names the Kubernetes objects it wants (KubeObject) but never talks to a cluster; see the rule below.
  openpai: ['kubespray', 'config', 'ports', 'model', 'findings', 'base'],
  // cluster/: the live cluster's logic (nodes, labels, stored configuration, apply) over the KubeApi port.
  cluster: ['openpai', 'kubespray', 'config', 'ports', 'model', 'findings', 'base'],
  rules: ['kubespray', 'openpai', 'config', 'ports', 'model', 'findings', 'base'],
  render: ['kubespray', 'openpai', 'config', 'ports', 'model', 'findings', 'base'],
  checks: ['config', 'ports', 'model', 'findings', 'base'],
  // phase/ (manager, state, lock, phases/*) never reaches infra/ or cli/: adapters arrive as ports.
  phase: belowPhase,
  actions: ['phase', ...belowPhase],
  // infra/ implements ports; it never imports phase/ (no phase contract is needed there today), actions/ or cli/.
  infra: ['ports', 'model', 'findings', 'base'],
};

const layerRules = Object.entries(allowed).map(([layer, lower]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import only itself and ${lower.join(', ')} (see .dependency-cruiser.cjs).`,
  severity: 'error',
  from: { path: layers[/** @type {Layer} */ (layer)] },
  to: { path: '^src/', pathNot: [layer, ...lower].map((l) => layers[/** @type {Layer} */ (l)]) },
}));

/**
 * An npm package that only its adapter may import (the package itself and its @types).
 * @param {string} name rule name
 * @param {string[]} packages package names or scopes ending in '/'
 * @param {string} home the folder allowed to import them
 */
const onlyIn = (name, packages, home) => ({
  name,
  comment: `${packages.join(', ')} may be imported only in ${home}; elsewhere go through the port.`,
  severity: 'error',
  from: { pathNot: `^${home}` },
  to: {
    path: packages.map((p) => {
      const escaped = p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const types = p.startsWith('@') ? '' : `(@types/)?`;
      return `(^|/)node_modules/${types}${escaped}${p.endsWith('/') ? '' : '/'}`;
    }),
  },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No cycles anywhere in src/: they blur the layers and make load order matter.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve would silently escape every rule below.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'layer-base',
      comment:
        'errors.ts, assets.ts, cooperate.ts, net/ and fs/ are the base: they import only node builtins and each other.',
      severity: 'error',
      from: { path: layers.base },
      to: { dependencyTypesNot: ['core'], pathNot: layers.base },
    },
    ...layerRules,
    {
      name: 'kubespray-imports-ports-types-only',
      comment: "kubespray/ plans runs in the ports' terms but never runs anything: type-only imports of ports/.",
      severity: 'error',
      from: { path: layers.kubespray },
      to: { path: layers.ports, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'openpai-imports-ports-types-only',
      comment: "openpai/ describes OpenPAI's objects in the ports' terms but never runs anything: type-only imports.",
      severity: 'error',
      from: { path: layers.openpai },
      to: { path: layers.ports, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'config-imports-ports-types-only',
      comment: 'config/ may name the port interfaces but must not run the outside world: type-only imports of ports/.',
      severity: 'error',
      from: { path: layers.config },
      to: { path: layers.ports, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'render-not-rules',
      comment: 'render/ and rules/ are siblings: neither imports the other.',
      severity: 'error',
      from: { path: layers.render },
      to: { path: layers.rules },
    },
    {
      name: 'rules-not-render',
      comment: 'render/ and rules/ are siblings: neither imports the other.',
      severity: 'error',
      from: { path: layers.rules },
      to: { path: layers.render },
    },
    {
      name: 'not-to-cli',
      comment: 'src/cli/ is the top: nothing outside it imports it.',
      severity: 'error',
      from: { pathNot: layers.cli },
      to: { path: layers.cli },
    },
    {
      name: 'unlayered-module',
      comment: 'Every module of src/ belongs to a layer; add a new folder to .dependency-cruiser.cjs first.',
      severity: 'error',
      from: { path: '^src/', pathNot: Object.values(layers) },
      to: {},
    },
    {
      name: 'to-unlayered-module',
      comment: 'Every module of src/ belongs to a layer; add a new folder to .dependency-cruiser.cjs first.',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: Object.values(layers) },
    },
    onlyIn('ssh2-only-in-infra-ssh', ['ssh2'], 'src/infra/ssh/'),
    onlyIn('dockerode-only-in-infra-docker', ['dockerode', 'docker-modem'], 'src/infra/docker/'),
    onlyIn('kubernetes-client-only-in-infra-kube', ['@kubernetes/client-node'], 'src/infra/kube/'),
    onlyIn('prompts-and-tasks-only-in-cli-io', ['listr2', '@listr2/', '@inquirer/', 'inquirer'], 'src/cli/io/'),
    onlyIn('commander-only-in-cli', ['commander'], 'src/cli/'),
    onlyIn('nunjucks-only-in-openpai-templates', ['nunjucks'], 'src/openpai/templates/'),
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    moduleSystems: ['es6', 'cjs', 'tsd'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['types', 'import', 'require', 'node', 'default'],
      mainFields: ['types', 'typings', 'module', 'main'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
