import { createHash } from "node:crypto";

/**
 * What detector instances tell each other about credentials (issue 20, "N instances as correct
 * as one"). Key = agent id gives each instance a share of the agents, but two detectors judge
 * across agents: credential_misuse counts the agent ids that used one credential within the
 * hour, and credential_lifetime flags a credential Warden revoked that is used again — by any
 * agent. Each instance shares those two facts through one NATS KV bucket and mirrors every
 * other instance's into its engine, so the instance that scores an agent knows what the others
 * saw of its credential.
 *
 * A use is shared once per agent, credential and `USE_SLOT_MS` of event time (its first call in
 * the slot), so the bucket's writes grow with agents and credentials, not with calls; another
 * instance's view of an agent's last use may be up to one slot old.
 */
export type CredentialFact =
  | {
      readonly kind: "use";
      readonly tenant: string;
      readonly type: string;
      readonly id: string;
      readonly agent: string;
      readonly atMs: number;
    }
  | {
      readonly kind: "revoked";
      readonly type: string;
      readonly id: string;
      readonly atMs: number;
    };

export const USE_SLOT_MS = 10 * 60_000;

/** A bounded, valid KV key per fact: `u.`/`r.` and a hash (ids may hold any character). */
export function factKey(fact: CredentialFact): string {
  const identity =
    fact.kind === "use"
      ? `${fact.tenant}\u0000${fact.type}\u0000${fact.id}\u0000${fact.agent}`
      : `${fact.type}\u0000${fact.id}`;
  const digest = createHash("sha256")
    .update(identity)
    .digest("hex")
    .slice(0, 32);
  return `${fact.kind === "use" ? "u" : "r"}.${digest}`;
}

/** Largest fact accepted from the bucket: ids are only bounded by the event's size. */
const MAX_FACT_BYTES = 64 * 1024;

/** The wire form: the fact and the instance that wrote it (an instance skips its own). */
export function encodeFact(fact: CredentialFact, by: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...fact, by }));
}

export type DecodedFact =
  | { readonly ok: true; readonly fact: CredentialFact; readonly by: string }
  | { readonly ok: false; readonly problem: string };

const text = (value: unknown): value is string =>
  typeof value === "string" && value.length > 0;

/** Parses and checks one bucket value; never throws. */
export function decodeFact(bytes: Uint8Array): DecodedFact {
  if (bytes.length > MAX_FACT_BYTES)
    return { ok: false, problem: `over ${MAX_FACT_BYTES} bytes` };
  let value: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof parsed !== "object" || parsed === null)
      return { ok: false, problem: "not an object" };
    value = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, problem: "not JSON" };
  }
  const { kind, type, id, atMs, by } = value;
  if (!text(type) || !text(id) || !text(by))
    return { ok: false, problem: "type, id or by missing" };
  if (typeof atMs !== "number" || !Number.isSafeInteger(atMs) || atMs < 0)
    return { ok: false, problem: "atMs is not a time" };
  if (kind === "revoked")
    return { ok: true, by, fact: { kind, type, id, atMs } };
  const { tenant, agent } = value;
  if (kind !== "use") return { ok: false, problem: "unknown kind" };
  if (!text(tenant) || !text(agent))
    return { ok: false, problem: "tenant or agent missing" };
  return { ok: true, by, fact: { kind, tenant, type, id, agent, atMs } };
}
