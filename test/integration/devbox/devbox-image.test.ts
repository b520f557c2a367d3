import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDevboxImage,
  DevboxImageError,
  imageExists,
  inspectDevbox,
  pullImage,
  PullProgressTracker,
  type DevboxBuildEvent,
  type PullProgress,
} from '../../../src/infra/docker/devbox-image.js';
import { describeWithInfra } from '../../support/infra.js';
import { devbox27Available, labImages, type LabImages } from '../../support/lab-devbox27.js';
import { startLoopbackRegistry, type LoopbackRegistry } from '../../support/loopback-registry.js';

// The dev-box image as the product builds and checks it (src/infra/docker/devbox-image.ts), on the lab's devbox27:
// devbox/Dockerfile built offline FROM the lab's Debian 12 + CPython 3.7.16 base with a local wheel directory. No
// registry outside this machine is used: pulls go to 127.0.0.1 (nothing listening, or the test's own registry).

const docker = new Docker();
const TEST_TAG = `vitest-devbox27:cache-${process.pid}`;

async function removeImage(tag: string): Promise<void> {
  await docker
    .getImage(tag)
    .remove({ force: true })
    .catch(() => undefined);
}

async function failure(promise: Promise<unknown>): Promise<DevboxImageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DevboxImageError);
    return error as DevboxImageError;
  }
  throw new Error('expected a DevboxImageError, but it resolved');
}

async function context(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pai-devbox-ctx-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

describe('PullProgressTracker (no engine)', () => {
  it('aggregates per-layer download and extraction into one percentage that never goes back', () => {
    const seen: PullProgress[] = [];
    const tracker = new PullProgressTracker((p) => seen.push(p));
    const a = 'aaaaaaaaaaaa';
    const b = 'bbbbbbbbbbbb';
    const last = () => seen.at(-1)!;
    tracker.add({ status: 'Pulling from vitest/tiny', id: '1' });
    tracker.add({ status: 'Pulling fs layer', id: a });
    tracker.add({ status: 'Pulling fs layer', id: b });
    tracker.add({ status: 'Downloading', id: a, progressDetail: { current: 50, total: 100 } });
    // Half of a's download: a quarter of a (download and extraction), b's size not known yet.
    expect(last()).toMatchObject({ percent: 25, layers: 2, layersDone: 0, status: 'Downloading' });
    tracker.add({ status: 'Downloading', id: b, progressDetail: { current: 0, total: 300 } });
    // Now 50 of 800: 6 %, but the percentage does not go back.
    expect(last().percent).toBe(25);
    tracker.add({ status: 'Downloading', id: b, progressDetail: { current: 300, total: 300 } });
    tracker.add({ status: 'Download complete', id: a });
    expect(last().percent).toBe(50);
    tracker.add({ status: 'Extracting', id: a, progressDetail: { current: 100, total: 100 } });
    tracker.add({ status: 'Pull complete', id: a });
    tracker.add({ status: 'Extracting', id: b, progressDetail: { current: 300, total: 300 } });
    // Every byte extracted, but b is not complete: below 100.
    expect(last()).toMatchObject({ percent: 99, layersDone: 1 });
    tracker.add({ status: 'Pull complete', id: b });
    expect(last()).toMatchObject({ percent: 100, layers: 2, layersDone: 2, status: 'Pull complete' });
    tracker.add({ status: 'Digest: sha256:0123' });
    tracker.finish();
    const percents = seen.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((x, y) => x - y));
  });

  it('layers already present count as complete', () => {
    const seen: PullProgress[] = [];
    const tracker = new PullProgressTracker((p) => seen.push(p));
    tracker.add({ status: 'Already exists', id: 'cccccccccccc' });
    tracker.add({ status: 'Already exists', id: 'dddddddddddd' });
    expect(seen.at(-1)).toMatchObject({ percent: 100, layers: 2, layersDone: 2 });
  });
});

