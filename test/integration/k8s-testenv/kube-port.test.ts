import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InputFileError, PaiDeployError } from '../../../src/errors.js';
import { realPorts } from '../../../src/infra/ports.js';
import { tempDir } from '../../support/fixtures.js';
import { describeEachK8sVersion, startK8sTestEnv, type K8sTestEnv } from '../../support/k8s-testenv.js';

const dir = tempDir('pai-deploy-kube-port-');

await describeEachK8sVersion('the Kubernetes API port against a real API server', (k8sVersion) => {
  let env: K8sTestEnv;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    env = await startK8sTestEnv({ nodes: [{ name: 'pai-master-01', cpu: '8', memory: '32Gi' }], version: k8sVersion });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('connects with the admin kubeconfig and reports the server and its version', async () => {
    const kube = await realPorts().kube({ kubeconfigPath: env.kubeconfigPath });
    expect(kube.server).toBe(env.server);
    const version = await kube.version(signal);
    expect(version.gitVersion).toBe(env.kubernetesVersion);
    expect(`v${version.major}.${version.minor}`).toBe(version.gitVersion.split('.').slice(0, 2).join('.'));
  });

  it('refuses a missing kubeconfig, an unknown context and a server that does not answer, each with a hint', async () => {
    await expect(realPorts().kube({ kubeconfigPath: join(dir, 'none') })).rejects.toBeInstanceOf(InputFileError);
    await expect(realPorts().kube({ kubeconfigPath: env.kubeconfigPath, context: 'nope' })).rejects.toThrow(
      /no context "nope"/,
    );
    // The same credentials, pointed at a loopback port nothing listens on.
    const closed = join(dir, 'closed.kubeconfig');
    writeFileSync(closed, env.kubeconfig.replace(env.server, 'https://127.0.0.1:1'));
    const kube = await realPorts().kube({ kubeconfigPath: closed });
    const failure = await kube.version(signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaiDeployError);
    expect((failure as PaiDeployError).hint).toMatch(/6443/);
  });
});
