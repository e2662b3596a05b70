import type { Admin } from "kafkajs";

/**
 * State restore after a restart, by re-reading a bounded tail of `agent.events.v1` (no
 * snapshot: the topic already holds the events, and the windows are at most an hour long).
 * For each partition the group had committed: the events of the last `tailMs` before now,
 * at most `maxMessages`, up to the committed offset. They are scored again to rebuild the
 * windows, the incidents and the novelty flags, and the decisions they cause are dropped:
 * those were published before the restart.
 */
export interface RestoreRange {
  /** First offset to re-read. */
  readonly from: number;
  /** The committed offset: from here on, events are live again. */
  readonly until: number;
}

export async function planRestore(options: {
  readonly admin: Admin;
  readonly groupId: string;
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly tailMs: number;
  readonly maxMessages: number;
  readonly nowMs: number;
}): Promise<Map<number, RestoreRange>> {
  const { admin, topic } = options;
  const plan = new Map<number, RestoreRange>();
  if (options.tailMs <= 0 || options.partitions.length === 0) return plan;
  const [committed] = await admin.fetchOffsets({
    groupId: options.groupId,
    topics: [topic],
  });
  const byTime = await admin.fetchTopicOffsetsByTimestamp(
    topic,
    options.nowMs - options.tailMs,
  );
  for (const partition of options.partitions) {
    const until = Number(
      committed?.partitions.find((p) => p.partition === partition)?.offset ??
        -1,
    );
    // Nothing committed: the group reads the partition from its beginning anyway.
    if (!(until > 0)) continue;
    const found = Number(
      byTime.find((p) => p.partition === partition)?.offset ?? -1,
    );
    // -1: no event since then.
    const since = found < 0 ? until : found;
    const from = Math.max(0, since, until - options.maxMessages);
    if (from < until) plan.set(partition, { from, until });
  }
  return plan;
}
