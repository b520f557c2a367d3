import { PaiDeployError } from '../../errors.js';
import type { Phase } from '../phase.js';
import { requireCluster, type ValidateData } from './validate.js';

/**
 * A phase of the deploy action this version cannot run yet: in dry-run (`pai-deploy plan`) it says what it will do;
 * run for real it fails plainly rather than pretending.
 */
export function notBuiltPhase<D extends ValidateData>(
  id: string,
  title: string,
  describe: (data: D) => { target: string; description: string },
): Phase<D> {
  return {
    id,
    title,
    async run(ctx) {
      requireCluster(ctx.data);
      const { target, description } = describe(ctx.data);
      await ctx.wet(target, `${description} [not built yet]`, () => {
        throw new PaiDeployError(`the ${id} phase is not built in this version of pai-deploy`, {
          hint: 'Run `pai-deploy plan` to see what it will do; the remaining steps are still manual.',
        });
      });
    },
  };
}
