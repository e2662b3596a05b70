import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KillSwitchMessage } from "@warden/shared/kill-switch";
import { credentialLabel } from "@warden/shared/credential-label";
import { createRevocationSet, rebuildRevocationSet } from "./revocations.js";

const NOW = Date.parse("2026-11-23T12:00:00.000Z");

function message(
  overrides: Partial<KillSwitchMessage> & { agent_id: string },
): KillSwitchMessage {
  return {
    version: 1,
    action: "revoke",
    tenant: "acme",
    credential_ids: [],
    decision_id: `d-${overrides.agent_id}`,
    reason: "too many calls",
    issued_at: new Date(NOW - 1_000).toISOString(),
    expires_at: null,
    ...overrides,
  };
}

const agents = ["a", "b", "c"];
const messages = fc
  .uniqueArray(
    fc.record({
      agent_id: fc.constantFrom(...agents),
      action: fc.constantFrom("revoke" as const, "reinstate" as const),
      credential_ids: fc.subarray(["k1", "k2", "k3"]),
      issuedMs: fc.integer({ min: NOW - 100_000, max: NOW }),
      expiresInMs: fc.option(fc.integer({ min: -50_000, max: 50_000 }), {
        nil: null,
      }),
    }),
    { selector: (m) => m.issuedMs, maxLength: 30 },
  )
  .map((records) =>
    records.map((r) =>
      message({
        agent_id: r.agent_id,
        action: r.action,
        credential_ids: r.credential_ids,
        issued_at: new Date(r.issuedMs).toISOString(),
        expires_at:
          r.expiresInMs === null
            ? null
            : new Date(NOW + r.expiresInMs).toISOString(),
      }),
    ),
  );

function answers(list: readonly KillSwitchMessage[]): unknown[] {
  const set = createRevocationSet();
  for (const m of list) set.apply(m, NOW);
  return agents.flatMap((agent) =>
    [undefined, "k1", "k2", "k3"].map((credential) =>
      set.mayAct("acme", agent, credential, NOW),
    ),
  );
}

describe("createRevocationSet", () => {
  it("answers the same whatever order the messages arrive in", () => {
    fc.assert(
      fc.property(messages, fc.infiniteStream(fc.nat()), (list, randoms) => {
        const shuffled = [...list]
          .map((m) => ({ m, r: randoms.next().value as number }))
          .sort((x, y) => x.r - y.r)
          .map(({ m }) => m);
        expect(answers(shuffled)).toEqual(answers(list));
      }),
    );
  });

  it("follows the newest message of each agent", () => {
    fc.assert(
      fc.property(messages, (list) => {
        const set = createRevocationSet();
        for (const m of list) set.apply(m, NOW);
        for (const agent of agents) {
          const newest = list
            .filter((m) => m.agent_id === agent)
            .sort(
              (x, y) => Date.parse(y.issued_at) - Date.parse(x.issued_at),
            )[0];
          const expected =
            newest?.action === "revoke" &&
            (newest.expires_at === null || Date.parse(newest.expires_at) > NOW);
          expect(set.mayAct("acme", agent, undefined, NOW).allowed).toBe(
            !expected,
          );
        }
      }),
    );
  });

  it("refuses a revoked agent with the reason, and its credentials under any agent id", () => {
    const set = createRevocationSet();
    set.apply(
      message({
        agent_id: "runaway",
        credential_ids: ["key-1"],
        reason: "6 calls in 10 s",
      }),
      NOW,
    );
    expect(set.mayAct("acme", "runaway", undefined, NOW)).toMatchObject({
      allowed: false,
      matched: "agent",
      revocation: { reason: "6 calls in 10 s", decisionId: "d-runaway" },
    });
    expect(set.mayAct("acme", "other", "key-1", NOW)).toMatchObject({
      allowed: false,
      matched: "credential",
    });
    expect(set.mayAct("acme", "other", "key-2", NOW)).toEqual({
      allowed: true,
    });
    expect(set.mayAct("globex", "runaway", "key-1", NOW)).toEqual({
      allowed: true,
    });
  });

  it("refuses a credential a SET named by its label only, until reinstatement", () => {
    const set = createRevocationSet();
    set.apply(
      message({ agent_id: "a", credential_ids: [credentialLabel("tok-1")] }),
      NOW,
    );
    expect(set.mayAct("acme", "b", "tok-1", NOW)).toMatchObject({
      allowed: false,
      matched: "credential",
    });
    expect(set.mayAct("acme", "b", "tok-2", NOW).allowed).toBe(true);
    expect(set.mayAct("other", "b", "tok-1", NOW).allowed).toBe(true);
    set.apply(
      message({
        agent_id: "a",
        action: "reinstate",
        issued_at: new Date(NOW).toISOString(),
      }),
      NOW,
    );
    expect(set.mayAct("acme", "b", "tok-1", NOW).allowed).toBe(true);
  });

  it("lets an agent act again after its expiry or reinstatement, not before", () => {
    const set = createRevocationSet();
    const expires = new Date(NOW + 5_000).toISOString();
    set.apply(message({ agent_id: "a", expires_at: expires }), NOW);
    expect(set.mayAct("acme", "a", undefined, NOW + 4_999).allowed).toBe(false);
    expect(set.mayAct("acme", "a", undefined, NOW + 5_000).allowed).toBe(true);
    set.sweep(NOW + 5_000);
    expect(set.active(NOW)).toEqual([]);

    set.apply(message({ agent_id: "b", credential_ids: ["kb"] }), NOW);
    expect(
      set.apply(
        message({
          agent_id: "b",
          action: "reinstate",
          issued_at: new Date(NOW - 2_000).toISOString(),
        }),
        NOW,
      ),
    ).toBe(false);
    expect(set.mayAct("acme", "b", undefined, NOW).allowed).toBe(false);
    set.apply(
      message({
        agent_id: "b",
        action: "reinstate",
        issued_at: new Date(NOW).toISOString(),
      }),
      NOW,
    );
    expect(set.mayAct("acme", "b", "kb", NOW)).toEqual({ allowed: true });
  });

  it("keeps a credential two revoked agents share refused until both are reinstated", () => {
    const set = createRevocationSet();
    set.apply(message({ agent_id: "a", credential_ids: ["shared"] }), NOW);
    set.apply(message({ agent_id: "b", credential_ids: ["shared"] }), NOW);
    set.apply(
      message({
        agent_id: "a",
        action: "reinstate",
        issued_at: new Date(NOW).toISOString(),
      }),
      NOW,
    );
    expect(set.mayAct("acme", "c", "shared", NOW)).toMatchObject({
      allowed: false,
      revocation: { agentId: "b" },
    });
    set.apply(
      message({
        agent_id: "b",
        action: "reinstate",
        issued_at: new Date(NOW).toISOString(),
      }),
      NOW,
    );
    expect(set.mayAct("acme", "c", "shared", NOW)).toEqual({ allowed: true });
  });

  it("never ends a revocation early on an unreadable expiry", () => {
    const set = createRevocationSet();
    set.apply(message({ agent_id: "a", expires_at: "soon" }), NOW);
    expect(set.mayAct("acme", "a", undefined, NOW + 1e12).allowed).toBe(false);
  });
});

