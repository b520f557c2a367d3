import type { PinnedKubespray, TreeProject } from '../ports/kubespray-source.js';

/**
 * The OpenPAI release pai-deploy targets: v1.8.0, the last one; its service catalog and start order
 * (service-catalog.ts) and its config formats come from this tag. The commit is abbreviated as OpenPAI's release
 * notes cite it.
 */
export const OPENPAI_RELEASE = { tag: 'v1.8.0', commit: 'd60cba45' } as const;

/** OpenPAI's source trees are verified like kubespray's: a checkout by its commit, a plain directory by its tree id. */
export const OPENPAI_PROJECT: TreeProject = {
  name: 'OpenPAI',
  // The first service every start runs; a tree without it cannot deploy anything.
  marker: 'src/cluster-configuration/deploy/service.yaml',
  repository: 'https://github.com/microsoft/pai',
};

/**
 * The OpenPAI releases whose source pai-deploy knows, by the git tag that `docker_image_tag` names (OpenPAI tagged
 * its images and its source alike). Tree ids from `git rev-parse <tag>^{tree}` in microsoft/pai.
 */
export const KNOWN_OPENPAI_RELEASES: ReadonlyMap<string, PinnedKubespray> = new Map([
  [
    'v1.8.0',
    {
      project: OPENPAI_PROJECT,
      branch: 'v1.8.0',
      commit: 'd60cba45000596841cc7f9cf392122be5ce504bb',
      treeId: 'e3c00fc8d1acd37c6b0b21f6797fd48002b9408a',
      // Three .bat files of subprojects/frameworklauncher are checked out with CRLF line ends (eol=crlf).
      directoryTreeId: '9b544fef3d38249cb8123a137be4f843547e1668',
    },
  ],
]);
