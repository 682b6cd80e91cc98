/** Polling helpers shared by the fault tests. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, and returns it.
 * Throws "timed out waiting for <what>" after `timeoutMs`, so a failing test names what never happened.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves with the time `work` took, in milliseconds, and its result. */
export async function timed<T>(work: Promise<T>): Promise<{ ms: number; value: T }> {
  const started = Date.now();
  const value = await work;
  return { ms: Date.now() - started, value };
}
