import type { ContainerRunSpec, DevboxEngine } from '../../src/ports/ports.js';

export interface FakeDevbox extends DevboxEngine {
  /** Every container run, in order. */
  readonly runs: ContainerRunSpec[];
}

export interface FakeDevboxScript {
  /** The lines the container prints for a run (given its spec), and its exit code. */
  run?(spec: ContainerRunSpec): { lines: Array<[string, 'stdout' | 'stderr']>; exitCode: number };
  images?: string[];
}

/**
 * A dev-box engine for phase unit tests: replays scripted output; never starts a container. Integration tests use
 * the real engine (test/integration/devbox/).
 */
export function fakeDevbox(script: FakeDevboxScript = {}): FakeDevbox {
  const runs: ContainerRunSpec[] = [];
  return {
    runs,
    version: () => Promise.resolve({ version: '28.2.2', apiVersion: '1.50' }),
    build: () => Promise.reject(new Error('fake devbox: no builds')),
    inspect: () => Promise.resolve({ ok: true, versions: { ansible: '2.7.12', python: '3.7.16' }, problems: [] }),
    pull: () => Promise.reject(new Error('fake devbox: no registry')),
    imageExists: (image) => Promise.resolve((script.images ?? []).includes(image)),
    run(spec, options) {
      runs.push(spec);
      if (options.signal.aborted) return Promise.reject(new Error('fake devbox: run after the abort'));
      const result = script.run?.(spec) ?? { lines: [], exitCode: 0 };
      for (const [line, stream] of result.lines) options.onLine(line, stream);
      return Promise.resolve({ exitCode: result.exitCode });
    },
    containersLabelled: () => Promise.resolve([]),
    removeContainer: () => Promise.resolve(),
  };
}
