/**
 * The deployment pipeline: each command runs one phase, `quick-start` runs them in order, all against the
 * cluster's work dir. `built` says plainly which phases this version of pai-deploy can run.
 */
export interface PhaseSpec {
  id: 'validate' | 'render' | 'check' | 'kubespray' | 'services';
  title: string;
  command: string;
  built: boolean;
}

export const pipelinePhases: readonly PhaseSpec[] = [
  { id: 'validate', title: 'Validate layout and config offline', command: 'pai-deploy validate', built: true },
  { id: 'render', title: 'Render the kubespray inventory and OpenPAI cluster configuration', command: 'pai-deploy render', built: true },
  { id: 'check', title: 'Pre-flight checks on every machine over SSH', command: 'pai-deploy check', built: true },
  { id: 'kubespray', title: 'Install Kubernetes with kubespray in a dev-box container', command: 'pai-deploy kubespray', built: false },
  { id: 'services', title: 'Label nodes, push the configuration and start OpenPAI services', command: 'pai-deploy services', built: false },
];

/** The image the kubespray phase runs ansible-playbook in (built locally, never pulled). */
export const DEVBOX_IMAGE = 'pai-deploy/devbox:kubespray-2.11';
