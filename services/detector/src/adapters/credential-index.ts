import { randomUUID } from "node:crypto";
import type { KV, KvEntry, QueuedIterator } from "nats";
import { retry, type Logger } from "@warden/shared";
import { decodeFact, encodeFact, factKey } from "../core/credential-facts.js";
import type { ScoringEngine } from "../core/engine.js";
import type { DetectorMetrics } from "../metrics.js";

const PUT_RETRY_MAX_DELAY_MS = 5_000;
/** Longest a batch waits for the mirror to catch up before it is scored on what it has. */
const CATCH_UP_TIMEOUT_MS = 10_000;

export interface CredentialIndex {
  /** Resolves once every fact written to the bucket before the call is in the engine. */
  caughtUp(): Promise<void>;
  /** Writes the engine's new facts to the bucket; resolves once all are stored (or `signal`). */
  publish(signal: AbortSignal): Promise<void>;
  readonly watching: boolean;
  stop(): Promise<void>;
}

/**
 * The credential facts shared between detector instances (core/credential-facts.ts, issue 20):
 * one NATS KV bucket that every instance writes its facts to and mirrors into its engine (every
 * key's latest value first, then every update), skipping its own.
 *
 * Why a shared index and not a credential-keyed stream: the facts are read on every event and
 * written rarely (once per agent, credential and ten minutes), so each instance holds the whole
 * index and reads it in memory; a stream keyed by credential would have to route each verdict
 * back to the instance that scores the agent, which puts a second Kafka hop and a join in front
 * of every decision. With `caughtUp` before a batch and `publish` before its offsets are
 * committed, a fact one instance committed is known to every instance's next batch: N instances
 * decide as one does whenever the credential's uses are a batch apart (test/detector-instances).
 */
export async function shareCredentialFacts(options: {
  readonly bucket: KV;
  readonly engine: ScoringEngine;
  readonly logger: Logger;
  readonly metrics: DetectorMetrics;
}): Promise<CredentialIndex> {
  const { bucket, engine, metrics } = options;
  const log = options.logger.child({ component: "credential-index" });
  const self = randomUUID();
  let applied = 0;
  let dropped = 0;
  const waiting = new Set<{ target: number; resolve: () => void }>();
  const updates: QueuedIterator<KvEntry> = await bucket.watch({ key: ">" });
  let watching = true;
  let stopping = false;

  function apply(entry: KvEntry): void {
    if (entry.operation === "PUT") {
      const decoded = decodeFact(entry.value);
      if (!decoded.ok) {
        metrics.credentialFacts.labels("any", "rejected").inc();
        log.warn(
          { key: entry.key, problem: decoded.problem },
          "ignoring an undecodable credential fact",
        );
      } else if (decoded.by !== self) {
        engine.learnFact(decoded.fact);
        metrics.credentialFacts.labels(decoded.fact.kind, "applied").inc();
      }
    }
    applied = Math.max(applied, entry.revision);
    for (const waiter of waiting)
      if (applied >= waiter.target) {
        waiting.delete(waiter);
        waiter.resolve();
      }
  }

  const done = (async () => {
    for await (const entry of updates) apply(entry);
  })()
    .catch((error: unknown) => {
      log.error({ err: error }, "credential fact watch failed");
    })
    .finally(() => {
      watching = false;
      for (const waiter of waiting) waiter.resolve();
      waiting.clear();
      if (!stopping)
        log.error(
          "credential fact watch ended; other instances' facts no longer arrive",
        );
    });

  async function caughtUp(): Promise<void> {
    if (!watching) return;
    const { state } = (await bucket.status()).streamInfo;
    // Facts expire oldest first, so an empty bucket is the only one whose last sequence is gone.
    const target = state.messages > 0 ? state.last_seq : 0;
    if (applied >= target) return;
    let timer: NodeJS.Timeout | undefined;
    const waiter = { target, resolve: () => undefined as void };
    await Promise.race([
      new Promise<void>((resolve) => {
        waiter.resolve = resolve;
        waiting.add(waiter);
      }),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          waiting.delete(waiter);
          log.warn(
            { applied, target },
            "credential facts not caught up in time; scoring with those applied",
          );
          resolve();
        }, CATCH_UP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  async function publish(signal: AbortSignal): Promise<void> {
    const facts = engine.takeFacts();
    if (engine.droppedFacts > dropped) {
      metrics.credentialFacts
        .labels("any", "dropped")
        .inc(engine.droppedFacts - dropped);
      dropped = engine.droppedFacts;
    }
    if (facts.length === 0) return;
    await retry(
      () =>
        Promise.all(
          facts.map((fact) =>
            bucket.put(factKey(fact), encodeFact(fact, self)),
          ),
        ),
      {
        attempts: Number.POSITIVE_INFINITY,
        maxDelayMs: PUT_RETRY_MAX_DELAY_MS,
        shouldRetry: () => true,
        signal,
        onRetry: (error, attempt, delayMs) =>
          log.warn(
            { err: error, attempt, delayMs, facts: facts.length },
            "sharing credential facts failed; retrying",
          ),
      },
    );
    for (const fact of facts)
      metrics.credentialFacts.labels(fact.kind, "shared").inc();
  }

  return {
    caughtUp,
    publish,
    get watching() {
      return watching;
    },
    async stop() {
      stopping = true;
      updates.stop();
      await done;
    },
  };
}
