/**
 * What starting, stopping and deleting one OpenPAI service does, as data: the TypeScript form of the service's
 * `deploy/start.sh`, `stop.sh` and `delete.sh` in OpenPAI's tree. A recipe is pure: it reads the service's rendered
 * and static files and the cluster object model, and returns steps; the service deployer (src/cluster/services/)
 * runs them through the KubeApi port (apply, readiness, deletion), so `--dry-run` and tests see the same steps.
 */
import type { KubeObject, KubeObjectRef } from '../../ports/kube-api.js';

/** The service's `deploy/` folder after rendering: rendered templates and the static files beside them. */
export interface ServiceFiles {
  /**
   * A file by its path relative to `src/<service>/deploy/` (`/` separators): a rendered template under its name
   * without `.template` (`rest-server.yaml`), or a static file. Undefined when there is none.
   */
  read(path: string): string | undefined;
  /** Every file under `dir` (relative to deploy/, default the whole folder), recursive, sorted, rendered ones too. */
  list(dir?: string): string[];
  /** Files elsewhere in the service's folder (`src/<service>/<path>`, e.g. `config/…`), or undefined. */
  readService(path: string): string | undefined;
}

export interface ServiceContext {
  /** The service (its folder name under `src/`). */
  readonly service: string;
  /** `cluster_cfg`: the cluster object model as the templates see it (plain JSON). */
  readonly cfg: Readonly<Record<string, unknown>>;
  readonly files: ServiceFiles;
}

/** A file the deployer copies into a service's deploy folder: from `source` (a local path) to `path`. */
export interface StagedFile {
  readonly source: string;
  readonly path: string;
}

/** One thing a start, stop or delete does, in order. */
export type ServiceStep =
  /**
   * Apply the Kubernetes objects in these files (YAML, one or more documents each), in order, as `kubectl apply -f`
   * did. Into rendered templates whose name contains `yaml` and not `delete` the deployer injects the service's
   * deploy-rules as a required node affinity of DaemonSets, Deployments, StatefulSets and Pods (paictl's rule: static
   * files keep theirs), and gives namespaced objects without a namespace `default`.
   */
  | { readonly kind: 'apply-files'; readonly paths: readonly string[] }
  /** Apply objects the recipe built (ConfigMaps from folders, secrets, PriorityClasses…), in order. */
  | { readonly kind: 'apply'; readonly what: string; readonly objects: readonly KubeObject[] }
  /**
   * Create the object only when none of that name exists, and never change it afterwards (the job SSH key pair:
   * OpenPAI regenerated it on every start, which broke running jobs' keys). `make` runs only when it is missing.
   */
  | {
      readonly kind: 'create-once';
      readonly what: string;
      readonly ref: KubeObjectRef;
      readonly make: () => KubeObject;
    }
  /**
   * Wait until these workloads are ready (Deployments available, DaemonSets ready on every node they are scheduled
   * to, StatefulSets ready, Jobs complete). Without `refs`: every workload this run applied so far for the service.
   */
  | { readonly kind: 'wait'; readonly refs?: readonly KubeObjectRef[]; readonly timeoutMs?: number }
  /**
   * Delete these objects (a missing one is fine) and, with `waitGone`, wait until they and their pods are gone.
   */
  | {
      readonly kind: 'delete';
      readonly what: string;
      readonly refs: readonly KubeObjectRef[];
      readonly waitGone: boolean;
    }
  /** Delete every object of a kind (in a namespace, or cluster-wide) matching a label selector, or all of them. */
  | {
      readonly kind: 'delete-all';
      readonly what: string;
      readonly apiVersion: string;
      readonly kindName: string;
      readonly namespace?: string;
      readonly labelSelector?: string;
    };

export interface ServiceRecipe {
  /** The service's folder name under `src/` (`rest-server`). */
  readonly service: string;
  /** Why the service is not deployed on this cluster (a gate of its start.sh), or undefined when it is. */
  skipReason?(context: ServiceContext): string | undefined;
  /**
   * Files of the deploying machine that start.sh copied into the deploy folder (pylon's TLS certificate and key):
   * the deployer reads each `source` and the recipe finds it in `files` under `path`. Read only for services that
   * run; a missing source fails before anything is written.
   */
  stagedFiles?(context: ServiceContext): readonly StagedFile[];
  start(context: ServiceContext): readonly ServiceStep[];
  /** Removes the service's workloads (and what start created that stop.sh removed); keeps data. */
  stop(context: ServiceContext): readonly ServiceStep[];
  /** stop, then the data clean-up delete.sh did (host paths, CRDs and their objects, namespaces). */
  delete(context: ServiceContext): readonly ServiceStep[];
}
