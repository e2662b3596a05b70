import {
  Counter,
  Histogram,
  KILL_SWITCH_VERSION,
  retry,
  type DecisionV1,
  type KillSwitchMessage,
  type Logger,
  type Registry,
} from "@warden/shared";
import {
  PushError,
  actionFromDecision,
  buildActionSets,
  createPushAgents,
  pushSet,
  type AgentAction,
  type PushPolicy,
  type SetOptions,
  type SigningKeys,
} from "@warden/revoker";

/**
 * The revoker's transmitter core, in process: each decision becomes the same signed CAEP/RISC
 * SETs the revoker sends (same builder, same jti, same signing header) and is pushed to every
 * configured receiver by the revoker's RFC 8935 push. Unlike the revoker there is no durable
 * queue: a SET is retried a few times with back-off and then given up (and counted).
 */
export interface PushStream {
  readonly id: string;
  readonly url: string;
  readonly audience: string;
  /** Sent as the Authorization header; never logged. */
  readonly authorization?: string | undefined;
  /** Event type URIs this receiver gets. */
  readonly events: readonly string[];
}

export interface QueuedSet {
  readonly streamId: string;
  readonly jti: string;
  readonly eventType: string;
  readonly tenant: string;
  readonly agentId: string;
  readonly decisionId: string;
  readonly queuedAtMs: number;
}

export interface DeliveryReport extends QueuedSet {
  readonly outcome: "delivered" | "refused" | "failed";
  readonly attempts: number;
  /** Signed → receiver's 202 (or the last failure). */
  readonly latencyMs: number;
  readonly detail: string | undefined;
}

export interface Transmitter {
  addStream(stream: PushStream): void;
  /** Signs and pushes what the decision causes; returns at once (deliveries run in the background). */
  send(decision: DecisionV1): void;
  jwks(): ReturnType<SigningKeys["publicJwks"]>;
  /** Agents currently revoked, as the gateways' kill-switch messages. */
  revoked(): readonly KillSwitchMessage[];
  /** SETs signed, and how their deliveries ended so far. */
  counts(): TransmitterCounts;
  /** Resolves when every delivery started so far has finished. */
  settled(): Promise<void>;
  /** Stops retrying and waits for pushes in flight. */
  stop(): Promise<void>;
}

export interface TransmitterCounts {
  readonly issued: number;
  readonly delivered: number;
  readonly refused: number;
  readonly failed: number;
}

export const PUSH_ATTEMPTS = 5;
const PUSH_RETRY_INITIAL_MS = 500;
const PUSH_RETRY_MAX_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const SOCKETS_PER_RECEIVER = 8;

// Receivers here come from the operator (WARDEN_PUSH_URL) or the demo, never from a remote
// API call, so like the revoker's REVOKER_PUSH_URL stream they may be any address over http.
const TRUSTED_URLS = {
  allowHttp: true,
  allowedCidrs: ["0.0.0.0/0", "::/0"],
} as const;

