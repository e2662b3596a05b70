import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  agentBaselineKey,
  peerBaselineKey,
  tenantBaselineKey,
  validateDecision,
  type CanonicalEvent,
  type DecisionV1,
} from "@warden/shared";
import { createScoringEngine, type EngineOptions } from "./engine.js";
import { DEFAULT_DETECTOR_LIMITS } from "./detectors/types.js";
import { baseline, event, T0 } from "./fixtures.test-support.js";
import { DEFAULT_POLICY, parsePolicy, type Policy } from "./policy.js";

const DECIDED_AT = "2026-11-23T12:00:00.000Z";

function engine(overrides: Partial<EngineOptions> = {}) {
  return createScoringEngine({
    limits: { ...DEFAULT_DETECTOR_LIMITS, burstMaxCalls: 5 },
    policy: DEFAULT_POLICY,
    maxAgents: 1_000,
    idleEvictMs: 3_600_000,
    ...overrides,
  });
}

function decide(
  events: readonly CanonicalEvent[],
  overrides: Partial<EngineOptions> = {},
): DecisionV1[] {
  const scoring = engine(overrides);
  return events.flatMap((e) => {
    const { decision } = scoring.observe(e, DECIDED_AT);
    return decision ? [decision] : [];
  });
}

const burst = (agent: string, n: number, from = T0, extra = {}) =>
  Array.from({ length: n }, (_, i) => event(agent, from + i * 100, extra));

describe("scoring engine", () => {
  it("revokes a runaway agent once per incident, with a traceable, valid decision", () => {
    const decisions = decide(
      burst("bot", 30, T0, {
        agent: { owner: "alice@acme.example" },
        on_behalf_of: "bob@acme.example",
        delegation: ["planner", "bot"],
        chain_depth: 2,
      }),
    );
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    expect(decision).toMatchObject({
      action: "revoke",
      risk: 1,
      agent_id: "bot",
      owner: "alice@acme.example",
      on_behalf_of: "bob@acme.example",
      delegation: ["planner", "bot"],
      credential_ids: ["key-bot"],
    });
    expect(decision?.reasons[0]?.detector).toBe("burst");
    expect(validateDecision(decision).ok).toBe(true);
  });

  it("decides again after the cooldown closes the incident", () => {
    const later = T0 + DEFAULT_POLICY.cooldownSeconds * 1000 + 60_000;
    const decisions = decide([...burst("bot", 10), ...burst("bot", 10, later)]);
    expect(decisions.map((d) => d.action)).toEqual(["revoke", "revoke"]);
  });

  it("escalates within an incident but never repeats the same action", () => {
    const policy = parsePolicy({
      version: 2,
      detectors: { novel_resource: { action: "step_up", minBits: 3 } },
    });
    const restricted = {
      resource: { type: "payroll", sensitivity: "restricted" as const },
    };
    const scoring = engine({ policy });
    scoring.baselines.set(agentBaselineKey("acme", "bot"), baseline());
    const scored = [
      event("bot", T0, restricted),
      event("bot", T0 + 1, {
        resource: { type: "hr", sensitivity: "restricted" },
      }),
      ...burst("bot", 80, T0 + 2),
    ].map((e) => scoring.observe(e, DECIDED_AT));
    // The first new restricted type steps up (the policy's override); the second is held (the
    // incident already stepped up), the burst escalates.
    expect(scored.flatMap((s) => s.decision?.action ?? [])).toEqual([
      "step_up",
      "revoke",
    ]);
    expect(scored[1]?.held).toBe(true);
  });

  it("uses the peer baseline, then the tenant's, for an agent without its own", () => {
    const scoring = engine();
    const strict = baseline({
      ratePerMinute: { median: 1, mad: 0, p95: 1, p99: 1, max: 1 },
    });
    scoring.baselines.set(tenantBaselineKey("acme"), strict);
    const tenantOnly = burst("fresh", 17).map((e) =>
      scoring.observe(e, DECIDED_AT),
    );
    // Limit from the baseline: max(16 minimum, 1 × 1) = 16 calls per window.
    const burstAt = (i: number) =>
      tenantOnly[i]?.results.find((r) => r.detector === "burst");
    expect(burstAt(15)).toBeUndefined();
    expect(burstAt(16)?.summary).toContain("tenant baseline allows 16");
    expect(tenantOnly[16]?.decision?.action).toBe("revoke");
    scoring.baselines.set(peerBaselineKey("acme", "support"), baseline());
    const peer = burst("newcomer", 1).map((e) =>
      scoring.observe(e, DECIDED_AT),
    );
    expect((peer[0]?.baselineComputedAtMs ?? 0) + 3_600_000).toBe(T0);
  });

  it("drops suppressed decisions and mutes detector-scoped rules, naming the rule", () => {
    const policy: Policy = parsePolicy({
      version: 2,
      detectors: { burst: { action: "revoke" } },
      suppressions: [
        {
          id: "batch-window",
          agent: "batch",
          from: "2026-11-23T00:00:00Z",
          until: "2026-11-24T00:00:00Z",
        },
        { id: "loader-bursts", agentKind: "loader", detectors: ["burst"] },
      ],
    });
    const scoring = engine({ policy });
    const batch = burst("batch", 10).map((e) => scoring.observe(e, DECIDED_AT));
    expect(batch.some((s) => s.decision)).toBe(false);
    // Counted once per incident, not once per event over the limit.
    expect(batch.flatMap((s) => s.suppressedBy)).toEqual(["batch-window"]);
    const loader = burst("load", 10, T0, { agent: { kind: "loader" } }).map(
      (e) => scoring.observe(e, DECIDED_AT),
    );
    expect(loader.some((s) => s.decision)).toBe(false);
    expect(loader[9]?.suppressedBy).toEqual(["loader-bursts"]);
    // Outside the rule's window the same agent is revoked.
    const nextDay = Date.parse("2026-11-24T10:00:00Z");
    expect(decide(burst("batch", 10, nextDay), { policy })).toHaveLength(1);
  });

  it("gives the same decision id for the same trigger and action, another for another", () => {
    const events = burst("bot", 10);
    const first = decide(events);
    const second = decide(events);
    expect(second).toEqual(first);
    const other = decide(burst("bot", 10));
    expect(other[0]?.decision_id).not.toBe(first[0]?.decision_id);
  });
});

