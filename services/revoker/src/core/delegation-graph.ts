/**
 * Who delegated to whom, as seen in recent agent events (issue 6, Cascade): revoking an
 * agent also revokes the part of the delegation tree below it, so a compromised parent
 * cannot keep acting through its children. Bounded: edges older than `windowMs` do not
 * count, and past `maxEdges` the least recently seen edge is forgotten.
 *
 * Issue 16: only the edge the delivering gateway can vouch for is recorded — the event's own
 * agent and its direct parent; the rest of a chain is hearsay about other agents (a forged
 * `["x", "acme-prod-payments"]` elsewhere in a chain no longer links them). And a tenant past
 * `maxEdgesPerTenant` forgets its own oldest edge, so one tenant's id flood cannot flush
 * another's tree.
 */
export interface DelegationGraphOptions {
  readonly windowMs: number;
  readonly maxEdges: number;
  readonly maxEdgesPerTenant: number;
  /** Credentials remembered per agent (the most recent ones). */
  readonly maxCredentialsPerAgent: number;
}

export interface Descendant {
  readonly agentId: string;
  /** From the revoked agent down to this one, inclusive. */
  readonly path: readonly string[];
  readonly credentialIds: readonly string[];
}

export interface DelegationGraph {
  /** One event: its delegation chain (originating agent first) and the credential it used. */
  record(
    tenant: string,
    chain: readonly string[],
    credentialId: string | undefined,
    atMs: number,
  ): void;
  /** Every agent below `agentId` reached through edges seen within the window, nearest first. */
  descendants(tenant: string, agentId: string, nowMs: number): Descendant[];
  credentials(tenant: string, agentId: string): readonly string[];
  readonly size: number;
}

const key = (tenant: string, agentId: string): string =>
  JSON.stringify([tenant, agentId]);

export function createDelegationGraph(
  options: DelegationGraphOptions,
): DelegationGraph {
  // Insertion order of a Map is the recency order: re-seen edges are deleted and re-added.
  const edges = new Map<
    string,
    { tenant: string; parent: string; child: string; atMs: number }
  >();
  const children = new Map<string, Set<string>>();
  const credentials = new Map<string, string[]>();
  // Per tenant, its edge keys in recency order (re-seen edges are deleted and re-added).
  const byTenant = new Map<string, Set<string>>();

  function forget(edgeKey: string): void {
    const edge = edges.get(edgeKey);
    if (!edge) return;
    edges.delete(edgeKey);
    const own = byTenant.get(edge.tenant);
    own?.delete(edgeKey);
    if (own?.size === 0) byTenant.delete(edge.tenant);
    const set = children.get(edge.parent);
    set?.delete(edge.child);
    if (set?.size === 0) children.delete(edge.parent);
  }

  function recordEdge(
    tenant: string,
    parent: string,
    child: string,
    atMs: number,
  ): void {
    const edgeKey = JSON.stringify([parent, child]);
    const previous = edges.get(edgeKey);
    edges.delete(edgeKey);
    edges.set(edgeKey, {
      tenant,
      parent,
      child,
      atMs: Math.max(atMs, previous?.atMs ?? atMs),
    });
    let own = byTenant.get(tenant);
    if (!own) byTenant.set(tenant, (own = new Set()));
    own.delete(edgeKey);
    own.add(edgeKey);
    let set = children.get(parent);
    if (!set) children.set(parent, (set = new Set()));
    set.add(child);
    while (own.size > options.maxEdgesPerTenant) {
      const oldest = own.keys().next().value;
      if (oldest === undefined) break;
      forget(oldest);
    }
    while (edges.size > options.maxEdges) {
      const oldest = edges.keys().next().value;
      if (oldest === undefined) break;
      forget(oldest);
    }
  }

  return {
    record(tenant, chain, credentialId, atMs) {
      if (chain.length >= 2) {
        const parent = key(tenant, chain[chain.length - 2] ?? "");
        const child = key(tenant, chain[chain.length - 1] ?? "");
        if (parent !== child) recordEdge(tenant, parent, child, atMs);
      }
      const agent = chain[chain.length - 1];
      if (credentialId !== undefined && agent !== undefined) {
        const agentKey = key(tenant, agent);
        const list = (credentials.get(agentKey) ?? []).filter(
          (id) => id !== credentialId,
        );
        list.push(credentialId);
        credentials.set(agentKey, list.slice(-options.maxCredentialsPerAgent));
        // Bounded like the edges: at most one credential list per remembered edge end, roughly.
        if (credentials.size > options.maxEdges) {
          const oldest = credentials.keys().next().value;
          if (oldest !== undefined) credentials.delete(oldest);
        }
      }
    },

    descendants(tenant, agentId, nowMs) {
      const start = key(tenant, agentId);
      const found: Descendant[] = [];
      const seen = new Set<string>([start]);
      let frontier: { node: string; path: string[] }[] = [
        { node: start, path: [agentId] },
      ];
      while (frontier.length > 0) {
        const next: { node: string; path: string[] }[] = [];
        for (const { node, path } of frontier) {
          for (const child of children.get(node) ?? []) {
            const edge = edges.get(JSON.stringify([node, child]));
            if (
              !edge ||
              nowMs - edge.atMs > options.windowMs ||
              seen.has(child)
            )
              continue;
            seen.add(child);
            const childId = (JSON.parse(child) as [string, string])[1];
            const childPath = [...path, childId];
            found.push({
              agentId: childId,
              path: childPath,
              credentialIds: credentials.get(child) ?? [],
            });
            next.push({ node: child, path: childPath });
          }
        }
        frontier = next;
      }
      return found;
    },

    credentials: (tenant, agentId) =>
      credentials.get(key(tenant, agentId)) ?? [],

    get size() {
      return edges.size;
    },
  };
}
