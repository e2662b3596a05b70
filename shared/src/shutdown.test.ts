import { describe, expect, it, vi } from "vitest";
import { createLogger } from "./logger.js";
import { createShutdown } from "./shutdown.js";

const logger = createLogger({ level: "silent", service: "test" });

describe("createShutdown", () => {
  it("runs steps in registration order, each awaited", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({ logger, deadlineMs: 5_000, exit });
    const order: string[] = [];
    shutdown.add("intake", async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push("intake");
    });
    shutdown.add("work", () => {
      order.push("work");
    });
    shutdown.add("clients", () => {
      order.push("clients");
      return Promise.resolve();
    });
    expect(shutdown.state).toBe("running");
    await shutdown.stop("test");
    expect(order).toEqual(["intake", "work", "clients"]);
    expect(shutdown.state).toBe("stopped");
    expect(exit).not.toHaveBeenCalled();
  });

  it("is idempotent: stop() returns the same promise and runs the steps once", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({ logger, deadlineMs: 5_000, exit });
    const step = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    shutdown.add("step", step);
    const first = shutdown.stop("one");
    const second = shutdown.stop("two");
    expect(second).toBe(first);
    expect(shutdown.state).toBe("stopping");
    await first;
    expect(shutdown.stop("three")).toBe(first);
    await shutdown.stop("four");
    expect(step).toHaveBeenCalledTimes(1);
    expect(exit).not.toHaveBeenCalled();
  });

  it("keeps going after a failing step", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({ logger, deadlineMs: 5_000, exit });
    const ran: string[] = [];
    shutdown.add("a", () => {
      ran.push("a");
    });
    shutdown.add("throws", () => {
      ran.push("throws");
      throw new Error("sync failure");
    });
    shutdown.add("rejects", () => {
      ran.push("rejects");
      return Promise.reject(new Error("async failure"));
    });
    shutdown.add("z", () => {
      ran.push("z");
    });
    await expect(shutdown.stop("test")).resolves.toBeUndefined();
    expect(ran).toEqual(["a", "throws", "rejects", "z"]);
    expect(shutdown.state).toBe("stopped");
    expect(exit).not.toHaveBeenCalled();
  });

  it("calls exit(1) when a step hangs past the deadline", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({ logger, deadlineMs: 30, exit });
    const after = vi.fn();
    shutdown.add("hangs", () => new Promise<void>(() => {}));
    shutdown.add("after", after);
    const started = Date.now();
    await shutdown.stop("test");
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(after).not.toHaveBeenCalled();
    expect(shutdown.state).toBe("stopped");
  });

  it("does not exit when the steps finish within the deadline", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({ logger, deadlineMs: 200, exit });
    shutdown.add("quick", async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await shutdown.stop("test");
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(exit).not.toHaveBeenCalled();
  });

  it("aborts its signal when stopping begins, before the steps run", async () => {
    const shutdown = createShutdown({
      logger,
      deadlineMs: 5_000,
      exit: vi.fn(),
    });
    let abortedDuringStep: boolean | undefined;
    shutdown.add("check", () => {
      abortedDuringStep = shutdown.signal.aborted;
    });
    const onAbort = vi.fn();
    shutdown.signal.addEventListener("abort", onAbort);
    expect(shutdown.signal.aborted).toBe(false);
    const stopping = shutdown.stop("because");
    expect(shutdown.signal.aborted).toBe(true);
    expect(onAbort).toHaveBeenCalledTimes(1);
    expect(String((shutdown.signal.reason as Error).message)).toContain(
      "because",
    );
    await stopping;
    expect(abortedDuringStep).toBe(true);
  });

  it("stops with no steps", async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({ logger, deadlineMs: 100, exit });
    await shutdown.stop("empty");
    expect(shutdown.state).toBe("stopped");
    expect(exit).not.toHaveBeenCalled();
  });
});