const arbitraryEvent = fc.record({
  agent: fc.constantFrom("a", "b", "c", "d", "e", "f"),
  gapMs: fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 120_000 }),
  ),
  verb: fc.constantFrom<CanonicalEvent["action"]["verb"]>(
    "read",
    "write",
    "export",
    "admin",
    "delegate",
    "auth",
  ),
  outcome: fc.constantFrom<CanonicalEvent["outcome"]>(
    "success",
    "denied",
    "error",
  ),
  sensitivity: fc.constantFrom<
    "public" | "internal" | "confidential" | "restricted"
  >("public", "internal", "confidential", "restricted"),
  type: fc.constantFrom("ticket", "payroll", "wiki"),
  bytes: fc.integer({ min: 0, max: 50_000_000 }),
  ip: fc.integer({ min: 0, max: 9 }),
  credential: fc.constantFrom("k1", "k2", "k3"),
  depth: fc.integer({ min: 1, max: 6 }),
});
type EventRecord =
  typeof arbitraryEvent extends fc.Arbitrary<infer R> ? R : never;

function materialise(records: readonly EventRecord[]): CanonicalEvent[] {
  let t = T0;
  return records.map((r, i) => {
    t += r.gapMs;
    const chain = [
      ...Array.from({ length: r.depth - 1 }, (_, k) => `p${k}`),
      r.agent,
    ];
    return event(r.agent, t, {
      event_id: `ev-${i}`,
      action: { verb: r.verb, name: `tool.${r.verb}` },
      outcome: r.outcome,
      resource: { type: r.type, sensitivity: r.sensitivity, id: `r${r.ip}` },
      bytes_out: r.bytes,
      source: { ip: `198.51.100.${r.ip}` },
      credential: {
        id: r.credential,
        type: "api_key",
        scopes: [r.verb === "admin" ? "org:admin" : "crm:read"],
      },
      delegation: chain,
      chain_depth: r.depth,
      chain_root: chain[0] ?? r.agent,
    });
  });
}

function withBaselines(options: Partial<EngineOptions> = {}) {
  const scoring = engine(options);
  scoring.baselines.set(agentBaselineKey("acme", "a"), baseline());
  scoring.baselines.set(
    peerBaselineKey("acme", "support"),
    baseline({ maxChainDepth: 3 }),
  );
  return scoring;
}

