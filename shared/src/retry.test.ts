import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { DependencyError, WardenError } from "./errors.js";
import { backoffDelayMs, retry, sleep } from "./retry.js";

const transient = (): WardenError =>
  new WardenError("try again", { retriable: true });

describe("retry", () => {
  it("retries retriable errors, then returns the first success", async () => {
    const seen: number[] = [];
    const onRetry =
      vi.fn<(error: unknown, attempt: number, delayMs: number) => void>();
    const result = await retry(
      (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw transient();
        return Promise.resolve("ok");
      },
      { initialMs: 1, maxDelayMs: 2, attempts: 5, onRetry },
    );
    expect(result).toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect(onRetry.mock.calls.map((call) => call[1])).toEqual([1, 2]);
    for (const call of onRetry.mock.calls) {
      expect(call[0]).toBeInstanceOf(WardenError);
      expect(call[2]).toBeGreaterThanOrEqual(0);
      expect(call[2]).toBeLessThanOrEqual(2);
    }
  });

  it("retries DependencyErrors and library errors marked retriable", async () => {
    let calls = 0;
    await expect(
      retry(
        () => {
          calls += 1;
          if (calls === 1) throw new DependencyError("kafka", "down");
          if (calls === 2)
            return Promise.reject(
              Object.assign(new Error("kafkajs"), { retriable: true }),
            );
          return Promise.resolve(calls);
        },
        { initialMs: 1, attempts: 3 },
      ),
    ).resolves.toBe(3);
  });

  it("never retries a WardenError with retriable false", async () => {
    const fatal = new WardenError("no", { retriable: false });
    const task = vi.fn((): Promise<never> => {
      throw fatal;
    });
    await expect(retry(task, { initialMs: 1, attempts: 5 })).rejects.toBe(
      fatal,
    );
    expect(task).toHaveBeenCalledTimes(1);
  });

  it("never retries a plain Error by default", async () => {
    const task = vi.fn((): Promise<never> => {
      throw new Error("plain");
    });
    await expect(retry(task, { initialMs: 1, attempts: 5 })).rejects.toThrow(
      "plain",
    );
    expect(task).toHaveBeenCalledTimes(1);
  });

  it("honours a custom shouldRetry", async () => {
    const task = vi.fn((): Promise<never> => {
      throw new Error("plain");
    });
    await expect(
      retry(task, { initialMs: 1, attempts: 3, shouldRetry: () => true }),
    ).rejects.toThrow("plain");
    expect(task).toHaveBeenCalledTimes(3);
  });

  it("gives up after `attempts` tries and throws the last error", async () => {
    const errors: WardenError[] = [];
    const task = vi.fn((attempt: number): Promise<never> => {
      const error = new WardenError(`attempt ${attempt}`, { retriable: true });
      errors.push(error);
      throw error;
    });
    await expect(
      retry(task, { initialMs: 1, maxDelayMs: 1, attempts: 4 }),
    ).rejects.toThrow("attempt 4");
    expect(task).toHaveBeenCalledTimes(4);
    expect(errors).toHaveLength(4);
    const thrown = await retry(task, {
      initialMs: 1,
      maxDelayMs: 1,
      attempts: 2,
    }).catch((error: unknown) => error);
    expect(errors).toHaveLength(6);
    expect(thrown).toBe(errors[5]);
  });

  it("attempts: 1 means no retry", async () => {
    const task = vi.fn((): Promise<never> => {
      throw transient();
    });
    await expect(retry(task, { initialMs: 1, attempts: 1 })).rejects.toThrow(
      "try again",
    );
    expect(task).toHaveBeenCalledTimes(1);
  });

  it("stops when the signal is aborted before the next try", async () => {
    const controller = new AbortController();
    const task = vi.fn((): Promise<never> => {
      controller.abort(new Error("stopping"));
      throw transient();
    });
    await expect(
      retry(task, { initialMs: 1, attempts: 10, signal: controller.signal }),
    ).rejects.toThrow("try again");
    expect(task).toHaveBeenCalledTimes(1);
  });

  it("stops while waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const reason = new Error("stopping");
    const task = vi.fn((): Promise<never> => {
      throw transient();
    });
    const started = Date.now();
    await expect(
      retry(task, {
        initialMs: 60_000,
        maxDelayMs: 60_000,
        attempts: 10,
        signal: controller.signal,
        onRetry: () => setTimeout(() => controller.abort(reason), 5),
      }),
    ).rejects.toBe(reason);
    expect(task).toHaveBeenCalledTimes(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("does not run the task again once aborted during the wait (already-aborted sleep)", async () => {
    const controller = new AbortController();
    const reason = new Error("gone");
    const task = vi.fn((): Promise<never> => {
      throw transient();
    });
    await expect(
      retry(task, {
        initialMs: 1,
        attempts: 10,
        signal: controller.signal,
        onRetry: () => controller.abort(reason),
      }),
    ).rejects.toBe(reason);
    expect(task).toHaveBeenCalledTimes(1);
  });
});

describe("sleep", () => {
  it("resolves after the delay", async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it("rejects at once with the reason of an already-aborted signal", async () => {
    const reason = new Error("already");
    await expect(sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe("backoffDelayMs", () => {
  it("stays within [0, min(cap, initial * 2^(n-1))] (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialMs, maxDelayMs, r) => {
          const delay = backoffDelayMs(attempt, initialMs, maxDelayMs, () => r);
          const ceiling = Math.min(maxDelayMs, initialMs * 2 ** (attempt - 1));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it("uses the full range: random 0 gives 0, random near 1 gives the ceiling", () => {
    expect(backoffDelayMs(1, 100, 10_000, () => 0)).toBe(0);
    expect(backoffDelayMs(1, 100, 10_000, () => 0.999999)).toBe(100);
    expect(backoffDelayMs(4, 100, 10_000, () => 0.999999)).toBe(800);
    expect(backoffDelayMs(30, 100, 10_000, () => 0.999999)).toBe(10_000);
    expect(backoffDelayMs(3, 100, 10_000, () => 0.5)).toBe(200);
  });

  it("stays within bounds with the default random source", () => {
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      const delay = backoffDelayMs(attempt, 10, 500);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(500, 10 * 2 ** (attempt - 1)));
    }
  });
});
