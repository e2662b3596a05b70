import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import type { AuditEventV1 } from "./audit-event.js";
import { backoffDelayMs } from "@warden/shared/retry";
import { pause } from "./backoff.js";
import { describeError } from "@warden/shared/errors";
import { ShipRefusedError } from "./errors.js";
import { createShipperMetrics, registerShipperGauges } from "./metrics.js";
import {
  compileShipperLimits,
  DEFAULT_STOP_GRACE_MS,
  type ShipperLimits,
} from "./shipper-options.js";
import type { OutboundEvent, Sink } from "./sinks.js";
import { openSpool, type Spool } from "./spool.js";

export interface ShipperOptions extends ShipperLimits {
  readonly sink: Sink;
  /** Where undelivered events wait on disk; one directory per gateway process. */
  readonly spoolDirectory: string;
  readonly logger?: Logger;
  /** The gateway's registry, so the metrics appear on its /metrics. A fresh one by default. */
  readonly registry?: Registry;
}

export interface Shipper {
  /** Opens the spool and starts replaying what an earlier run left in it. */
  start(): Promise<void>;
  /**
   * Resolves once the event is safe: acknowledged by Warden or fsynced to the spool. Rejects
   * with ShipRefusedError when the queue stays full (back-pressure), the spool is full, or
   * the shipper is stopping; each refusal is counted.
   */
  ship(event: AuditEventV1): Promise<void>;
  /**
   * Stop taking events, send or spool what is queued (falling back to the spool after
   * `graceMs`), stop replaying, close the sink and the spool. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
  readonly stats: () => {
    readonly queuedEvents: number;
    readonly spoolBytes: number;
    readonly spoolSegments: number;
  };
}

interface Pending {
  readonly event: OutboundEvent;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

type State = "new" | "running" | "stopping" | "stopped";

export function createShipper(options: ShipperOptions): Shipper {
  const limits = compileShipperLimits(options);
  const { sink } = options;
  const log = (options.logger ?? pino({ level: "info" })).child({
    component: "warden-shipper",
    sink: sink.kind,
  });
  const registry = options.registry ?? new Registry();
  const metrics = createShipperMetrics(registry);
  const dropped = {
    queueFull: metrics.dropped.labels("queue_full"),
    spoolFull: metrics.dropped.labels("spool_full"),
    spoolError: metrics.dropped.labels("spool_error"),
    stopped: metrics.dropped.labels("stopped"),
    damaged: metrics.dropped.labels("damaged"),
  };
  const liveFailures = metrics.sendFailures.labels("live");
  const spoolFailures = metrics.sendFailures.labels("spool");

  let state: State = "new";
  let spool: Spool | undefined;
  const queue: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  // Warden answered the last live batch; when false, batches go straight to the spool
  // (no waiting out a send timeout per batch during an outage) until the replay catches up.
  let reachable = true;
  const roomWaiters = new Set<() => void>();
  const stopReplay = new AbortController();
  let wakeReplay: (() => void) | undefined;
  let replayLoop: Promise<void> | undefined;

  registerShipperGauges(registry, {
    queueEvents: () => queue.length,
    spoolBytes: () => spool?.sizeBytes() ?? 0,
    spoolSegments: () => spool?.segmentCount() ?? 0,
  });

  async function send(events: readonly OutboundEvent[]): Promise<void> {
    const end = metrics.sendSeconds.startTimer();
    const result = await sink.send(
      events,
      AbortSignal.timeout(limits.sendTimeoutMs),
    );
    end();
    metrics.shipped.inc(events.length);
    if (result.rejected > 0) {
      metrics.rejectedByIngest.inc(result.rejected);
      log.warn(
        { rejected: result.rejected },
        "Warden's ingest rejected events; see its dead letters",
      );
    }
  }

  async function toSpool(batch: readonly Pending[]): Promise<void> {
    try {
      await (spool as Spool).append(
        batch.map((pending) => pending.event.value),
      );
    } catch (error) {
      const refusal =
        error instanceof ShipRefusedError
          ? error
          : new ShipRefusedError(
              "spool_full",
              `cannot write the spool: ${describeError(error)}`,
            );
      (error instanceof ShipRefusedError
        ? dropped.spoolFull
        : dropped.spoolError
      ).inc(batch.length);
      log.error(
        { events: batch.length, error: describeError(error) },
        "events refused: spool unusable",
      );
      for (const pending of batch) pending.reject(refusal);
      return;
    }
    metrics.spooled.inc(batch.length);
    for (const pending of batch) pending.resolve();
    wakeReplay?.();
  }

  async function deliver(batch: readonly Pending[]): Promise<void> {
    if (!reachable || !(spool as Spool).isEmpty()) return toSpool(batch);
    try {
      await send(batch.map((pending) => pending.event));
    } catch (error) {
      liveFailures.inc();
      reachable = false;
      log.warn(
        { error: describeError(error), events: batch.length },
        "Warden unreachable; spooling",
      );
      return toSpool(batch);
    }
    for (const pending of batch) pending.resolve();
  }

  function takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < queue.length && count < limits.maxBatchEvents) {
      const size = (queue[count] as Pending).event.value.length;
      if (count > 0 && bytes + size > limits.maxBatchBytes) break;
      bytes += size;
      count += 1;
    }
    return queue.splice(0, count);
  }

  function pump(): void {
    if (inFlight || queue.length === 0) return;
    const full = queue.length >= limits.maxBatchEvents || state === "stopping";
    if (!full && lingerTimer === undefined) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        flushNow();
      }, limits.lingerMs);
      return;
    }
    if (full) flushNow();
  }

  function flushNow(): void {
    if (lingerTimer !== undefined) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (inFlight || queue.length === 0) return;
    const batch = takeBatch();
    for (const wake of roomWaiters) wake();
    inFlight = deliver(batch).finally(() => {
      inFlight = undefined;
      pump();
    });
  }

  function waitForRoom(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (room: boolean): void => {
        clearTimeout(timer);
        roomWaiters.delete(wake);
        resolve(room);
      };
      const wake = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      roomWaiters.add(wake);
    });
  }

  function toOutbound(payload: Buffer): OutboundEvent | undefined {
    try {
      const event = JSON.parse(payload.toString("utf8")) as {
        agent?: { id?: unknown };
      };
      return typeof event.agent?.id === "string"
        ? { key: event.agent.id, value: payload }
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** Sends one chunk of spooled events until Warden takes it; false when stopping cut it short. */
  async function replayChunk(
    chunk: readonly OutboundEvent[],
  ): Promise<boolean> {
    for (let attempt = 1; !stopReplay.signal.aborted; attempt += 1) {
      try {
        await send(chunk);
        metrics.replayed.inc(chunk.length);
        return true;
      } catch (error) {
        spoolFailures.inc();
        const delayMs = backoffDelayMs(
          attempt,
          limits.retryInitialMs,
          limits.retryMaxDelayMs,
        );
        (attempt === 1 ? log.warn : log.debug).call(
          log,
          {
            error: describeError(error),
            attempt,
            delayMs,
            spoolBytes: spool?.sizeBytes(),
          },
          "replaying the spool failed; backing off",
        );
        await pause(delayMs, stopReplay.signal);
      }
    }
    return false;
  }

