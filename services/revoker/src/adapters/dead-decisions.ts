import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type NatsConnection,
} from "nats";
import type { WardenNames } from "@warden/shared";

/** Why a decision was given up: every delivery failed, or it never parsed. */
export const DeadReason = {
  exhausted: "exhausted",
  invalid: "invalid",
} as const;
export type DeadReason = (typeof DeadReason)[keyof typeof DeadReason];

/**
 * A full dead-letter stream refuses new entries (discard new) rather than drop old ones: the
 * decision then stays on the decisions stream and is retried, never lost (issue 16).
 */
export const DEAD_DECISIONS_MAX_BYTES = 1024 * 1024 * 1024;
/** Entries one list or re-drive call reads at most. */
export const MAX_DEAD_DECISIONS_PER_CALL = 1_000;
/** Deleted (re-driven) sequence numbers one list call steps over at most; page on with `from`. */
const MAX_GAP_PROBES = 1_000;

/** One dead-lettered decision as stored (JSON) in the dead-letter stream. */
export interface DeadDecisionEntry {
  /** The decisions subject it came from and is re-driven to. */
  readonly subject: string;
  /** The message body exactly as received. */
  readonly decision: string;
  readonly reason: DeadReason;
  readonly deliveries: number;
  readonly error: string;
  readonly dead_at: string;
}

export interface DeadDecision extends DeadDecisionEntry {
  readonly seq: number;
  /** From the decision body, when it parses: what an admin's tenant scope is checked on. */
  readonly tenant: string | undefined;
  readonly decision_id: string | undefined;
  readonly agent_id: string | undefined;
}

export interface DeadDecisions {
  /** Durably stores the entry (resolves once JetStream acknowledged it). */
  put(entry: Omit<DeadDecisionEntry, "dead_at">): Promise<void>;
  /** Up to `limit` entries, oldest first, from sequence `fromSeq` on; `next` continues. */
  list(
    limit: number,
    fromSeq?: number,
  ): Promise<{ entries: DeadDecision[]; next: number }>;
  /** Publishes the entry back to its decisions subject, then deletes it; false when there is none. */
  redrive(seq: number): Promise<boolean>;
  /** Entries waiting, from the stream's state. */
  depth(): Promise<number>;
}

function field(body: unknown, key: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

function described(seq: number, entry: DeadDecisionEntry): DeadDecision {
  let body: unknown;
  try {
    body = JSON.parse(entry.decision);
  } catch {
    body = undefined;
  }
  return {
    ...entry,
    seq,
    tenant: field(body, "tenant"),
    decision_id: field(body, "decision_id"),
    agent_id: field(body, "agent_id"),
  };
}

/**
 * The revoker's dead letter for decisions (JetStream stream `names.revoker.deadDecisionsStream`,
 * subjects `warden.decisions-dead.<reason>`): no age limit, so an entry stays until an
 * operator re-drives it (`POST /admin/dead-decisions/redrive`). Entries are read by sequence
 * number (no consumer to manage).
 */
export async function openDeadDecisions(options: {
  readonly connection: NatsConnection;
  readonly names: WardenNames;
}): Promise<DeadDecisions> {
  const { connection, names } = options;
  const stream = names.revoker.deadDecisionsStream;
  const manager = await connection.jetstreamManager();
  const js = connection.jetstream();
  const config = {
    name: stream,
    subjects: [names.revoker.deadDecisionSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_bytes: DEAD_DECISIONS_MAX_BYTES,
    discard: DiscardPolicy.New,
  };
  try {
    await manager.streams.info(stream);
    await manager.streams.update(stream, config);
  } catch (error) {
    if ((error as { code?: string }).code !== "404") throw error;
    await manager.streams.add(config);
  }
  // Only a decisions subject is ever re-driven to, whatever the stored entry says.
  const decisionsPrefix = names.decisionSubjects.slice(0, -1);

  async function read(seq: number): Promise<DeadDecision | undefined> {
    try {
      const message = await manager.streams.getMessage(stream, { seq });
      return described(message.seq, message.json<DeadDecisionEntry>());
    } catch (error) {
      // A gap: that entry was re-driven and deleted.
      if ((error as { code?: string }).code === "404") return undefined;
      throw error;
    }
  }

  return {
    async put(entry) {
      const stored: DeadDecisionEntry = {
        ...entry,
        dead_at: new Date().toISOString(),
      };
      await js.publish(
        names.revoker.deadDecisionSubject(entry.reason),
        JSON.stringify(stored),
      );
    },
    async list(limit, fromSeq = 1) {
      const entries: DeadDecision[] = [];
      const { state } = await manager.streams.info(stream);
      const wanted = Math.min(limit, MAX_DEAD_DECISIONS_PER_CALL);
      // Bounded twice: by the entries wanted and by the reads spent on gaps.
      let probes = wanted + MAX_GAP_PROBES;
      let seq = Math.max(state.first_seq, fromSeq);
      for (
        ;
        seq <= state.last_seq && entries.length < wanted && probes > 0;
        seq += 1, probes -= 1
      ) {
        const entry = await read(seq);
        if (entry) entries.push(entry);
      }
      return { entries, next: seq };
    },
    async redrive(seq) {
      let message;
      try {
        message = await manager.streams.getMessage(stream, { seq });
      } catch (error) {
        if ((error as { code?: string }).code === "404") return false;
        throw error;
      }
      const entry = message.json<DeadDecisionEntry>();
      if (!entry.subject.startsWith(decisionsPrefix))
        throw new Error(
          `dead decision ${seq} names subject ${entry.subject}, not a decisions subject`,
        );
      // No message id: the decisions stream would drop it as a duplicate of the original
      // within its window. Published first, deleted second: a crash between re-drives twice,
      // which the revoker absorbs (SET ids and the kill switch are idempotent), never zero times.
      await js.publish(entry.subject, entry.decision);
      await manager.streams.deleteMessage(stream, seq, false);
      return true;
    },
    async depth() {
      return (await manager.streams.info(stream)).state.messages;
    },
  };
}