describe("rebuildRevocationSet", () => {
  it("drops what the bucket no longer holds and applies changes heard during the read on top", () => {
    const revokedLong = message({
      agent_id: "old",
      issued_at: new Date(NOW - 60_000).toISOString(),
    });
    const liveRevoke = message({
      agent_id: "new",
      issued_at: new Date(NOW).toISOString(),
    });
    const liveReinstate = message({
      agent_id: "old",
      action: "reinstate",
      issued_at: new Date(NOW - 10).toISOString(),
    });
    const set = rebuildRevocationSet(
      [revokedLong],
      [liveRevoke, liveReinstate],
      NOW,
    );
    expect(set.active(NOW).map((r) => r.agentId)).toEqual(["new"]);
    const fromBucketOnly = rebuildRevocationSet([revokedLong], [], NOW);
    expect(fromBucketOnly.mayAct("acme", "old", undefined, NOW).allowed).toBe(
      false,
    );
  });
});

describe("issued_at clamped to the verifier's clock (issue 16)", () => {
  it("lets no message dated in the future outrank a later change", () => {
    const set = createRevocationSet();
    // A reinstate claiming to come from 2099 (forged, or a revoker whose clock ran ahead)...
    set.apply(
      message({
        agent_id: "a",
        action: "reinstate",
        issued_at: "2099-01-01T00:00:00.000Z",
      }),
      NOW - 5_000,
    );
    // ...does not shadow the revoke issued after it arrived.
    expect(
      set.apply(
        message({
          agent_id: "a",
          issued_at: new Date(NOW - 1_000).toISOString(),
        }),
        NOW,
      ),
    ).toBe(true);
    expect(set.mayAct("acme", "a", undefined, NOW).allowed).toBe(false);
  });

  it("a hold refuses only the calls it covers; a revoke outranks it", () => {
    const set = createRevocationSet();
    set.apply(
      message({
        agent_id: "h",
        action: "hold",
        credential_ids: ["k9"],
        hold: {
          actions: ["export", "send_external"],
          answer_by: "2026-11-23T12:15:00.000Z",
        },
      }),
      NOW,
    );
    const ask = (
      call?: Parameters<typeof set.mayAct>[4],
      credential?: string,
    ) => set.mayAct("acme", "h", credential, NOW, call);
    expect(ask({ verb: "export" })).toMatchObject({
      allowed: false,
      held: ["export"],
    });
    expect(ask({ verb: "write", counterparty: "payee-1" })).toMatchObject({
      held: ["send_external"],
    });
    expect(ask({ verb: "read", counterparty: "feed" }).allowed).toBe(true);
    expect(ask({ verb: "delete" }).allowed).toBe(true);
    expect(ask({ verb: "read", sensitivity: "restricted" }).allowed).toBe(true);
    // Undescribed: it might be sensitive.
    expect(ask()).toMatchObject({
      allowed: false,
      held: ["export", "send_external"],
    });
    // The held credential, presented by another agent, is held the same way.
    expect(
      set.mayAct("acme", "other", "k9", NOW, { verb: "export" }).allowed,
    ).toBe(false);
    expect(
      set.mayAct("acme", "other", "k9", NOW, { verb: "read" }).allowed,
    ).toBe(true);
    // Another agent's revoke listing the same credential outranks the hold.
    set.apply(message({ agent_id: "r", credential_ids: ["k9"] }), NOW);
    expect(
      set.mayAct("acme", "other", "k9", NOW, { verb: "read" }).allowed,
    ).toBe(false);
    // A later revoke of the held agent refuses everything.
    set.apply(
      message({ agent_id: "h", issued_at: new Date(NOW).toISOString() }),
      NOW,
    );
    expect(ask({ verb: "read" }).allowed).toBe(false);
  });
});
