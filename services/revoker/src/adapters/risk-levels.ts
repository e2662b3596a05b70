import { describeError, type Logger } from "@warden/shared";
import type { AgentAction, RiskLevel } from "../core/action.js";
import type { KeyValue } from "../core/ports.js";
import {
  parseRiskRecord,
  recoveryAction,
  recoveryDue,
  riskKey,
  riskRecordOf,
  type RiskRecord,
} from "../core/risk-level.js";
import type { RevokerMetrics } from "../metrics.js";

/** The last risk level reported per agent (NATS KV in the cluster, a journal in the all-in-one). */
export interface RiskLevels {
  /** Records the action's level and resolves with the one reported before it, if any. */
  exchange(action: AgentAction): Promise<RiskLevel | undefined>;
  /** Records currently kept (every replica's, through the KV's watch). */
  records(): readonly RiskRecord[];
  stop(): Promise<void>;
}

const CLAIM_SUFFIX = ".recovering";
/** A claim older than this was left by a replica that stopped mid-way; it is taken over. */
const STALE_CLAIM_MS = 10 * 60_000;

export async function openRiskLevels(kv: KeyValue): Promise<RiskLevels> {
  const records = new Map<string, RiskRecord>();
  const watch = await kv.watch((key, value) => {
    if (key.endsWith(CLAIM_SUFFIX)) return;
    const record = value === undefined ? undefined : parseRiskRecord(value);
    if (record) records.set(key, record);
    else records.delete(key);
  });
  return {
    async exchange(action) {
      const key = riskKey(action.tenant, action.agentId);
      const previous =
        records.get(key) ?? parseRiskRecord((await kv.get(key)) ?? "");
      const next = riskRecordOf(action);
      records.set(key, next);
      await kv.put(key, JSON.stringify(next));
      return previous?.level;
    },
    records: () => [...records.values()],
    stop: () => watch.stop(),
  };
}

/**
 * Reports agents back at LOW once an alert is followed by no decision for
 * `afterMs` (CAEP risk-level-change with `previous_level`). One replica sends each recovery:
 * it first claims the agent with the KV's create-if-absent.
 */
export function startRiskRecovery(options: {
  readonly afterMs: number;
  readonly kv: KeyValue;
  readonly levels: RiskLevels;
  readonly handle: (action: AgentAction) => Promise<void>;
  readonly metrics: RevokerMetrics;
  readonly logger: Logger;
}): { stop(): Promise<void> } {
  const { afterMs, kv, levels } = options;
  if (afterMs <= 0) return { stop: () => Promise.resolve() };
  const log = options.logger.child({ component: "risk-recovery" });
  const afterSeconds = afterMs / 1000;

  async function recover(record: RiskRecord, nowMs: number): Promise<void> {
    const claim = `${riskKey(record.tenant, record.agentId)}${CLAIM_SUFFIX}`;
    if (!(await kv.create(claim, String(nowMs)))) {
      const since = Number(await kv.get(claim));
      if (!(nowMs - since > STALE_CLAIM_MS)) return;
      await kv.put(claim, String(nowMs));
    }
    try {
      await options.handle(recoveryAction(record, nowMs / 1000, afterSeconds));
      options.metrics.riskRecoveries.inc();
    } finally {
      await kv.delete(claim);
    }
  }

  async function check(): Promise<void> {
    const nowMs = Date.now();
    for (const record of levels.records())
      if (recoveryDue(record, nowMs / 1000, afterSeconds))
        await recover(record, nowMs);
  }

  let running: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      running ??= check()
        .catch((error: unknown) =>
          log.error({ error: describeError(error) }, "risk recovery failed"),
        )
        .finally(() => (running = undefined));
    },
    Math.min(60_000, Math.max(250, afterMs / 4)),
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
