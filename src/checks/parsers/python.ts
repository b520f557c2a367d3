/** One interpreter the python-interpreters fact found: `<path> <major>.<minor> apt=yes|no` per line. */
export interface PythonInterpreter {
  path: string;
  major: number;
  minor: number;
  /** Whether it imports apt_pkg (Ansible's apt module needs the bindings for the interpreter it runs with). */
  apt: boolean;
}

/** The fact's lines, each path once (the first line for it), in the order found. Other lines are ignored. */
export function parsePythonInterpreters(text: string): PythonInterpreter[] {
  const seen = new Map<string, PythonInterpreter>();
  for (const line of text.split('\n')) {
    const match = /^(\/\S+) (\d+)\.(\d+) apt=(yes|no)$/.exec(line.trim());
    if (!match || seen.has(match[1]!)) continue;
    seen.set(match[1]!, { path: match[1]!, major: Number(match[2]), minor: Number(match[3]), apt: match[4] === 'yes' });
  }
  return [...seen.values()];
}

/**
 * Whether Ansible 2.7's modules run with it: Python 2.7 or 3.5 to 3.7 (2.7 predates 3.8; on 3.8+ its modules fail
 * in ways that are not reported as an interpreter problem).
 */
export function ansible27CanUse(python: PythonInterpreter): boolean {
  if (python.major === 2) return python.minor === 7;
  return python.major === 3 && python.minor >= 5 && python.minor <= 7;
}
