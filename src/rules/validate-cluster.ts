import type { ClusterSpec } from '../model/cluster.js';
import { loadCluster, type LayoutInput } from '../config/load-cluster.js';
import { summarize, type Finding, type FindingSummary } from '../findings/finding.js';
import { computeEffectiveVars, type EffectiveVars } from '../kubespray/effective-vars.js';
import { kubesprayGroups } from '../kubespray/groups.js';
import { checkConfig } from './config-rules.js';
import { checkKubesprayGroups, checkKubesprayVars } from './kubespray-rules.js';
import { checkLayout } from './layout-rules.js';
import { checkNetworks } from './network-rules.js';
import { FindingSink } from '../findings/sink.js';
import { checkSshAccess } from './ssh-rules.js';
import { pause } from '../cooperate.js';

export interface Validation extends FindingSummary {
  /** Present when the inputs could be read; only safe to render when `valid`. */
  input: ClusterSpec | undefined;
  vars: EffectiveVars | undefined;
}

/**
 * Every offline rule over already-loaded inputs. Each rule is linear in the machines; between rules the event loop
 * gets a turn so a signal is seen even on a 100k-machine layout.
 */
export async function runRules(
  input: ClusterSpec,
  signal?: AbortSignal,
): Promise<{ findings: Finding[]; vars: EffectiveVars }> {
  const sink = new FindingSink(input);
  const vars = computeEffectiveVars(input.config);
  const rules: Array<() => void> = [
    () => checkLayout(input, sink),
    () => checkConfig(input, vars, sink),
    () => checkSshAccess(input, sink),
    () => checkNetworks(input.layout, vars, sink),
    () => checkKubesprayVars(vars, sink),
    () => checkKubesprayGroups(kubesprayGroups(input.layout), vars, sink),
  ];
  for (const rule of rules) {
    await pause(signal);
    rule();
  }
  return { findings: sink.findings, vars };
}

/** Load, check shape, run every rule. Never touches a machine or the network. */
export async function validateCluster(
  layout: LayoutInput,
  configPath: string,
  signal?: AbortSignal,
): Promise<Validation> {
  const loaded = await loadCluster(layout, configPath, signal);
  if (!loaded.input) return { ...summarize(loaded.findings), input: undefined, vars: undefined };
  const { findings, vars } = await runRules(loaded.input, signal);
  return { ...summarize(dedupe([...loaded.findings, ...findings])), input: loaded.input, vars };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.file}:${finding.line}:${finding.column}:${finding.code}:${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
