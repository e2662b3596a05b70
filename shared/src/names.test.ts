import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createNames, fromSubjectToken, subjectToken } from "./names.js";

describe("createNames", () => {
  it("uses the bare names without a namespace", () => {
    const names = createNames();
    expect(names.topics).toEqual({
      audit: "agent.audit.v1",
      auditDlq: "agent.audit.dlq",
      events: "agent.events.v1",
      decisions: "agent.decisions.v1",
      revocations: "warden.revocations.v1",
      findings: "warden.findings.v1",
    });
    expect(names.groups).toEqual({
      ingest: "warden-ingest",
      baseline: "warden-baseline",
      detector: "warden-detector",
    });
    expect(names.decisionsStream).toBe("WARDEN_DECISIONS");
    expect(names.decisionsConsumer).toBe("warden-revoker");
    expect(names.baselinesBucket).toBe("warden-baselines");
    expect(names.decisionSubjects).toBe("warden.decisions.>");
    expect(names.killSwitchSubjects).toBe("warden.killswitch.>");
    expect(names.decisionSubject("acme", "agent:bot/1")).toBe(
      "warden.decisions.acme.agent:bot/1",
    );
    expect(names.killSwitchSubject("acme", "a.b")).toBe(
      "warden.killswitch.acme.a%2Eb",
    );
    const empty = createNames("");
    expect(empty.topics).toEqual(names.topics);
    expect(empty.groups).toEqual(names.groups);
    expect(empty.decisionsStream).toBe(names.decisionsStream);
    expect(empty.baselinesBucket).toBe(names.baselinesBucket);
    expect(empty.decisionSubject("t", "a")).toBe(
      names.decisionSubject("t", "a"),
    );
  });

  it("prefixes every name with the namespace", () => {
    const names = createNames("test-7");
    expect(
      Object.values(names.topics).every((topic) => topic.startsWith("test-7.")),
    ).toBe(true);
    expect(names.topics.audit).toBe("test-7.agent.audit.v1");
    expect(names.topics.revocations).toBe("test-7.warden.revocations.v1");
    expect(names.groups).toEqual({
      ingest: "test-7-warden-ingest",
      baseline: "test-7-warden-baseline",
      detector: "test-7-warden-detector",
    });
    // JetStream stream names: upper case, dashes become underscores.
    expect(names.decisionsStream).toBe("TEST_7_WARDEN_DECISIONS");
    expect(names.decisionsConsumer).toBe("test-7-warden-revoker");
    expect(names.baselinesBucket).toBe("test-7-warden-baselines");
    expect(names.decisionSubjects).toBe("test-7.warden.decisions.>");
    expect(names.killSwitchSubjects).toBe("test-7.warden.killswitch.>");
    expect(names.decisionSubject("t", "a")).toBe("test-7.warden.decisions.t.a");
    expect(names.killSwitchSubject("t", "a")).toBe(
      "test-7.warden.killswitch.t.a",
    );
  });

  it("keeps two namespaces apart", () => {
    const a = createNames("a");
    const b = createNames("b");
    for (const key of Object.keys(a.topics) as (keyof typeof a.topics)[])
      expect(a.topics[key]).not.toBe(b.topics[key]);
    for (const key of Object.keys(a.groups) as (keyof typeof a.groups)[])
      expect(a.groups[key]).not.toBe(b.groups[key]);
    expect(a.decisionsStream).not.toBe(b.decisionsStream);
    expect(a.baselinesBucket).not.toBe(b.baselinesBucket);
  });

  it("is frozen", () => {
    const names = createNames("x");
    expect(Object.isFrozen(names)).toBe(true);
    expect(Object.isFrozen(names.topics)).toBe(true);
    expect(Object.isFrozen(names.groups)).toBe(true);
  });

  it("a subject for one agent has exactly the wildcard's token count plus two", () => {
    const names = createNames("ns");
    const subject = names.killSwitchSubject("ten.ant", "agent *> x");
    expect(subject.split(".")).toHaveLength(
      names.killSwitchSubjects.split(".").length - 1 + 2,
    );
  });
});

describe("subjectToken", () => {
  it.each([
    ["a.b", "a%2Eb"],
    ["a*b", "a%2Ab"],
    ["a>b", "a%3Eb"],
    ["a b", "a%20b"],
    ["a\tb", "a%09b"],
    ["a\nb", "a%0Ab"],
    ["50%", "50%25"],
    ["\u00a0", "%C2%A0"],
    ["agent:bot/1", "agent:bot/1"],
    ["ünï", "ünï"],
  ])("%j -> %j", (value, token) => {
    expect(subjectToken(value)).toBe(token);
    expect(fromSubjectToken(token)).toBe(value);
  });

  it("never holds a subject separator, wildcard or whitespace, and round-trips (property)", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.string({
        unit: fc.constantFrom(
          ".",
          "*",
          ">",
          "%",
          " ",
          "\t",
          "\n",
          "\u00a0",
          "\u2028",
          "%2E",
          "%00",
          "\u0000",
          "a",
          "é",
        ),
      }),
    );
    fc.assert(
      fc.property(text, (value) => {
        const token = subjectToken(value);
        expect(token).not.toMatch(/[.*>\s]/u);
        expect(token.length).toBeGreaterThan(0);
        expect(fromSubjectToken(token)).toBe(value);
      }),
      { numRuns: 2000 },
    );
    // 2,000 generated strings take a few seconds on a busy 2-core machine.
  }, 30_000);

  it("never maps two different values to one token (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        (a, b) => {
          fc.pre(a !== b);
          expect(subjectToken(a)).not.toBe(subjectToken(b));
        },
      ),
    );
  });

  it("encodes the empty string as a non-empty token kept apart from a lone NUL", () => {
    expect(subjectToken("").length).toBeGreaterThan(0);
    expect(subjectToken("")).not.toMatch(/[.*>\s]/u);
    expect(fromSubjectToken(subjectToken(""))).toBe("");
    expect(subjectToken("\u0000")).not.toBe(subjectToken(""));
    expect(fromSubjectToken(subjectToken("\u0000"))).toBe("\u0000");
  });
});
