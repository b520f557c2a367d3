/**
 * The `pai-deploy quick-start` wizard: asks for the cluster on a terminal and writes layout.yaml and config.yaml
 * (see wizard.ts). The command calls runQuickStartWizard when it has no files and a terminal, and prints
 * scriptedRunHelp() (exit 2) when it has neither.
 */
export { runQuickStartWizard, type WizardDeps, type WizardOptions, type WizardResult } from './wizard.js';
export { scriptedRunHelp } from './scripted-help.js';
export {
  sshProbe,
  type Hardware,
  type MachineProbe,
  type ProbeLogin,
  type ProbeRequest,
  type ProbeResult,
  type ProbeTarget,
} from './probe.js';
