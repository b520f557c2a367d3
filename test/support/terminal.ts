import { execFile, execFileSync } from 'node:child_process';

/** Probe for describeWithInfra: null when util-linux `script` can give a command a pseudo-terminal. */
export function scriptUnavailable(): string | null {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'util-linux `script` is not installed (apt-get install bsdutils)';
  }
}

/**
 * Runs a shell command line on a pseudo-terminal with util-linux `script`, as a person at a terminal would, and
 * returns its exit code and everything the terminal received.
 */
export function onTerminal(
  commandLine: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; screen: string }> {
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', commandLine, '/dev/null'],
      { cwd: options.cwd, env: options.env ?? { ...process.env, TERM: 'xterm' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        resolve({ code: error && typeof error.code === 'number' ? error.code : error ? 1 : 0, screen: stdout });
      },
    );
  });
}