export function createTransmitter(options: {
  /** Read at each SET: the all-in-one knows its own URL only once it listens. */
  readonly issuer: () => string;
  readonly keys: SigningKeys;
  readonly pushTimeoutMs: number;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly onQueued?: (set: QueuedSet) => void;
  readonly onDelivery?: (report: DeliveryReport) => void;
  readonly now?: () => number;
}): Transmitter {
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: "transmitter" });
  const metrics = createTransmitterMetrics(options.registry);
  const streams = new Map<string, PushStream>();
  const agents = createPushAgents(SOCKETS_PER_RECEIVER);
  const inFlight = new Set<Promise<void>>();
  const revoked = new Map<string, KillSwitchMessage>();
  const controller = new AbortController();
  const counts = { issued: 0, delivered: 0, refused: 0, failed: 0 };
  const policy: PushPolicy = {
    urlPolicy: TRUSTED_URLS,
    timeoutMs: options.pushTimeoutMs,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  };
  const setOptions = (nowSeconds: number): SetOptions => ({
    issuer: options.issuer(),
    // The revoker's default per-tenant agent issuer: two tenants' agents of one id stay apart.
    subjectIssuer: (tenant) =>
      `${options.issuer().replace(/\/+$/, "")}/tenants/${encodeURIComponent(tenant)}`,
    nowSeconds,
    stepUpEvent: "assurance-level-change",
    stepUpNamespace: "NIST-AAL",
    stepUpLevel: "nist-aal1",
    credentialType: "app",
  });

  async function deliver(
    stream: PushStream,
    set: QueuedSet,
    jwt: string,
  ): Promise<void> {
    let attempts = 0;
    let outcome: DeliveryReport["outcome"] = "delivered";
    let detail: string | undefined;
    try {
      await retry(
        () => {
          attempts += 1;
          return pushSet(
            { url: stream.url, authorization: stream.authorization },
            jwt,
            policy,
            agents,
          );
        },
        {
          attempts: PUSH_ATTEMPTS,
          initialMs: PUSH_RETRY_INITIAL_MS,
          maxDelayMs: PUSH_RETRY_MAX_MS,
          signal: controller.signal,
          onRetry: () =>
            metrics.deliveries.inc({ receiver: stream.id, outcome: "retry" }),
        },
      );
    } catch (error) {
      const refused = error instanceof PushError && !error.retriable;
      outcome = refused ? "refused" : "failed";
      detail = error instanceof PushError ? error.outcome : "aborted";
    }
    const latencyMs = now() - set.queuedAtMs;
    metrics.deliveries.inc({ receiver: stream.id, outcome });
    counts[outcome] += 1;
    if (outcome === "delivered")
      metrics.latency.observe({ method: "push" }, latencyMs / 1000);
    else
      log.warn(
        { stream_id: stream.id, jti: set.jti, outcome, detail, attempts },
        "SET not delivered",
      );
    options.onDelivery?.({ ...set, outcome, attempts, latencyMs, detail });
  }

  async function transmit(action: AgentAction): Promise<void> {
    for (const stream of streams.values()) {
      const claims = buildActionSets(
        action,
        {
          streamId: stream.id,
          audience: stream.audience,
          eventsDelivered: stream.events,
          // The operator's receivers get every tenant's agents: iss_sub carries the tenant.
          subjectFormat: "auto",
          singleTenant: false,
        },
        setOptions(now() / 1000),
      );
      for (const claim of claims) {
        const eventType = Object.keys(claim.events)[0] ?? "";
        const jwt = await options.keys.sign({ ...claim });
        const set: QueuedSet = {
          streamId: stream.id,
          jti: claim.jti,
          eventType,
          tenant: action.tenant,
          agentId: action.agentId,
          decisionId: action.id,
          queuedAtMs: now(),
        };
        metrics.issued.inc({ event_type: eventType });
        counts.issued += 1;
        options.onQueued?.(set);
        track(deliver(stream, set, jwt));
      }
    }
  }

  function track(work: Promise<void>): void {
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  function killSwitch(action: AgentAction): void {
    if (action.kind !== "revoke") return;
    revoked.set(JSON.stringify([action.tenant, action.agentId]), {
      version: KILL_SWITCH_VERSION,
      action: "revoke",
      tenant: action.tenant,
      agent_id: action.agentId,
      credential_ids: action.credentialIds,
      decision_id: action.id,
      reason: action.reasonUser,
      issued_at: new Date(now()).toISOString(),
      expires_at: null,
    });
  }

  return {
    addStream(stream) {
      streams.set(stream.id, stream);
      log.info(
        { stream_id: stream.id, url: stream.url, events: stream.events },
        "push receiver added",
      );
    },
    send(decision) {
      if (controller.signal.aborted) return;
      const action = actionFromDecision(decision, now() / 1000);
      killSwitch(action);
      track(
        transmit(action).catch((error: unknown) =>
          log.error({ err: error, decision_id: action.id }, "signing failed"),
        ),
      );
    },
    jwks: () => options.keys.publicJwks(),
    revoked: () => [...revoked.values()],
    counts: () => ({ ...counts }),
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      controller.abort(new Error("stopping"));
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** The revoker's metric names, so its dashboards read the all-in-one too. */
function createTransmitterMetrics(registry: Registry) {
  return {
    issued: new Counter({
      name: "warden_revoker_sets_issued_total",
      help: "SETs signed and queued",
      labelNames: ["event_type"],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: "warden_revoker_deliveries_total",
      help: "Push delivery attempts by outcome",
      labelNames: ["receiver", "outcome"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "warden_revoker_delivery_latency_seconds",
      help: "SET signed to accepted by the receiver",
      labelNames: ["method"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
