import type { ServiceOperation } from '../cluster/services/run-services.js';
import type { Action } from '../phase/phase.js';
import { clusterConnectPhase, type KubeTarget } from '../phase/phases/cluster-api.js';
import { openpaiSourcePhase, type OpenpaiSourceOptions } from '../phase/phases/openpai-source.js';
import { servicePlanPhase, type ServicePlanData } from '../phase/phases/service-plan.js';
import { serviceStatusPhase, type ServiceStatusData } from '../phase/phases/service-status.js';
import { servicesPhase, type ServiceParts, type ServicesData } from '../phase/phases/services.js';
import { validatePhase, type ClusterSources, type ValidateOptions } from '../phase/phases/validate.js';

export interface ServiceCommandOptions {
  source: OpenpaiSourceOptions;
  only: readonly string[] | undefined;
  parts: () => Promise<ServiceParts>;
}

/**
 * `pai-deploy service start|stop|delete`: validate, the OpenPAI tree, connect, then the services in dependency
 * order (reverse for stop and delete). Nodes that are not Ready are reported, not refused: a service's readiness
 * says which of its pods cannot run and why.
 */
export function serviceRunAction(
  operation: ServiceOperation,
  sources: ClusterSources,
  validate: ValidateOptions,
  target: KubeTarget,
  options: ServiceCommandOptions & { timeoutMs: number; confirm: boolean },
): Action<ServicesData> {
  return {
    name: `service ${operation}`,
    data: { sources },
    phases: [
      validatePhase(validate),
      openpaiSourcePhase(options.source),
      clusterConnectPhase({ target, requireReadyNodes: false }),
      servicesPhase({
        operation,
        only: options.only,
        timeoutMs: options.timeoutMs,
        confirm: options.confirm,
        parts: options.parts,
      }),
    ],
  };
}

/** `pai-deploy service plan`: the tree's services in start order for this configuration; contacts no cluster. */
export function servicePlanAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  options: ServiceCommandOptions,
): Action<ServicePlanData> {
  return {
    name: 'service plan',
    data: { sources },
    phases: [
      validatePhase(validate),
      openpaiSourcePhase(options.source),
      servicePlanPhase({ only: options.only, parts: options.parts }),
    ],
  };
}

/** `pai-deploy service status`: every service's workloads, ready or why not; writes nothing. */
export function serviceStatusAction(
  sources: ClusterSources,
  validate: ValidateOptions,
  target: KubeTarget,
  options: ServiceCommandOptions,
): Action<ServiceStatusData> {
  return {
    name: 'service status',
    data: { sources },
    phases: [
      validatePhase(validate),
      openpaiSourcePhase(options.source),
      clusterConnectPhase({ target, requireReadyNodes: false }),
      serviceStatusPhase({ only: options.only, parts: options.parts }),
    ],
  };
}
