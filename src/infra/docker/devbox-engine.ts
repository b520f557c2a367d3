import type { DevboxEngine } from '../../ports/ports.js';

interface VersionCall {
  // dockerode accepts an abortSignal here although its type declarations do not say so (lib/docker.js, version()).
  version(options: { abortSignal: AbortSignal }): Promise<{ Version: string; ApiVersion: string }>;
}

/** The DevboxEngine port over dockerode, talking to the engine DOCKER_HOST (or the local socket) names. */
export async function openDevboxEngine(): Promise<DevboxEngine> {
  const Docker = (await import('dockerode')).default;
  const docker = new Docker() as unknown as VersionCall;
  return {
    async version(signal) {
      const version = await docker.version({ abortSignal: signal });
      return { version: version.Version, apiVersion: version.ApiVersion };
    },
  };
}