  function waitForSpooled(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        wakeReplay = undefined;
        stopReplay.signal.removeEventListener("abort", done);
        resolve();
      };
      wakeReplay = done;
      stopReplay.signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Delivers the oldest segment and deletes it; false when stopping cut it short. */
  async function replaySegment(store: Spool): Promise<boolean> {
    const segment = await store.oldest();
    if (!segment) return true;
    if (segment.damagedBytes > 0) {
      metrics.damagedSpoolBytes.inc(segment.damagedBytes);
      log.warn(
        { segment: segment.id, damagedBytes: segment.damagedBytes },
        "spool segment ends in a torn record; skipped it",
      );
    }
    const events: OutboundEvent[] = [];
    for (const payload of segment.payloads) {
      const event = toOutbound(payload);
      if (event) events.push(event);
      else dropped.damaged.inc();
    }
    for (let from = 0; from < events.length; from += limits.maxBatchEvents) {
      // Stopping mid-segment keeps the whole segment: its sent part is sent again next
      // start, and Warden's ingest de-duplicates on event_id (at least once, never lost).
      const chunk = events.slice(from, from + limits.maxBatchEvents);
      if (!(await replayChunk(chunk))) return false;
    }
    await store.remove(segment.id);
    if (events.length > 0)
      log.info(
        { segment: segment.id, events: events.length },
        "spooled events delivered",
      );
    return true;
  }

