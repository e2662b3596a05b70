import { kvKeyToken } from "../names.js";
import type { BaselineScope } from "./model.js";

/**
 * Keys of the `warden-baselines` KV bucket:
 *
 * - agent: `<tenant>.<agent>` (two tokens)
 * - peer group: `peer.<tenant>.<kind>` (three tokens)
 * - tenant: `tenant.<tenant>.all` (three tokens; two would collide with the agent keys of a
 *   tenant named "tenant")
 *
 * Each token is encoded with `kvKeyToken` (names.ts).
 */

export function baselineKey(scope: BaselineScope): string {
  switch (scope.level) {
    case "agent":
      return `${kvKeyToken(scope.tenant)}.${kvKeyToken(scope.agentId)}`;
    case "peer":
      return `peer.${kvKeyToken(scope.tenant)}.${kvKeyToken(scope.agentKind)}`;
    case "tenant":
      return `tenant.${kvKeyToken(scope.tenant)}.all`;
  }
}

export function agentBaselineKey(tenant: string, agentId: string): string {
  return baselineKey({ level: "agent", tenant, agentId, agentKind: "" });
}

export function peerBaselineKey(tenant: string, agentKind: string): string {
  return baselineKey({ level: "peer", tenant, agentKind });
}

export function tenantBaselineKey(tenant: string): string {
  return baselineKey({ level: "tenant", tenant });
}
