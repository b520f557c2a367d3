/**
 * Long synchronous work (parsing or checking a 100k-machine layout) hands the event loop back now and then, so a
 * signal handler runs and an abort is seen within a fraction of a second instead of after the whole job.
 */
export async function pause(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}

/** Settles with the signal's reason once it is aborted (never resolves); for racing work that cannot be cancelled. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}
