import { kubesprayRelease } from '../../kubespray/release-2.11.js';
import { OPENPAI_RELEASE } from '../../openpai/release.js';
import type { CommandEnv } from '../command-env.js';
import { toolVersion } from '../tool-version.js';

/** The tool's version, what it deploys (kubespray pin, OpenPAI release) and the Node.js it runs on. */
export async function runVersion(flags: { json?: boolean }, env: CommandEnv): Promise<void> {
  const info = {
    version: toolVersion(),
    kubespray: {
      branch: kubesprayRelease.branch,
      commit: kubesprayRelease.commit,
      describe: kubesprayRelease.describe,
    },
    openpai: OPENPAI_RELEASE,
    node: process.version,
  };
  if (flags.json === true) {
    await env.io.result(JSON.stringify(info, null, 2) + '\n');
    return;
  }
  await env.io.result(
    `pai-deploy ${info.version}\n` +
      `kubespray ${info.kubespray.branch} @ ${info.kubespray.commit} (${info.kubespray.describe})\n` +
      `OpenPAI ${info.openpai.tag} (${info.openpai.commit})\n` +
      `Node.js ${info.node}\n`,
  );
}
