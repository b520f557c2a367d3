import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';

/**
 * The fixes OpenPAI had to patch into kubespray release-2.11 before `paictl node remove` worked (microsoft/pai
 * #5239), applied to copies of the files of the user's own (verified) tree, which stay untouched; the runner mounts
 * the copies over the originals in the container. Each fix checks that the file has the shape it was made for and
 * otherwise is not applied (with the reason), so a different tree is never patched blindly.
 */
export interface FileFix {
  /** The file inside the kubespray tree. */
  path: string;
  why: string;
  apply(text: string): { text: string } | { skipped: string };
}

export const removeNodeFixes: readonly FileFix[] = [
  {
    path: 'remove-node.yml',
    why:
      'the play that resets the removed nodes runs with gather_facts: no, and the reset role then lacks the facts ' +
      'it reads; OpenPAI turned fact gathering on for it',
    apply(text) {
      const { document, maps } = parseList(text);
      if (!maps) return { skipped: 'remove-node.yml is not a list of plays' };
      const play = maps.find((item) => rolesOf(item).includes('reset'));
      if (!play) return { skipped: 'remove-node.yml has no play with the reset role' };
      if (play.get('gather_facts') === true) return { skipped: 'the reset play gathers facts already' };
      play.set('gather_facts', true);
      return { text: document.toString({ lineWidth: 0 }) };
    },
  },
  {
    path: 'roles/remove-node/post-remove/tasks/main.yml',
    why:
      'its "Delete node" task has run_once: true, so removing several nodes deleted only the first from Kubernetes; ' +
      'OpenPAI removed the run_once',
    apply(text) {
      const { document, maps } = parseList(text);
      if (!maps) return { skipped: 'post-remove/tasks/main.yml is not a list' };
      const task = maps.find((item) => /^Delete node$/i.test(String(item.get('name') ?? '')));
      if (!task) return { skipped: 'post-remove has no "Delete node" task' };
      if (!task.has('run_once')) return { skipped: 'the "Delete node" task has no run_once' };
      task.delete('run_once');
      return { text: document.toString({ lineWidth: 0 }) };
    },
  },
];

/** A YAML file that is a list (plays, tasks), and its mapping items; maps undefined when it is not one. */
function parseList(text: string): { document: Document; maps: Array<YAMLMap<unknown, unknown>> | undefined } {
  const document = parseDocument(text);
  const list = document.contents;
  if (document.errors.length > 0 || !isSeq(list)) return { document, maps: undefined };
  return { document, maps: (list.items as unknown[]).filter(isMap) };
}

function rolesOf(play: YAMLMap<unknown, unknown>): string[] {
  const roles = play.get('roles');
  if (!isSeq(roles)) return [];
  return roles.items.map((item) => (isMap(item) ? String(item.get('role') ?? '') : String(item)));
}
