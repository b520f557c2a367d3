import { prepareServices, renderAll, type PreparedService } from '../../cluster/services/run-services.js';
import { describeRef } from '../../cluster/services/run-steps.js';
import { parseManifests, takesDeployRules, withDeployRules } from '../../openpai/tree/manifests.js';
import { readOpenpaiTree } from '../../openpai/tree/read-tree.js';
import type { DeployRule } from '../../openpai/tree/service-definition.js';
import type { KubeObject, KubeObjectRef } from '../../ports/kube-api.js';
import { refOf } from '../../ports/kube-api.js';
import type { Phase } from '../phase.js';
import { requireLive, type ClusterApiData } from './cluster-api.js';
import type { OpenpaiSourceData } from './openpai-source.js';
import {
  buildServiceModel,
  readLocalFile,
  storedConfiguration,
  type ServiceParts,
  type WorkloadState,
} from './services.js';
import { requireCluster } from './validate.js';

export interface ServiceStatus {
  service: string;
  /** `ready` when every workload is; `skipped` when the service is not deployed on this cluster. */
  state: 'ready' | 'not-ready' | 'skipped' | 'no-workloads';
  reason?: string;
  workloads: WorkloadState[];
}

export interface ServiceStatusData extends ClusterApiData, OpenpaiSourceData {
  serviceStatus?: ServiceStatus[];
}

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'Pod']);

/**
 * Every service's workloads (those its start applies, read from its rendered manifests) and their state now, in
 * start order. Writes nothing and waits for nothing.
 */
export function serviceStatusPhase<D extends ServiceStatusData>(options: {
  only: readonly string[] | undefined;
  parts: () => Promise<ServiceParts>;
}): Phase<D> {
  return {
    id: 'service-status',
    title: "Read the OpenPAI services' workloads",
    async run(ctx) {
      const { spec } = requireCluster(ctx.data);
      const live = requireLive(ctx.data);
      if (ctx.data.openpaiDir === undefined) throw new Error('internal: service status needs the OpenPAI tree');
      const tree = readOpenpaiTree(ctx.data.openpaiDir);
      const parts = await options.parts();
      const files = await storedConfiguration(ctx, live.api, spec.config.clusterId);
      const cfg = buildServiceModel(ctx, parts, tree, files);
      const prepared = prepareServices({
        operation: 'start',
        tree,
        cfg,
        render: parts.render,
        recipeFor: (name) => parts.recipeFor(name),
        ...(options.only !== undefined ? { only: options.only } : {}),
      });
      renderAll(prepared, { recipeFor: (name) => parts.recipeFor(name), readLocalFile });
      const { contexts, plan } = prepared;
      const statuses: ServiceStatus[] = plan.skipped.map(({ name, reason }) => ({
        service: name,
        state: 'skipped',
        reason,
        workloads: [],
      }));
      for (const name of plan.layers.flat()) {
        const prepared = contexts.get(name)!;
        const refs = workloadsOf(name, prepared, parts, tree.services.find((s) => s.name === name)?.deployRules ?? []);
        const workloads = await parts.status(live.api, refs, ctx.signal);
        const ready = workloads.every((workload) => workload.state === 'ready');
        statuses.push({
          service: name,
          state: workloads.length === 0 ? 'no-workloads' : ready ? 'ready' : 'not-ready',
          workloads,
        });
      }
      ctx.data.serviceStatus = statuses;
      const notReady = statuses.filter((status) => status.state === 'not-ready');
      ctx.setOutputs({ services: statuses.length, notReady: notReady.length });
      for (const status of notReady)
        for (const workload of status.workloads.filter((w) => w.state !== 'ready'))
          ctx.io.notify({
            level: 'warn',
            code: 'services.not-ready',
            phase: 'service-status',
            host: status.service,
            text: `${describeRef(workload.ref)}: ${workload.summary}`,
          });
    },
  };
}

/** The workloads a service's start applies: from the manifest files of its steps and the objects it builds. */
function workloadsOf(
  service: string,
  prepared: PreparedService,
  parts: ServiceParts,
  rules: readonly DeployRule[],
): KubeObjectRef[] {
  const rendered = prepared.rendered();
  const objects: KubeObject[] = [];
  for (const step of parts.recipeFor(service).start(prepared.context)) {
    if (step.kind === 'apply') objects.push(...step.objects);
    if (step.kind !== 'apply-files') continue;
    for (const path of step.paths) {
      const text = rendered.files.read(path);
      if (text === undefined) continue;
      const parsed = parseManifests(service, path, text);
      objects.push(
        ...(rendered.rendered.has(path) && takesDeployRules(path)
          ? parsed.map((object) => withDeployRules(object, rules))
          : parsed),
      );
    }
  }
  return objects
    .filter((object) => WORKLOADS.has(object.kind))
    .map((object) => {
      const ref = refOf(object);
      return ref.namespace === undefined ? { ...ref, namespace: 'default' } : ref;
    });
}
