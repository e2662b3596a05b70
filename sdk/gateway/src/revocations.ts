import {
  holdClassesOf,
  type CallDescription,
  type HoldClass,
  type KillSwitchHold,
  type KillSwitchMessage,
} from "@warden/shared/kill-switch";
import {
  credentialLabel,
  isCredentialLabel,
} from "@warden/shared/credential-label";

/** One agent Warden revoked, as the gateway keeps it. */
export interface Revocation {
  readonly tenant: string;
  readonly agentId: string;
  readonly credentialIds: readonly string[];
  readonly decisionId: string;
  /** One sentence the gateway may show the caller. */
  readonly reason: string;
  readonly issuedAt: string;
  readonly issuedAtMs: number;
  /** RFC 3339, or null for "until reinstated". */
  readonly expiresAt: string | null;
  readonly expiresAtMs: number;
  /**
   * Set when the agent is held (a step-up), not revoked: only calls in these classes are
   * refused, until the owner approves or the revoker escalates to revoke.
   */
  readonly hold?: KillSwitchHold;
}

export type Verdict =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Whether the agent itself, or the credential it presented, is revoked or held. */
      readonly matched: "agent" | "credential";
      readonly revocation: Revocation;
      /**
       * For a hold: the classes of this call that the hold covers. A call the gateway did
       * not describe counts as covering all of them (refused: it may be sensitive).
       */
      readonly held?: readonly HoldClass[];
    };

const ALLOWED: Verdict = Object.freeze({ allowed: true });

/**
 * The local set of revoked agents and credentials: a pure structure fed kill-switch
 * messages (live or from the KV bucket) and asked "may this agent act?". Two map lookups
 * per question, so the gateway can ask on every call.
 *
 * Messages about one agent can arrive out of order (a live message racing a re-sync), so
 * each agent keeps the `issued_at` of the last message applied and older ones are ignored.
 */
export interface RevocationSet {
  /**
   * Applies a message; false when it was older than what is known about the agent. Its
   * `issued_at` counts as at most `nowMs` (issue 16: a message dated in the future would
   * otherwise outrank every later change of that agent).
   */
  apply(message: KillSwitchMessage, nowMs: number): boolean;
  /**
   * Whether the agent may make this call. `call` matters only while the agent is held: an
   * ordinary call passes, a sensitive one (or an undescribed one) is refused.
   */
  mayAct(
    tenant: string,
    agentId: string,
    credentialId: string | undefined,
    nowMs: number,
    call?: CallDescription,
  ): Verdict;
  /** Revocations in force at `nowMs`. */
  active(nowMs: number): Revocation[];
  /** Forgets revocations that expired before `nowMs`. */
  sweep(nowMs: number): void;
}

// Tenant and id are joined with NUL, which neither may contain unnoticed in a subject token.
const keyOf = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

