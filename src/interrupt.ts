/**
 * Synchronous clean-ups to run if the user presses Ctrl-C mid-way (temp files, staging directories), so an
 * interrupted command leaves nothing half-written. Registered by the code that creates the leftovers.
 */
const cleanups = new Set<() => void>();

export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export function runInterruptCleanups(): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is exiting anyway.
    }
  }
  cleanups.clear();
}
