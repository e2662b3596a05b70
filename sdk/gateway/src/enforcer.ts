import {
  connect,
  Events,
  type ConnectionOptions,
  type NatsConnection,
  type Subscription,
} from "nats";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import { createNames, revokedAgentKey } from "@warden/shared/names";
import {
  parseKillSwitchMessage,
  type CallDescription,
  type KillSwitchMessage,
  type KillSwitchParse,
} from "@warden/shared/kill-switch";
import { describeError } from "@warden/shared/errors";
import { GatewayConfigError } from "./errors.js";
import {
  createKillSwitchVerifier,
  type KillSwitchKeys,
} from "./kill-switch-verifier.js";
import { createEnforcerMetrics } from "./metrics.js";
import {
  createRevocationSet,
  rebuildRevocationSet,
  type Revocation,
  type RevocationSet,
  type Verdict,
} from "./revocations.js";

export const DEFAULT_TENANT = "default";
export const DEFAULT_RESYNC_INTERVAL_MS = 60_000;

export interface EnforcerOptions {
  /**
   * The gateway's own NATS connection; or give `servers` and the enforcer connects (and drains)
   * its own. With neither, changes come only through `apply` (an SSF push receiver, say).
   */
  readonly connection?: NatsConnection;
  readonly servers?: string | readonly string[];
  /** Credentials and TLS for the enforcer's own connection. */
  readonly natsOptions?: Omit<ConnectionOptions, "servers">;
  /** WARDEN_NAMESPACE of the Warden deployment; none by default. */
  readonly namespace?: string;
  /** Tenant that mayAct asks about unless told otherwise. Default "default". */
  readonly tenant?: string;
  /**
   * The revoker's public keys (its `/jwks.json`, or the key set itself): every kill-switch
   * message over NATS must be signed by one of them (issue 16). Required with NATS unless
   * `acceptUnsigned` is set.
   */
  readonly keys?: KillSwitchKeys;
  /**
   * Development only: act on unsigned messages, so anyone who can publish on NATS can
   * revoke or reinstate any agent. Never together with `keys`.
   */
  readonly acceptUnsigned?: boolean;
  /** Re-read the KV bucket this often even without a reconnect. Default 60 s. */
  readonly resyncIntervalMs?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

export interface Enforcer {
  /** Subscribes to the kill switch, then reads the current revocations; rejects if NATS is unreachable. */
  start(): Promise<void>;
  /**
   * Whether `agentId` (presenting `credentialId`) may act now; a few map lookups, no I/O.
   * Describe the call (`{ verb, counterparty, sensitivity }`, the audit event's fields) so
   * that a held agent's ordinary calls go through: without it a held agent is refused every
   * call, since any of them might be sensitive.
   */
  mayAct(
    agentId: string,
    credentialId?: string,
    tenant?: string,
    call?: CallDescription,
  ): Verdict;
  /** True once the revoked-agents bucket has been read since the last (re)connect. */
  isSynced(): boolean;
  revocations(): Revocation[];
  /** Re-reads the bucket now (also done on start, on reconnect and every `resyncIntervalMs`). */
  resync(): Promise<void>;
  /**
   * Applies a change learnt another way (an SSF push receiver). With NATS, the next re-sync
   * keeps only what the bucket holds; Warden's revoker writes the bucket for every revocation.
   */
  apply(message: KillSwitchMessage): void;
  stop(): Promise<void>;
}

const KV_STREAM_PREFIX = "KV_";

/**
 * Enforces Warden's kill switch at the gateway (contract: @warden/shared/kill-switch).
 * Live changes arrive on `warden.killswitch.<tenant>.<agent>` (core NATS, milliseconds);
 * the KV bucket `warden-revoked` holds every revocation in force and is re-read on start,
 * on every reconnect and periodically, so messages missed while disconnected are not lost.
 */
export function createEnforcer(options: EnforcerOptions): Enforcer {
  if (options.connection !== undefined && options.servers !== undefined)
    throw new GatewayConfigError([
      { option: "connection / servers", expected: "at most one of them" },
    ]);
  const resyncIntervalMs =
    options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
  const problems: { option: string; expected: string }[] = [];
  if (!(resyncIntervalMs > 0))
    problems.push({ option: "resyncIntervalMs", expected: "a number > 0" });
  const usesNats =
    options.connection !== undefined || options.servers !== undefined;
  if (options.keys !== undefined && options.acceptUnsigned === true)
    problems.push({
      option: "keys / acceptUnsigned",
      expected: "at most one of them",
    });
  else if (usesNats && options.keys === undefined && !options.acceptUnsigned)
    problems.push({
      option: "keys",
      expected:
        "the revoker's JWKS ({ jwksUrl } or { jwks }) to verify kill-switch messages, or acceptUnsigned: true for development",
    });
  if (problems.length > 0) throw new GatewayConfigError(problems);

  const names = createNames(options.namespace ?? "");
  const verifier = options.keys
    ? createKillSwitchVerifier(options.keys)
    : undefined;
  const check = (
    data: Uint8Array,
    arrivedOn: (message: KillSwitchMessage) => boolean,
  ): Promise<KillSwitchParse> => {
    if (verifier) return verifier.verify(data, arrivedOn);
    const parsed = parseKillSwitchMessage(data);
    return Promise.resolve(
      parsed.ok && !arrivedOn(parsed.message)
        ? {
            ok: false,
            problem: "tenant/agent differ from the subject it came on",
          }
        : parsed,
    );
  };
  const defaultTenant = options.tenant ?? DEFAULT_TENANT;
  const log = (options.logger ?? pino({ level: "info" })).child({
    component: "warden-enforcer",
  });
  let set: RevocationSet = createRevocationSet();
  const metrics = createEnforcerMetrics(
    options.registry ?? new Registry(),
    () => set.active(Date.now()).length,
  );
  const applied = {
    revoke: metrics.killSwitchMessages.labels("revoke"),
    reinstate: metrics.killSwitchMessages.labels("reinstate"),
    hold: metrics.killSwitchMessages.labels("hold"),
  };
  const resyncOk = metrics.resyncs.labels("ok");
  const resyncError = metrics.resyncs.labels("error");

  let connection: NatsConnection | undefined;
  let subscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let synced = false;
  let stopped = false;
  let resyncing: Promise<void> | undefined;
  // Live messages that arrive while the bucket is being read; the revoker writes the bucket
  // before publishing, so only these can be missing from what the read returns.
  let receivedDuringRead: KillSwitchMessage[] | undefined;

  async function onMessage(
    data: Uint8Array,
    source: string,
    arrivedOn: (message: KillSwitchMessage) => boolean,
  ): Promise<KillSwitchMessage | undefined> {
    const parsed = await check(data, arrivedOn);
    if (!parsed.ok) {
      metrics.invalidKillSwitchMessages.inc();
      log.warn(
        { source, problem: parsed.problem },
        "kill-switch message ignored: unsigned, forged or breaks the contract",
      );
      return undefined;
    }
    return parsed.message;
  }

  async function readBucket(nc: NatsConnection): Promise<KillSwitchMessage[]> {
    const manager = await nc.jetstreamManager();
    try {
      await manager.streams.info(
        `${KV_STREAM_PREFIX}${names.revokedAgentsBucket}`,
      );
    } catch (error) {
      // No bucket yet: Warden has revoked nothing (the revoker creates it on first use).
      if ((error as { code?: string }).code === "404") return [];
      throw error;
    }
    const kv = await nc
      .jetstream()
      .views.kv(names.revokedAgentsBucket, { bindOnly: true });
    const messages: KillSwitchMessage[] = [];
    // Keys first, values after: a kv.get while nats.js's keys() iterator is open ends the
    // iteration early, and a re-sync then saw only the first revoked agent.
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    for (const key of keys) {
      const entry = await kv.get(key);
      if (!entry || entry.operation !== "PUT") continue;
      const message = await onMessage(
        entry.value,
        `kv:${key}`,
        (signed) => revokedAgentKey(signed.tenant, signed.agent_id) === key,
      );
      if (message) messages.push(message);
    }
    return messages;
  }

  async function resyncOnce(): Promise<void> {
    if (!connection) return;
    receivedDuringRead = [];
    try {
      const snapshot = await readBucket(connection);
      const nowMs = Date.now();
      const rebuilt = rebuildRevocationSet(snapshot, receivedDuringRead, nowMs);
      rebuilt.sweep(nowMs);
      set = rebuilt;
      synced = true;
      resyncOk.inc();
      log.info(
        { revoked: set.active(nowMs).length },
        "revocations re-synced from the KV bucket",
      );
    } catch (error) {
      resyncError.inc();
      log.error(
        { error: describeError(error) },
        "re-sync of revocations failed; live messages still apply",
      );
      throw error;
    } finally {
      receivedDuringRead = undefined;
    }
  }

  function resync(): Promise<void> {
    // Concurrent triggers (reconnect during the periodic one) share one read.
    resyncing ??= resyncOnce().finally(() => {
      resyncing = undefined;
    });
    return resyncing;
  }

  function applyChange(message: KillSwitchMessage): void {
    receivedDuringRead?.push(message);
    if (set.apply(message, Date.now())) applied[message.action].inc();
  }

  async function watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (stopped) return;
      if (status.type === Events.Disconnect) {
        synced = false;
        log.warn(
          "NATS disconnected; revocations published meanwhile are read on reconnect",
        );
      }
      if (status.type === Events.Reconnect)
        void resync().catch(() => undefined);
    }
  }

  return {
    async start() {
      if (options.connection === undefined && options.servers === undefined) {
        synced = true;
        log.info("no NATS configured: revocations arrive only through apply()");
        return;
      }
      connection =
        options.connection ??
        (await connect({
          ...options.natsOptions,
          servers:
            typeof options.servers === "string"
              ? options.servers
              : [...(options.servers ?? [])],
          name: options.natsOptions?.name ?? "warden-gateway-enforcer",
          maxReconnectAttempts: -1,
        }));
      // Subscribe before reading the bucket so a change published during the read is not missed.
      subscription = connection.subscribe(names.killSwitchSubjects, {
        callback: (error, message) => {
          if (error) {
            log.error(
              { error: describeError(error) },
              "kill-switch subscription failed",
            );
            return;
          }
          void onMessage(
            message.data,
            message.subject,
            (signed) =>
              names.killSwitchSubject(signed.tenant, signed.agent_id) ===
              message.subject,
          ).then((parsed) => {
            if (!parsed) return;
            applyChange(parsed);
            log.info(
              {
                action: parsed.action,
                agent_id: parsed.agent_id,
                tenant: parsed.tenant,
                decision_id: parsed.decision_id,
              },
              "kill switch applied",
            );
          });
        },
      });
      void watchStatus(connection);
      await resync();
      timer = setInterval(
        () => void resync().catch(() => undefined),
        resyncIntervalMs,
      );
      timer.unref();
    },

    mayAct(agentId, credentialId, tenant = defaultTenant, call) {
      const verdict = set.mayAct(
        tenant,
        agentId,
        credentialId,
        Date.now(),
        call,
      );
      if (!verdict.allowed && verdict.held) metrics.heldCalls.inc();
      return verdict;
    },

    isSynced: () => synced,
    revocations: () => set.active(Date.now()),
    resync,
    apply: applyChange,

    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      await resyncing?.catch(() => undefined);
      subscription?.unsubscribe();
      if (!options.connection) await connection?.drain();
    },
  };
}
