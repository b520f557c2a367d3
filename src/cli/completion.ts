import type { Command } from './commander.js';

/** The command tree as completion needs it, read off the declared commander program (so it cannot drift). */
export interface CompletionNode {
  name: string;
  description: string;
  options: Array<{
    long: string;
    short?: string;
    takesValue: boolean;
    choices?: readonly string[];
    description: string;
  }>;
  subcommands: CompletionNode[];
}

export function completionTree(command: Command): CompletionNode {
  return {
    name: command.name(),
    // One line: fish shows it beside each candidate.
    description: command.summary() || (command.description().split('\n')[0] ?? ''),
    options: [
      ...command.options
        .filter((option) => option.long !== undefined && !option.hidden)
        .map((option) => ({
          long: option.long!,
          ...(option.short ? { short: option.short } : {}),
          takesValue: option.required || option.optional,
          ...(option.argChoices ? { choices: option.argChoices } : {}),
          description: option.description.split('\n')[0] ?? '',
        })),
      { long: '--help', short: '-h', takesValue: false, description: 'show help' },
    ],
    subcommands: command.commands
      .filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden && sub.name() !== 'help')
      .map(completionTree),
  };
}

function walk(node: CompletionNode, path: string[] = [], out: Array<{ path: string[]; node: CompletionNode }> = []) {
  out.push({ path, node });
  for (const sub of node.subcommands) walk(sub, [...path, sub.name], out);
  return out;
}

const shellWord = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * bash: the words typed so far pick the (sub)command; then subcommands or that command's flags are offered, an
 * enum flag's choices after it, and file names for any other flag that takes a value.
 */
export function bashCompletion(root: CompletionNode): string {
  const program = root.name;
  const fn = `_${program.replace(/[^A-Za-z0-9]/g, '_')}`;
  const cases = walk(root)
    .map(({ path, node }) => {
      const flags = node.options.flatMap((option) => [option.long, ...(option.short ? [option.short] : [])]);
      const valued = node.options.filter((option) => option.takesValue);
      const choiceCases = valued
        .filter((option) => option.choices)
        .map(
          (option) =>
            `        ${[option.long, option.short].filter(Boolean).join('|')}) COMPREPLY=($(compgen -W ${shellWord(option.choices!.join(' '))} -- "$cur")); return ;;`,
        )
        .join('\n');
      const fileFlags = valued
        .filter((option) => !option.choices)
        .flatMap((option) => [option.long, ...(option.short ? [option.short] : [])]);
      return [
        `    ${shellWord(path.join(' '))})`,
        `      subs=${shellWord(node.subcommands.map((sub) => sub.name).join(' '))}`,
        `      flags=${shellWord(flags.join(' '))}`,
        `      case "$prev" in`,
        choiceCases,
        fileFlags.length > 0 ? `        ${fileFlags.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;` : '',
        `      esac ;;`,
      ]
        .filter(Boolean)
        .join('\n');
    })
    .join('\n');
  const subsOf = walk(root)
    .map(
      ({ path, node }) =>
        `    ${shellWord(path.join(' '))}) echo ${shellWord(node.subcommands.map((sub) => sub.name).join(' '))} ;;`,
    )
    .join('\n');
  return `# bash completion for ${program}; load with: source <(${program} completion bash)
${fn}_subs() {
  case "$1" in
${subsOf}
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word i subs flags
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " $(${fn}_subs "$path") " in *" $word "*) path="\${path:+$path }$word" ;; esac
  done
  case "$path" in
${cases}
  esac
  if [[ "$cur" == -* || -z "$subs" ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${program}
`;
}

/** zsh runs the bash completion through bashcompinit (shipped with zsh), so the two can never disagree. */
export function zshCompletion(root: CompletionNode): string {
  return `#compdef ${root.name}
# zsh completion for ${root.name}; load with: source <(${root.name} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root)}`;
}

/** fish: one `complete` line per subcommand and flag, conditioned on the subcommands already typed. */
export function fishCompletion(root: CompletionNode): string {
  const program = root.name;
  const lines = [
    `# fish completion for ${program}; load with: ${program} completion fish | source`,
    `complete -c ${program} -f`,
  ];
  for (const { path, node } of walk(root)) {
    const here =
      path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${path.at(-1)}; and not __fish_seen_subcommand_from ${node.subcommands.map((sub) => sub.name).join(' ') || '--'}`;
    for (const sub of node.subcommands)
      lines.push(`complete -c ${program} -n ${shellWord(here)} -a ${sub.name} -d ${shellWord(sub.description)}`);
    for (const option of node.options) {
      const parts = [`complete -c ${program} -n ${shellWord(here)} -l ${option.long.replace(/^--/, '')}`];
      if (option.short) parts.push(`-s ${option.short.replace(/^-/, '')}`);
      if (option.takesValue) parts.push(option.choices ? `-x -a ${shellWord(option.choices.join(' '))}` : '-r -F');
      parts.push(`-d ${shellWord(option.description)}`);
      lines.push(parts.join(' '));
    }
  }
  return lines.join('\n') + '\n';
}
