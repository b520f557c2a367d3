// Builds the lab's devbox27 image with the product's own code: devbox/Dockerfile through buildDevboxImage
// (src/infra/docker/devbox-image.ts), then checks it with inspectDevbox. scripts/lab runs it (node --import tsx) with
// the context it prepared (the Dockerfile and a wheel directory) and the tag its content hash names; test
// infrastructure only. Progress goes to stderr; exit 1 with the build's error.
//
//   node --import tsx scripts/lab.d/build-devbox27.ts --tag T --context DIR [--dockerfile F]
//        [--build-arg K=V]... [--label K=V]...
import Docker from 'dockerode';
import { parseArgs } from 'node:util';
import { buildDevboxImage, inspectDevbox } from '../../src/infra/docker/devbox-image.js';

function pairs(values: string[] | undefined, flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0) throw new Error(`${flag} ${value}: expected KEY=VALUE`);
    result[value.slice(0, at)] = value.slice(at + 1);
  }
  return result;
}

function say(message: string): void {
  process.stderr.write(`build-devbox27: ${message}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tag: { type: 'string' },
      context: { type: 'string' },
      dockerfile: { type: 'string', default: 'Dockerfile' },
      'build-arg': { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (values.tag === undefined || values.context === undefined) throw new Error('--tag and --context are required');
  const docker = new Docker();
  const controller = new AbortController();
  const abort = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);

  const result = await buildDevboxImage(docker, {
    tag: values.tag,
    contextDir: values.context,
    dockerfile: values.dockerfile,
    buildArgs: pairs(values['build-arg'], '--build-arg'),
    labels: pairs(values.label, '--label'),
    signal: controller.signal,
    onProgress(event) {
      if (event.type === 'step') say(`step ${event.step}/${event.steps}: ${event.instruction.slice(0, 110)}`);
      else if (event.line.trim() !== '') process.stderr.write(`    ${event.line}\n`);
    },
  });
  say(
    `built ${result.tag} (${result.imageId.slice(0, 19)}) in ${(result.durationMs / 1000).toFixed(1)} s: ` +
      `${result.steps} steps, ${result.cachedSteps} from the cache`,
  );
  const inspection = await inspectDevbox(docker, values.tag, controller.signal);
  if (!inspection.ok) {
    say(`${values.tag} breaks the dev-box contract: ${inspection.problems.join('; ')}`);
    await docker
      .getImage(values.tag)
      .remove()
      .catch(() => undefined);
    return 1;
  }
  const v = inspection.versions;
  say(`contract ok: Ansible ${v.ansible} on Python ${v.ansiblePython}, ${v.ssh}, rsync ${v.rsync}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    say(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
