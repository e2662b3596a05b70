/** Full-jitter exponential back-off: a random delay up to min(cap, initial * 2^(attempt-1)). */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    maxDelayMs,
    initialMs * 2 ** Math.max(0, attempt - 1),
  );
  return Math.round(random() * ceiling);
}

/** Resolves after `ms`, or early (without error) when the signal aborts: shutdown cuts waits short. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