describe("a delegation chain reaching data its root never touches", () => {
  it("revokes the sub-agent, chain in the decision, though its peers learned such reads from an earlier abuse", () => {
    const scoring = engine();
    const day = 86_400_000;
    const history = (events: number) => ({
      events,
      agents: 1,
      firstSeenMs: T0 - 7 * day,
      lastSeenMs: T0 - 3_600_000,
      activeMinutes: 400,
      activeHours: 80,
    });
    // The root: a short history (not trusted) of internal and confidential data only.
    scoring.baselines.set(
      agentBaselineKey("acme", "planner"),
      baseline({
        trusted: false,
        history: history(129),
        vocabulary: {
          sensitivities: {
            distinct: 2,
            total: 129,
            top: [
              ["internal", 94],
              ["confidential", 35],
            ],
          },
        },
      }),
    );
    // The sub-agents' peer group (~60 calls a day each) already met these reads and tools.
    const tools = ["hr.get", "payroll.get", "vault.get"];
    scoring.baselines.set(
      peerBaselineKey("acme", "support"),
      baseline({
        history: { ...history(420 * 5), agents: 5 },
        vocabulary: {
          actions: {
            distinct: 4,
            total: 2_000,
            top: [["crm.read", 1_900], ...tools.map((t) => [t, 30] as const)],
          },
          resourceTypes: {
            distinct: 4,
            total: 2_000,
            top: [
              ["ticket", 1_900],
              ["hr_record", 30],
              ["payroll_run", 30],
              ["vault_secret", 30],
            ],
          },
          sensitivities: {
            distinct: 2,
            total: 2_000,
            top: [
              ["internal", 1_910],
              ["restricted", 90],
            ],
          },
        },
      }),
    );
    const reads = ["hr_record", "payroll_run", "vault_secret"].map((type, i) =>
      event("bot", T0 + i * 20_000, {
        action: { name: tools[i] ?? "hr.get" },
        resource: { type, sensitivity: "restricted", id: `${type}:7` },
        delegation: ["planner", "bot"],
        chain_depth: 2,
        chain_root: "planner",
      }),
    );
    const decisions = reads.flatMap(
      (e) => scoring.observe(e, DECIDED_AT).decision ?? [],
    );
    expect(decisions.map((d) => d.action)).toContain("revoke");
    const revoke = decisions.find((d) => d.action === "revoke");
    expect(revoke).toMatchObject({
      agent_id: "bot",
      delegation: ["planner", "bot"],
    });
    expect(revoke?.reasons[0]?.detector).toBe("delegation_anomaly");
    expect(revoke?.reasons[0]?.summary).toMatch(
      /its root planner never touched restricted data in 129 calls/,
    );
  });
});

describe("scoring engine invariants", () => {
  it("keeps every risk in [0, 1], evidence finite, and every decision valid", () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 300 }), (records) => {
        const scoring = withBaselines();
        for (const e of materialise(records)) {
          const scored = scoring.observe(e, DECIDED_AT);
          expect(scored.risk).toBeGreaterThanOrEqual(0);
          expect(scored.risk).toBeLessThanOrEqual(1);
          expect(scored.evidence).toBeGreaterThanOrEqual(0);
          for (const r of scored.results) {
            expect(r.bits).toBeGreaterThan(0);
            expect(Number.isFinite(r.bits)).toBe(true);
            expect(r.summary.length).toBeGreaterThan(0);
          }
          if (scored.decision)
            expect(validateDecision(scored.decision).ok).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("replaying the same input gives the same decisions", () => {
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 300 }), (records) => {
        const events = materialise(records);
        const run = () => {
          const scoring = withBaselines();
          return events.flatMap(
            (e) => scoring.observe(e, DECIDED_AT).decision ?? [],
          );
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 40 },
    );
  });

  it("never holds more agents than the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 99 }),
            fc.integer({ min: 0, max: 600_000 }),
          ),
          { maxLength: 400 },
        ),
        (maxAgents, arrivals) => {
          const scoring = engine({ maxAgents, idleEvictMs: 300_000 });
          let t = T0;
          for (const [agent, dt] of arrivals) {
            t += dt;
            scoring.observe(event(`agent-${agent}`, t), DECIDED_AT);
            expect(scoring.agents).toBeLessThanOrEqual(maxAgents);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("drops agents idle for longer than the eviction time", () => {
    const scoring = engine({ idleEvictMs: 60_000 });
    scoring.observe(event("a", T0), DECIDED_AT);
    scoring.observe(event("b", T0 + 30_000), DECIDED_AT);
    expect(scoring.agents).toBe(2);
    scoring.observe(event("b", T0 + 61_000), DECIDED_AT);
    expect(scoring.agents).toBe(1);
    expect(scoring.evictedAgents).toBe(1);
  });
});

