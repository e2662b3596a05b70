import { isRetriable } from "./errors.js";

export const DEFAULT_RETRY_INITIAL_MS = 100;
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;
export const DEFAULT_RETRY_ATTEMPTS = 8;

export interface RetryOptions {
  readonly initialMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts in all, the first one included. */
  readonly attempts?: number;
  readonly signal?: AbortSignal;
  /** Called before each wait; for logs and metrics. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Which errors are worth another try; by default those marked retriable. */
  readonly shouldRetry?: (error: unknown) => boolean;
}

/** Full-jitter exponential back-off: a random delay up to min(cap, initial * 2^n). */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(
    maxDelayMs,
    initialMs * 2 ** Math.max(0, attempt - 1),
  );
  return Math.round(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `task` until it succeeds, a non-retriable error occurs, attempts run out or the signal aborts. */
export async function retry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const initialMs = options.initialMs ?? DEFAULT_RETRY_INITIAL_MS;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS;
  const attempts = options.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  const shouldRetry = options.shouldRetry ?? isRetriable;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= attempts || !shouldRetry(error) || options.signal?.aborted)
        throw error;
      const delayMs = backoffDelayMs(attempt, initialMs, maxDelayMs);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}
