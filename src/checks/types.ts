import type { MachineSku } from '../model/cluster.js';
import type { CommandResult, ConnectFailureKind, HostKeyVerdict } from '../ports/ports.js';
import type { MachineRole } from './catalog.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  observed: string;
  message: string;
  hint: string;
}

/** One command's outcome on a machine. exitCode is null when the command never finished. */
export type FactResult = CommandResult;

export interface MachineTarget {
  hostname: string;
  ip: string;
  /** The check roles: master, worker, gpu. */
  roles: ReadonlySet<MachineRole>;
  /** The layout roles, for reports: pai-master, pai-worker, pai-storage. */
  layoutRoles: string[];
  sku: MachineSku | undefined;
}

/** Everything learnt about one machine; evaluators read only this. */
export interface MachineFacts {
  connected: boolean;
  connectFailure?: { kind: ConnectFailureKind; message: string };
  hostKey?: HostKeyVerdict;
  authMethod?: 'publickey' | 'agent' | 'password';
  connectMillis?: number;
  attempts?: number;
  sudo: 'nopasswd' | 'password' | 'none';
  facts: Map<string, FactResult>;
  /** Remote clock minus dev-box clock, RTT-compensated. */
  clock?: { offsetSeconds: number; rttSeconds: number };
}

export type Outcome =
  | { ok: true; observed: string }
  /** Works, but worth a warning whatever the check's severity. */
  | { ok: 'warn'; observed: string; message: string }
  | { ok: false; observed: string; message: string }
  | { skip: string };

export const pass = (observed: string): Outcome => ({ ok: true, observed });
export const problem = (observed: string, message: string): Outcome => ({ ok: false, observed, message });
export const skip = (reason: string): Outcome => ({ skip: reason });
export const advisory = (observed: string, message: string): Outcome => ({ ok: 'warn', observed, message });