describe("tenancy of detector state (issue 16)", () => {
  it("another tenant reporting this tenant's credential id does not make it look shared (framing)", () => {
    const scoring = engine();
    const credential = { id: "key-victim", type: "api_key" as const };
    const misuse = (e: CanonicalEvent) =>
      scoring
        .observe(e, DECIDED_AT)
        .results.find(
          (r) =>
            r.detector === "credential_misuse" &&
            r.observed !== undefined &&
            r.expected === 1 &&
            r.summary.includes("agent ids"),
        );
    expect(misuse(event("victim", T0, { credential }))).toBeUndefined();
    for (let index = 0; index < 5; index += 1)
      misuse(
        event(`framer-${index}`, T0 + 10 + index, {
          tenant: "globex",
          credential,
        }),
      );
    expect(misuse(event("victim", T0 + 100, { credential }))).toBeUndefined();
  });

  it("one tenant's agent-id flood keeps another tenant's agents", () => {
    const scoring = engine({ maxAgents: 200, maxAgentsPerTenant: 100 });
    for (let index = 0; index < 50; index += 1)
      scoring.observe(event(`acme-${index}`, T0 + index), DECIDED_AT);
    for (let index = 0; index < 10_000; index += 1)
      scoring.observe(
        event(`flood-${index}`, T0 + 100 + index, { tenant: "evil" }),
        DECIDED_AT,
      );
    expect(scoring.agents).toBe(150);
    expect(scoring.evictedAgents).toBe(10_000 - 100);
  });
});

describe("credential facts shared between instances (issue 20)", () => {
  const credential = { id: "key-owner", type: "api_key" as const };
  /** Two engines that hand each other their facts, as the bucket does. */
  function pair() {
    const a = engine({ shareFacts: true });
    const b = engine({ shareFacts: true });
    const exchange = () => {
      for (const fact of a.takeFacts()) b.learnFact(fact);
      for (const fact of b.takeFacts()) a.learnFact(fact);
    };
    return { a, b, exchange };
  }
  const sharedBits = (
    scored: ReturnType<ReturnType<typeof engine>["observe"]>,
  ) =>
    scored.results.find(
      (r) => r.detector === "credential_misuse" && r.expected === 1,
    )?.bits;

  it("counts another instance's agents among a credential's users", () => {
    const one = engine();
    const { a, b, exchange } = pair();
    const owner = event("owner", T0, { credential });
    const borrower = event("borrower", T0 + 60_000, { credential });
    one.observe(owner, DECIDED_AT);
    a.observe(owner, DECIDED_AT);
    exchange();
    expect(sharedBits(b.observe(borrower, DECIDED_AT))).toBe(
      sharedBits(one.observe(borrower, DECIDED_AT)),
    );
    expect(sharedBits(one.observe(borrower, DECIDED_AT))).toBeGreaterThan(0);
  });

  it("without the exchange the other instance sees one agent (what the facts are for)", () => {
    const { a, b } = pair();
    a.observe(event("owner", T0, { credential }), DECIDED_AT);
    const scored = b.observe(
      event("borrower", T0 + 60_000, { credential }),
      DECIDED_AT,
    );
    expect(sharedBits(scored)).toBeUndefined();
  });

  it("a credential revoked on one instance is known to be revoked on the other", () => {
    const { a, b, exchange } = pair();
    const loop = burst("loop", 30, T0, { credential });
    const decisions = loop.flatMap(
      (e) => a.observe(e, DECIDED_AT).decision ?? [],
    );
    expect(decisions.map((d) => d.action)).toContain("revoke");
    exchange();
    const reuse = b.observe(
      event("reuser", T0 + 10 * 60_000, { credential }),
      DECIDED_AT,
    );
    expect(reuse.results.map((r) => r.detector)).toContain(
      "credential_lifetime",
    );
  });

  it("shares a use once per agent, credential and slot, and nothing without shareFacts", () => {
    const { a } = pair();
    const uses = () => a.takeFacts().filter((fact) => fact.kind === "use");
    for (let i = 0; i < 50; i++)
      a.observe(event("owner", T0 + i * 1000, { credential }), DECIDED_AT);
    expect(uses()).toHaveLength(1);
    a.observe(event("owner", T0 + 11 * 60_000, { credential }), DECIDED_AT);
    expect(uses()).toHaveLength(1);
    const plain = engine();
    plain.observe(event("owner", T0, { credential }), DECIDED_AT);
    expect(plain.takeFacts()).toEqual([]);
  });

  it("an echo of an older use never moves a user's last use back", () => {
    const { a, b, exchange } = pair();
    a.observe(event("owner", T0, { credential }), DECIDED_AT);
    exchange();
    b.learnFact({
      kind: "use",
      tenant: "acme",
      type: "api_key",
      id: credential.id,
      agent: "owner",
      atMs: T0 - 2 * 3_600_000,
    });
    const scored = b.observe(
      event("borrower", T0 + 60_000, { credential }),
      DECIDED_AT,
    );
    expect(sharedBits(scored)).toBeGreaterThan(0);
  });
});
