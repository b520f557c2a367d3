import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { loadCluster } from '../../../src/config/load-cluster.js';
import { buildClusterModel } from '../../../src/openpai/model/index.js';
import { renderTemplate } from '../../../src/openpai/templates/render-template.js';
import { readOpenpaiTree } from '../../../src/openpai/tree/read-tree.js';
import { configFiles } from '../../../src/phase/phases/cluster-write.js';
import { describeWithInfra } from '../../support/infra.js';
import { jinja2Probe, renderWithJinja2 } from '../../support/jinja2.js';

/**
 * Every template of the OpenPAI-shaped fixture tree (what the services integration test deploys), rendered with
 * the cluster object model of the shipped example by pai-deploy and by real Jinja2: byte-identical, so what the
 * deploy test checks is what paictl would have rendered.
 */
const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

await describeWithInfra('the fixture tree rendered as Jinja2 renders it', jinja2Probe, () => {
  it('every template of every service, byte for byte', async () => {
    const loaded = await loadCluster(
      { kind: 'yaml', path: root('examples/layout.yaml') },
      root('examples/config.yaml'),
    );
    const files = configFiles(loaded.input!);
    const tree = readOpenpaiTree(root('test/fixtures/openpai-shaped'));
    const { model, findings } = buildClusterModel({
      layout: { path: 'layout.yaml', text: files['layout.yaml']! },
      servicesConfiguration: { path: 'services-configuration.yaml', text: files['services-configuration.yaml']! },
      defaults: tree.defaults,
    });
    expect(findings.filter((finding) => finding.severity === 'error')).toEqual([]);
    const templates = tree.services.flatMap((service) =>
      service.templates.map((entry) => ({
        name: `${service.name}/${entry}`,
        template: tree.deployFiles(service.name).get(`${entry}.template`)!.text,
      })),
    );
    expect(templates.length).toBeGreaterThanOrEqual(12);
    const context = { cluster_cfg: model as Record<string, unknown> };
    const answers = renderWithJinja2(templates.map(({ template }) => ({ template, context })));
    templates.forEach(({ name, template }, index) => {
      const answer = answers[index]!;
      expect('ok' in answer ? answer.ok : answer.error, name).toBe(renderTemplate(template, context, { name }));
    });
  });
});