function parseTime(value: string | null): number {
  if (value === null) return Number.POSITIVE_INFINITY;
  const ms = Date.parse(value);
  // An unreadable expiry must not end a revocation early: treat it as "until reinstated".
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

export function createRevocationSet(): RevocationSet {
  const agents = new Map<string, Revocation>();
  // A credential listed by several revoked agents stays refused until the last one is reinstated.
  const credentials = new Map<string, Map<string, Revocation>>();
  const lastIssuedMs = new Map<string, number>();
  // Credentials known only by label: while there are none, mayAct hashes nothing.
  let labelled = 0;

  function forget(key: string): void {
    const previous = agents.get(key);
    if (!previous) return;
    agents.delete(key);
    for (const credentialId of previous.credentialIds) {
      const credentialKey = keyOf(previous.tenant, credentialId);
      const holders = credentials.get(credentialKey);
      holders?.delete(key);
      if (holders?.size === 0) {
        credentials.delete(credentialKey);
        if (isCredentialLabel(credentialId)) labelled -= 1;
      }
    }
  }

  // Of the agents whose revocation lists a credential, the newest one in force explains the
  // refusal; a revoke outranks a hold (which would let ordinary calls through).
  const outranks = (a: Revocation, b: Revocation): boolean =>
    (a.hold === undefined) !== (b.hold === undefined)
      ? a.hold === undefined
      : a.issuedAtMs > b.issuedAtMs ||
        (a.issuedAtMs === b.issuedAtMs && a.decisionId > b.decisionId);
  function credentialRevocation(
    tenant: string,
    credentialId: string,
    nowMs: number,
  ): Revocation | undefined {
    let chosen: Revocation | undefined;
    for (const revocation of credentials
      .get(keyOf(tenant, credentialId))
      ?.values() ?? []) {
      if (revocation.expiresAtMs <= nowMs) continue;
      if (chosen === undefined || outranks(revocation, chosen))
        chosen = revocation;
    }
    return chosen;
  }

  function deny(
    revocation: Revocation | undefined,
    matched: "agent" | "credential",
    nowMs: number,
    call: CallDescription | undefined,
  ): Verdict | undefined {
    if (revocation === undefined || revocation.expiresAtMs <= nowMs)
      return undefined;
    if (revocation.hold === undefined)
      return { allowed: false, matched, revocation };
    const covered = revocation.hold.actions;
    const held =
      call === undefined
        ? covered
        : holdClassesOf(call).filter((kind) => covered.includes(kind));
    return held.length === 0
      ? undefined
      : { allowed: false, matched, revocation, held };
  }

  return {
    apply(message, nowMs) {
      const key = keyOf(message.tenant, message.agent_id);
      const issuedMs = Math.min(Date.parse(message.issued_at), nowMs);
      // An unreadable issue time still applies (safer to act on it) but never overrides a readable one.
      const order = Number.isNaN(issuedMs)
        ? Number.NEGATIVE_INFINITY
        : issuedMs;
      const known = lastIssuedMs.get(key);
      if (known !== undefined && order < known) return false;
      lastIssuedMs.set(key, order);
      forget(key);
      if (message.action === "reinstate") return true;
      const revocation: Revocation = Object.freeze({
        tenant: message.tenant,
        agentId: message.agent_id,
        credentialIds: Object.freeze([...message.credential_ids]),
        decisionId: message.decision_id,
        reason: message.reason,
        issuedAt: message.issued_at,
        issuedAtMs: order,
        expiresAt: message.expires_at,
        expiresAtMs: parseTime(message.expires_at),
        ...(message.action === "hold" && message.hold
          ? {
              hold: Object.freeze({
                actions: Object.freeze([...message.hold.actions]),
                answer_by: message.hold.answer_by,
              }),
            }
          : {}),
      });
      agents.set(key, revocation);
      for (const credentialId of revocation.credentialIds) {
        const credentialKey = keyOf(message.tenant, credentialId);
        let holders = credentials.get(credentialKey);
        if (!holders) {
          holders = new Map<string, Revocation>();
          credentials.set(credentialKey, holders);
          if (isCredentialLabel(credentialId)) labelled += 1;
        }
        holders.set(key, revocation);
      }
      return true;
    },

    mayAct(tenant, agentId, credentialId, nowMs, call) {
      if (agents.size === 0) return ALLOWED;
      return (
        deny(agents.get(keyOf(tenant, agentId)), "agent", nowMs, call) ??
        (credentialId === undefined
          ? undefined
          : deny(
              credentialRevocation(tenant, credentialId, nowMs) ??
                // A revocation learnt from a SET names credentials by label only (never the id).
                (labelled > 0
                  ? credentialRevocation(
                      tenant,
                      credentialLabel(credentialId),
                      nowMs,
                    )
                  : undefined),
              "credential",
              nowMs,
              call,
            )) ??
        ALLOWED
      );
    },

    active(nowMs) {
      return [...agents.values()].filter(
        (revocation) => revocation.expiresAtMs > nowMs,
      );
    },

    sweep(nowMs) {
      for (const [key, revocation] of agents)
        if (revocation.expiresAtMs <= nowMs) forget(key);
    },
  };
}

/**
 * The set after a re-sync: the KV bucket's current revocations (the state; an agent absent
 * from it is not revoked, whatever was heard before), then the live messages that arrived
 * while the bucket was being read, so a change published during the read is not lost.
 */
export function rebuildRevocationSet(
  snapshot: readonly KillSwitchMessage[],
  receivedDuringRead: readonly KillSwitchMessage[],
  nowMs: number,
): RevocationSet {
  const set = createRevocationSet();
  for (const message of snapshot) set.apply(message, nowMs);
  for (const message of receivedDuringRead) set.apply(message, nowMs);
  return set;
}
