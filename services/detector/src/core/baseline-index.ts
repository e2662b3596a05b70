import {
  agentBaselineKey,
  peerBaselineKey,
  tenantBaselineKey,
  type BaselineLevel,
  type BaselineModel,
} from "@warden/shared";

/** The KV keys of an agent's own, peer-group and tenant baselines. */
export interface BaselineKeys {
  readonly agent: string;
  readonly peer: string;
  readonly tenant: string;
}

export function baselineKeysOf(
  tenant: string,
  agentId: string,
  agentKind: string,
): BaselineKeys {
  return {
    agent: agentBaselineKey(tenant, agentId),
    peer: peerBaselineKey(tenant, agentKind),
    tenant: tenantBaselineKey(tenant),
  };
}

/** The baseline an agent is scored against, and where it came from. */
export interface ResolvedBaseline {
  readonly model: BaselineModel;
  readonly level: BaselineLevel;
}

/**
 * The latest baselines by KV key (shared/src/baseline-model/keys.ts). Cold start: the agent's
 * own baseline when trusted, else its peer group's, else its tenant's (README of the format).
 */
export interface BaselineIndex {
  set(key: string, model: BaselineModel): void;
  delete(key: string): void;
  get(key: string): BaselineModel | undefined;
  /** `keys` from baselineKeysOf, computed once per agent (the key encoding is not free). */
  resolve(keys: BaselineKeys): ResolvedBaseline | undefined;
  readonly size: number;
}

/** A model and, made on first use, what `resolve` returns for it (one object, not one per event). */
interface Entry {
  readonly model: BaselineModel;
  resolved: ResolvedBaseline | undefined;
}

export function createBaselineIndex(): BaselineIndex {
  const entries = new Map<string, Entry>();
  // A key is only ever an agent's, a peer group's or a tenant's, so one level per entry.
  function trusted(
    key: string,
    level: BaselineLevel,
  ): ResolvedBaseline | undefined {
    const entry = entries.get(key);
    if (!entry?.model.trusted) return undefined;
    return (entry.resolved ??= { model: entry.model, level });
  }
  return {
    set: (key, model) => void entries.set(key, { model, resolved: undefined }),
    delete: (key) => void entries.delete(key),
    get: (key) => entries.get(key)?.model,
    resolve(keys) {
      if (entries.size === 0) return undefined;
      return (
        trusted(keys.agent, "agent") ??
        trusted(keys.peer, "peer") ??
        trusted(keys.tenant, "tenant")
      );
    },
    get size() {
      return entries.size;
    },
  };
}
