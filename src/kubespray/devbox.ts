/** The image the kubespray phase runs ansible-playbook in (built locally, never pulled). */
export const DEVBOX_IMAGE = 'pai-deploy/devbox:kubespray-2.11';