await describeWithInfra(
  'the dev-box image (devbox/Dockerfile, buildDevboxImage, inspectDevbox)',
  devbox27Available,
  () => {
    let images: LabImages;
    const cleanup: string[] = [];

    beforeAll(async () => {
      images = await labImages();
    });

    afterAll(async () => {
      await removeImage(TEST_TAG);
      for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
    });

    it("the lab's devbox27 keeps the contract: Ansible 2.7.12 on Python 3.7.16, ssh, rsync", async () => {
      const inspection = await inspectDevbox(docker, images.devbox27Image);
      expect(inspection).toMatchObject({
        ok: true,
        image: images.devbox27Image,
        versions: { ansible: '2.7.12', ansiblePython: '3.7.16', python: '3.7.16' },
      });
      if (!inspection.ok) throw new Error(inspection.problems.join('; '));
      expect(inspection.versions.ssh).toMatch(/^OpenSSH_\d/);
      expect(inspection.versions.rsync).toMatch(/^\d+\.\d+/);
      const labels = (await docker.getImage(images.devbox27Image).inspect()).Config.Labels ?? {};
      expect(labels).toMatchObject({ 'pai-lab.image': 'devbox27' });
    });

    it('an image that breaks the contract is told what is wrong; a missing one too', async () => {
      const base = images.devbox27Build.buildArgs['BASE']!;
      const broken = await inspectDevbox(docker, base);
      expect(broken.ok).toBe(false);
      if (broken.ok) return;
      expect(broken.problems.join('\n')).toMatch(/ansible-playbook --version failed: .*not found/);
      // The base has ssh and rsync, but its `python` is not on PATH (only /opt/python3.7/bin/python3.7).
      expect(broken.versions.ssh).toMatch(/^OpenSSH_/);
      expect(broken.problems.join('\n')).toMatch(/python --version failed/);

      const missing = await inspectDevbox(docker, 'vitest-devbox27:no-such-tag');
      expect(missing).toEqual({
        ok: false,
        image: 'vitest-devbox27:no-such-tag',
        versions: {},
        problems: ['no image vitest-devbox27:no-such-tag in the Docker engine'],
      });
    });

    it('building again with the same context and arguments is a cache hit: same image, no step run, quick', async () => {
      const events: DevboxBuildEvent[] = [];
      const build = images.devbox27Build;
      const result = await buildDevboxImage(docker, {
        tag: TEST_TAG,
        contextDir: build.contextDir,
        dockerfile: build.dockerfile,
        buildArgs: build.buildArgs,
        labels: build.labels,
        onProgress: (event) => events.push(event),
      });
      const labImage = await docker.getImage(images.devbox27Image).inspect();
      expect(result.imageId).toBe(labImage.Id);
      expect(result.ranSteps).toBe(0);
      expect(result.cachedSteps).toBeGreaterThanOrEqual(5);
      expect(result.steps).toBeGreaterThan(result.cachedSteps);
      expect(result.durationMs).toBeLessThan(30_000);
      expect(events.filter((e) => e.type === 'step').length).toBe(result.steps);
      expect(await imageExists(docker, TEST_TAG)).toBe(true);
      process.stderr.write(`devbox27 cached rebuild: ${result.durationMs} ms, ${result.cachedSteps}/${result.steps}\n`);
    });

    it('a step that fails is named, with the engine message and its last output', async () => {
      const base = images.devbox27Build.buildArgs['BASE']!;
      const dir = await context({
        Dockerfile: `FROM ${base}\nRUN echo preparing\nRUN echo "boom: the thing is missing" >&2; exit 3\nRUN echo never\n`,
      });
      cleanup.push(dir);
      const tag = `vitest-devbox27:fails-${process.pid}`;
      const error = await failure(buildDevboxImage(docker, { tag, contextDir: dir }));
      expect(error.step).toEqual({
        step: 3,
        steps: 4,
        instruction: 'RUN echo "boom: the thing is missing" >&2; exit 3',
      });
      expect(error.message).toMatch(/^building image vitest-devbox27:fails-\d+ failed at step 3\/4 \(RUN echo "boom/);
      expect(error.message).toMatch(/returned a non-zero code: 3/);
      expect(error.message).toContain('boom: the thing is missing');
      expect(error.message).not.toContain('\u001b');
      expect(error.hint).toContain(path.join(dir, 'Dockerfile'));
      expect(await imageExists(docker, tag)).toBe(false);
    });

    it('a Dockerfile docker cannot parse, and a context without one, are clean errors', async () => {
      const dir = await context({ Dockerfile: 'FROM scratch\nRUNN nothing\n' });
      cleanup.push(dir);
      const parse = await failure(buildDevboxImage(docker, { tag: 'vitest-devbox27:parse', contextDir: dir }));
      expect(parse.message).toMatch(/^building image vitest-devbox27:parse failed.*unknown instruction: RUNN/i);

      const none = await failure(
        buildDevboxImage(docker, { tag: 'vitest-devbox27:none', contextDir: dir, dockerfile: 'Nope' }),
      );
      expect(none.message).toBe(`no Dockerfile at ${path.join(dir, 'Nope')}`);
      const outside = await failure(
        buildDevboxImage(docker, { tag: 'vitest-devbox27:none', contextDir: dir, dockerfile: '../Dockerfile' }),
      );
      expect(outside.message).toMatch(/is outside the build context/);
    });

    it('pulling from a registry address nobody answers at is a clean error (loopback only)', async () => {
      const error = await failure(pullImage(docker, '127.0.0.1:1/none:tag'));
      expect(error.message).toMatch(/^cannot pull 127\.0\.0\.1:1\/none:tag: .*127\.0\.0\.1:1.*connection refused/);
      expect(error.message).not.toMatch(/HTTP code/);
      expect(error.hint).toMatch(/registry/);
    });

    describe('pulls from a loopback registry', () => {
      let registry: LoopbackRegistry;
      const source = `vitest-devbox27:tiny-${process.pid}`;
      let pulled: string;

      beforeAll(async () => {
        // A two-layer image of random bytes (no base image needed), served by the test's own registry on 127.0.0.1.
        const dir = await context({
          Dockerfile: 'FROM scratch\nCOPY a.bin /a.bin\nCOPY b.bin /b.bin\n',
          'a.bin': randomBytes(3 << 20),
          'b.bin': randomBytes(5 << 20),
        });
        cleanup.push(dir);
        await buildDevboxImage(docker, { tag: source, contextDir: dir });
        registry = await startLoopbackRegistry({ 'vitest/tiny:1': source });
        pulled = `${registry.host}/vitest/tiny:1`;
        // Gone from the engine, so the pull downloads every layer instead of finding them present.
        await removeImage(source);
      });

      afterAll(async () => {
        await removeImage(pulled);
        await removeImage(source);
        await registry?.close();
      });

      it('reports per-layer progress as one percentage rising to 100', async () => {
        await removeImage(pulled);
        const seen: PullProgress[] = [];
        await pullImage(docker, pulled, (progress) => seen.push(progress));
        expect(await imageExists(docker, pulled)).toBe(true);
        expect(registry.blobRequests).toBeGreaterThanOrEqual(2);
        const percents = seen.map((p) => p.percent);
        expect(percents).toEqual([...percents].sort((x, y) => x - y));
        expect(seen.at(-1)).toMatchObject({ percent: 100, layers: 2, layersDone: 2 });
        expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
      });

      it('a tag the registry does not have is a clean error naming it', async () => {
        const missing = `${registry.host}/vitest/tiny:missing`;
        const error = await failure(pullImage(docker, missing));
        expect(error.message).toMatch(new RegExp(`^cannot pull ${missing.replace(/[.]/g, '\\.')}: .*manifest unknown`));
      });
    });
  },
);
