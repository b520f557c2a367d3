import type { LayoutInput } from '../../config/load-cluster.js';
import { FindingsError } from '../../errors.js';
import type { EffectiveVars } from '../../kubespray/effective-vars.js';
import type { ClusterSpec } from '../../model/cluster.js';
import { validateCluster, type Validation } from '../../rules/validate-cluster.js';
import type { Phase } from '../phase.js';

/** Where the cluster's description comes from. */
export interface ClusterSources {
  layout: LayoutInput;
  configPath: string;
}

/** A cluster that passed validation: the typed model and its effective kubespray variables. */
export interface ValidCluster {
  spec: ClusterSpec;
  vars: EffectiveVars;
}

export interface ValidateData {
  sources: ClusterSources;
  validation?: Validation;
  cluster?: ValidCluster;
}

export interface ValidateOptions {
  /** Shows the findings (every command shows them the same way); called for valid inputs too (warnings). */
  report(validation: Validation): Promise<void>;
  /** Warnings fail the phase too (--strict). */
  strict?: boolean;
}

/** Reads and checks layout.yaml and config.yaml offline; later phases read `data.cluster`. */
export function validatePhase<D extends ValidateData>(options: ValidateOptions): Phase<D> {
  return {
    id: 'validate',
    prerequisite: true,
    title: 'Validate layout and config offline',
    async run(ctx) {
      const validation = await validateCluster(ctx.data.sources.layout, ctx.data.sources.configPath, ctx.signal);
      ctx.data.validation = validation;
      await options.report(validation);
      const failing = validation.errors.length + (options.strict === true ? validation.warnings.length : 0);
      if (!validation.valid || !validation.input || !validation.vars || failing > 0) {
        throw new FindingsError(failing);
      }
      ctx.data.cluster = { spec: validation.input, vars: validation.vars };
      ctx.setOutputs({ machines: validation.input.layout.machines.length, warnings: validation.warnings.length });
    },
  };
}

/** The validated cluster; a phase placed before validate is a programming error. */
export function requireCluster(data: ValidateData): ValidCluster {
  if (!data.cluster)
    throw new Error('pai-deploy bug: a phase needs the validated cluster, but validate did not run first');
  return data.cluster;
}