  async function replay(): Promise<void> {
    const store = spool as Spool;
    for (let failures = 0; !stopReplay.signal.aborted;) {
      if (store.isEmpty()) {
        reachable = true;
        await waitForSpooled();
        continue;
      }
      try {
        if (!(await replaySegment(store))) return;
        failures = 0;
      } catch (error) {
        // A disk error reading or deleting a segment: keep trying, never give up on the spool.
        failures += 1;
        log.error(
          { error: describeError(error), failures },
          "spool replay failed; retrying",
        );
        await pause(
          backoffDelayMs(
            failures,
            limits.retryInitialMs,
            limits.retryMaxDelayMs,
          ),
          stopReplay.signal,
        );
      }
    }
  }

  return {
    async start() {
      if (state !== "new") return;
      spool = await openSpool({
        directory: options.spoolDirectory,
        maxBytes: limits.spoolMaxBytes,
        segmentBytes: limits.spoolSegmentBytes,
      });
      if (!spool.isEmpty())
        log.info(
          { spoolBytes: spool.sizeBytes(), segments: spool.segmentCount() },
          "replaying events spooled by an earlier run",
        );
      state = "running";
      replayLoop = replay().catch((error: unknown) => {
        log.error({ error: describeError(error) }, "spool replay stopped");
      });
    },

    async ship(event) {
      if (state !== "running") {
        dropped.stopped.inc();
        throw new ShipRefusedError(
          "stopped",
          `the shipper is ${state === "new" ? "not started" : state}`,
        );
      }
      const deadline = Date.now() + limits.enqueueTimeoutMs;
      while (queue.length >= limits.maxQueueEvents) {
        const left = deadline - Date.now();
        if (
          left <= 0 ||
          !(await waitForRoom(left)) ||
          (state as State) !== "running"
        ) {
          dropped.queueFull.inc();
          throw new ShipRefusedError(
            "queue_full",
            `${queue.length} events already wait to be shipped`,
          );
        }
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({
          event: {
            key: event.agent.id,
            value: Buffer.from(JSON.stringify(event)),
          },
          resolve,
          reject,
        });
        pump();
      });
    },

    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      if (state !== "running") {
        state = "stopped";
        return;
      }
      state = "stopping";
      const force = setTimeout(() => {
        // Past the grace period Warden is not waited for: the rest goes to disk.
        reachable = false;
      }, graceMs);
      while (queue.length > 0 || inFlight) {
        flushNow();
        await inFlight;
      }
      clearTimeout(force);
      stopReplay.abort();
      wakeReplay?.();
      await replayLoop;
      await sink.close();
      await spool?.close();
      state = "stopped";
      log.info({ spoolBytes: spool?.sizeBytes() ?? 0 }, "shipper stopped");
    },

    stats: () => ({
      queuedEvents: queue.length,
      spoolBytes: spool?.sizeBytes() ?? 0,
      spoolSegments: spool?.segmentCount() ?? 0,
    }),
  };
}
