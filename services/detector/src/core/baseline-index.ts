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

export function createBaselineIndex(): BaselineIndex {
  const models = new Map<string, BaselineModel>();
  function trusted(key: string): BaselineModel | undefined {
    const model = models.get(key);
    return model?.trusted ? model : undefined;
  }
  return {
    set: (key, model) => void models.set(key, model),
    delete: (key) => void models.delete(key),
    get: (key) => models.get(key),
    resolve(keys) {
      if (models.size === 0) return undefined;
      const own = trusted(keys.agent);
      if (own) return { model: own, level: "agent" };
      const peer = trusted(keys.peer);
      if (peer) return { model: peer, level: "peer" };
      const whole = trusted(keys.tenant);
      return whole ? { model: whole, level: "tenant" } : undefined;
    },
    get size() {
      return models.size;
    },
  };
}
