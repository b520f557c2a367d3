import { PaiDeployError } from '../../errors.js';
import { assetPath } from '../../assets.js';
import { DEVBOX_IMAGE } from '../../kubespray/devbox.js';
import { kubesprayRelease } from '../../kubespray/release-2.11.js';
import type { CommandEnv } from '../command-env.js';

export interface DevboxBuildFlags {
  tag: string;
  base?: string;
  python?: string;
  dryRun?: boolean;
}

export interface DevboxCheckFlags {
  devboxImage: string;
  format: 'text' | 'json';
}

/** `pai-deploy devbox build`: devbox/Dockerfile built by the engine, then the image's tools checked. */
export async function runDevboxBuild(flags: DevboxBuildFlags, env: CommandEnv): Promise<void> {
  const contextDir = assetPath('devbox');
  const buildArgs: Record<string, string> = {};
  if (flags.base) buildArgs['BASE'] = flags.base;
  if (flags.python) buildArgs['PYTHON'] = flags.python;
  const described = `build ${flags.tag} from ${contextDir}/Dockerfile${
    Object.keys(buildArgs).length
      ? ` (${Object.entries(buildArgs)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')})`
      : ''
  }`;
  if (flags.dryRun === true) {
    await env.io.result(`would ${described}\n`);
    return;
  }
  const devbox = await env.ports.devbox();
  const span = env.io.span(`Build the dev-box image ${flags.tag}`);
  let result: Awaited<ReturnType<typeof devbox.build>>;
  try {
    result = await devbox.build({
      tag: flags.tag,
      contextDir,
      buildArgs,
      labels: { 'pai-deploy.devbox': kubesprayRelease.branch },
      signal: env.signal,
      onProgress: (line) => {
        if (line.startsWith('step ')) span.update(line);
        env.io.notify({ level: 'debug', code: 'devbox.build-output', text: line });
      },
    });
  } catch (error) {
    span.end('failed');
    throw error;
  }
  span.end(
    'ok',
    `${result.steps} steps, ${result.cachedSteps} from the cache, ${Math.round(result.durationMs / 1000)} s`,
  );
  await reportContract(env, flags.tag, 'text');
}

/** `pai-deploy devbox check`: does the image keep the dev-box contract? */
export async function runDevboxCheck(flags: DevboxCheckFlags, env: CommandEnv): Promise<void> {
  await reportContract(env, flags.devboxImage, flags.format);
}

async function reportContract(env: CommandEnv, image: string, format: 'text' | 'json'): Promise<void> {
  const devbox = await env.ports.devbox();
  if (!(await devbox.imageExists(image, env.signal))) {
    throw new PaiDeployError(`the dev-box image ${image} is not on this Docker engine`, {
      hint: image === DEVBOX_IMAGE ? 'Build it with `pai-deploy devbox build`.' : 'Pull or build it first.',
    });
  }
  const contract = await devbox.inspect(image, env.signal);
  if (format === 'json') await env.io.result(`${JSON.stringify({ image, ...contract }, null, 2)}\n`);
  else {
    const versions = Object.entries(contract.versions).map(([tool, version]) => `  ${tool} ${version}`);
    await env.io.result(
      `${image}: ${contract.ok ? 'keeps the dev-box contract' : 'breaks the dev-box contract'}\n${versions.join('\n')}\n`,
    );
  }
  if (!contract.ok) {
    throw new PaiDeployError(`${image} cannot run kubespray 2.11: ${contract.problems.join('; ')}`, {
      hint: 'kubespray 2.11 needs Ansible 2.7.8 or later 2.7.x and Python 3.7 or older, with ssh and rsync in the image.',
    });
  }
}
