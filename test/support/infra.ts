import { describe } from 'vitest';

/**
 * Integration suites need real infrastructure (Docker engine, lab machines, Ansible, kube-apiserver).
 * `probe` returns null when it is available, or a one-line reason why not.
 * Under CI=true a missing piece is a failure, never a silent skip; elsewhere the suite is skipped
 * and the reason printed once.
 */
export async function describeWithInfra(
  name: string,
  probe: () => Promise<string | null> | string | null,
  body: () => void,
): Promise<void> {
  const reason = await probe();
  if (reason === null) {
    describe(name, body);
    return;
  }
  if (isCi()) {
    describe(name, () => {
      throw new Error(`${name}: required infrastructure is missing under CI=true: ${reason}`);
    });
    return;
  }
  process.stderr.write(`skipping "${name}": ${reason}\n`);
  describe.skip(name, body);
}

export function isCi(): boolean {
  const value = process.env['CI'];
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
