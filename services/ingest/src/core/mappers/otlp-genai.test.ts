import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateAuditEvent } from "@warden/shared";
import { acceptAuditMessage, type AcceptOptions } from "../accept.js";
import {
  isoOf,
  otlpDocumentMapper,
  parseSensitivityRules,
} from "./otlp-genai.js";
import type { MapOutcome } from "./mapper.js";

const TRACE = "5b8efff798038103d269b633813fc60c";
const NS = "1764752400000000000"; // 2025-12-03T09:00:00Z

function kv(attributes: Record<string, string | number>) {
  return Object.entries(attributes).map(([key, value]) => ({
    key,
    value:
      typeof value === "number"
        ? { intValue: String(value) }
        : { stringValue: value },
  }));
}

function span(
  spanId: string,
  parentSpanId: string,
  attributes: Record<string, string | number>,
  status = 0,
) {
  return {
    traceId: TRACE,
    spanId,
    parentSpanId,
    name: "s",
    kind: 1,
    startTimeUnixNano: NS,
    endTimeUnixNano: String(BigInt(NS) + 2_500_000n),
    attributes: kv(attributes),
    status: { code: status },
  };
}

function decode(
  spans: unknown[],
  config = {
    sensitivity: parseSensitivityRules(
      "mcp:delete_*=restricted,tool:*=internal",
    ),
  },
): MapOutcome[] {
  const body = Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: {
            attributes: kv({
              "service.name": "support-agent",
              "service.instance.id": "pod-7",
            }),
          },
          scopeSpans: [{ scope: { name: "agents-sdk" }, spans }],
        },
      ],
    }),
  );
  const decoded = otlpDocumentMapper(config).decode(body, "application/json");
  if (!decoded.ok) throw new Error(decoded.detail);
  return decoded.records.map((record) => record.outcome);
}

function event(outcome: MapOutcome | undefined) {
  if (outcome?.kind !== "event") throw new Error(JSON.stringify(outcome));
  expect(validateAuditEvent(outcome.event).ok).toBe(true);
  return outcome.event;
}

describe("OTLP GenAI / MCP mapper", () => {
  it("maps an orchestrator delegating to a sub-agent whose MCP tool call is denied", () => {
    const outcomes = decode([
      span("00000000000000a1", "", {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.id": "agent:triage/1",
        "gen_ai.agent.name": "triage",
      }),
      span("00000000000000a2", "00000000000000a1", {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.id": "agent:billing/4",
        "gen_ai.agent.name": "billing",
      }),
      span(
        "00000000000000a3",
        "00000000000000a2",
        {
          "mcp.method.name": "tools/call",
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "delete_invoice",
          "mcp.session.id": "sess-9",
          "error.type": "permission_denied",
          "enduser.id": "alice@acme.example",
        },
        2,
      ),
    ]);
    const sub = event(outcomes[1]);
    expect(sub.action).toEqual({
      name: "gen_ai.invoke_agent",
      verb: "delegate",
    });
    expect(sub.delegation).toEqual(["agent:triage/1", "agent:billing/4"]);
    const call = event(outcomes[2]);
    expect(call).toMatchObject({
      event_id: `otel:${TRACE}00000000000000a3`,
      time: "2025-12-03T09:00:00.000Z",
      agent: { id: "agent:billing/4", kind: "billing", instance: "pod-7" },
      delegation: ["agent:triage/1", "agent:billing/4"],
      credential: { id: "absent:agent:billing/4", type: "other" },
      action: { name: "mcp:delete_invoice", verb: "delete" },
      resource: { sensitivity: "restricted" },
      outcome: "denied",
      duration_ms: 2.5,
      session_id: "sess-9",
      on_behalf_of: "alice@acme.example",
      trace_id: TRACE,
    });
    expect(call.attributes).toMatchObject({
      "otel.credential_absent": true,
      "mcp.method.name": "tools/call",
    });
  });

  it("maps inference to the model, takes the credential from the configured attribute, and reads the resource's agent", () => {
    const config = { credentialAttribute: "gateway.token.id", sensitivity: [] };
    const [chat] = decode(
      [
        span("00000000000000b1", "", {
          "gen_ai.operation.name": "chat",
          "gen_ai.request.model": "gpt-4o",
          "gen_ai.usage.input_tokens": 812,
          "gateway.token.id": "tok_77",
        }),
      ],
      config,
    );
    expect(event(chat)).toMatchObject({
      agent: { id: "support-agent", instance: "pod-7" },
      credential: { id: "tok_77", type: "other" },
      action: { name: "gen_ai.chat", verb: "execute" },
      resource: { id: "gpt-4o", type: "model", sensitivity: "internal" },
      usage: { input_tokens: 812 },
      attributes: { "gen_ai.usage.input_tokens": 812 },
    });
  });

  it("fills usage from the token counts, leaving out a count that is not a whole number", () => {
    const [both, bad, none] = decode([
      span("00000000000000b2", "", {
        "gen_ai.operation.name": "chat",
        "gen_ai.agent.id": "a",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 340,
      }),
      span("00000000000000b3", "", {
        "gen_ai.operation.name": "chat",
        "gen_ai.agent.id": "a",
        "gen_ai.usage.input_tokens": -5,
        "gen_ai.usage.output_tokens": 2.5,
      }),
      span("00000000000000b4", "", {
        "gen_ai.operation.name": "chat",
        "gen_ai.agent.id": "a",
      }),
    ]);
    expect(event(both).usage).toEqual({
      input_tokens: 1200,
      output_tokens: 340,
    });
    expect(event(bad).usage).toBeUndefined();
    expect(event(bad).attributes).toMatchObject({
      "gen_ai.usage.input_tokens": -5,
    });
    expect(event(none).usage).toBeUndefined();
  });

  it("dead-letters spans that name no action and skips those that are not agent actions", () => {
    const outcomes = decode([
      span("00000000000000c1", "", {
        "gen_ai.operation.name": "teleport",
        "gen_ai.agent.id": "a",
      }),
      span("00000000000000c2", "", {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.agent.id": "a",
      }),
      span("00000000000000c3", "", {
        "mcp.method.name": "notifications/progress",
      }),
      span("00000000000000c4", "", { "http.request.method": "GET" }),
    ]);
    expect(outcomes).toEqual([
      {
        kind: "unmappable",
        detail: expect.stringMatching(
          /^\/attributes\/gen_ai.operation.name "teleport" is not an operation of semantic-conventions-genai v0.1.0/,
        ) as string,
      },
      {
        kind: "unmappable",
        detail:
          "/attributes/gen_ai.tool.name is missing on an execute_tool span",
      },
      { kind: "skipped", skip: "unrelated_span" },
      { kind: "skipped", skip: "unrelated_span" },
    ]);
  });

  it("refuses a body that is not an export request and rejects bad sensitivity rules by position", () => {
    const mapper = otlpDocumentMapper();
    expect(
      mapper.decode(Buffer.from([0x0a, 0xff, 0xff]), "application/x-protobuf")
        .ok,
    ).toBe(false);
    expect(mapper.decode(Buffer.from("[]"), "application/json").ok).toBe(false);
    expect(() => parseSensitivityRules("tool:*=secret")).toThrow(/entry 1/);
  });
});

describe("OTLP mapper under hostile spans", () => {
  // Text as an attacker would send it: control characters, lone surrogates, astral characters
  // (two UTF-16 units, one code point for the schema's maxLength), blanks, and runs far
  // beyond every field's limit.
  const hostileText = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("", " ", "\t\n", "\u0000", "\u2028", "\ud800", "\u{1f600}"),
    fc
      .tuple(
        fc.constantFrom("a", "\u0001", "\u{1f600}", "é", '"'),
        // Every field limit of the schema (64 … 2048), just under, at and just past it.
        fc.oneof(
          fc.nat(3000),
          fc
            .constantFrom(64, 128, 256, 512, 2048)
            .chain((limit) => fc.integer({ min: limit - 1, max: limit + 2 })),
        ),
      )
      .map(([unit, n]) => unit.repeat(n)),
    // Blank once clipped: white space up to and past a field's limit, then text.
    fc
      .tuple(
        fc.constantFrom(" ", "\t", "\u3000"),
        fc.integer({ min: 60, max: 600 }),
      )
      .map(([blank, n]) => `${blank.repeat(n)}x`),
  );
  const hostileValue = fc.oneof(
    hostileText.map((stringValue) => ({ stringValue })),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((n) => ({
      intValue: String(n),
    })),
    fc.double().map((doubleValue) => ({ doubleValue })),
    fc.constantFrom("NaN", "Infinity", "-Infinity").map((doubleValue) => ({
      doubleValue,
    })),
    fc.boolean().map((boolValue) => ({ boolValue })),
  );
  const KEYS = [
    "gen_ai.operation.name",
    "gen_ai.tool.name",
    "gen_ai.agent.id",
    "gen_ai.agent.name",
    "gen_ai.conversation.id",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.request.model",
    "gen_ai.tool.call.id",
    "mcp.method.name",
    "mcp.resource.uri",
    "mcp.session.id",
    "error.type",
    "http.response.status_code",
    "enduser.id",
    "client.address",
    "user_agent.original",
    "server.address",
    "warden.credential",
  ];
  const attributes = fc.array(
    fc.record({ key: fc.constantFrom(...KEYS), value: hostileValue }),
    { maxLength: 14 },
  );
  // Mostly valid execute_tool spans, so the hostile values reach the event rather than stop
  // at the first missing attribute.
  const toolSpan = fc.record({
    attributes,
    operation: fc.constantFrom("execute_tool", "chat", "invoke_agent"),
    tool: hostileText,
    agent: hostileText,
    name: hostileText,
    traceId: fc.oneof(
      fc.constant(TRACE),
      fc.string({ maxLength: 40 }),
      fc.constant(TRACE.toUpperCase()),
    ),
    spanId: fc.oneof(
      fc.stringMatching(/^[0-9a-f]{16}$/),
      fc.string({ maxLength: 20 }),
    ),
    start: fc.oneof(
      fc.constant(NS),
      fc.bigInt({ min: 0n, max: (1n << 64n) + 5n }).map(String),
      fc.constantFrom("-1", "1e30", "x", ""),
    ),
  });
  const options: AcceptOptions = {
    maxEventBytes: 1 << 20,
    maxFutureSkewMs: Number.MAX_SAFE_INTEGER,
    lateAfterMs: Number.MAX_SAFE_INTEGER,
    nowMs: 0,
  };

  it("makes only events that meet the v1 contract, or says why it cannot", () => {
    const mapper = otlpDocumentMapper({
      credentialAttribute: "warden.credential",
      tenantAttribute: "warden.tenant",
      sensitivity: [],
    });
    let events = 0;
    fc.assert(
      fc.property(
        fc.array(toolSpan, { minLength: 1, maxLength: 40 }),
        hostileText,
        (spans, tenant) => {
          const body = Buffer.from(
            JSON.stringify({
              resourceSpans: [
                {
                  resource: {
                    attributes: [
                      { key: "warden.tenant", value: { stringValue: tenant } },
                      { key: "service.name", value: { stringValue: tenant } },
                    ],
                  },
                  scopeSpans: [
                    {
                      scope: { name: tenant },
                      // Each span the parent of the next: delegation chains up to 40 deep.
                      spans: spans.map((hostile, index) => ({
                        traceId: hostile.traceId,
                        spanId: hostile.spanId,
                        parentSpanId: spans[index + 1]?.spanId ?? "",
                        name: hostile.name,
                        startTimeUnixNano: hostile.start,
                        endTimeUnixNano: hostile.start,
                        attributes: [
                          ...kv({
                            "gen_ai.operation.name": hostile.operation,
                            "gen_ai.tool.name": hostile.tool,
                            "gen_ai.agent.id": hostile.agent,
                          }),
                          ...hostile.attributes,
                        ],
                      })),
                    },
                  ],
                },
              ],
            }),
          );
          const decoded = mapper.decode(body, "application/json");
          if (!decoded.ok) throw new Error(decoded.detail);
          for (const { outcome } of decoded.records) {
            if (outcome.kind !== "event") {
              expect(outcome.kind === "skipped" || outcome.detail !== "").toBe(
                true,
              );
              continue;
            }
            const bytes = Buffer.from(JSON.stringify(outcome.event));
            // The mapper claims its events conform by construction, so acceptance skips
            // the schema and the depth walk for them: the verdict must be the same with
            // every check (and ok, except an id that clipping left blank).
            expect(outcome.conforms).toBe(true);
            const full = acceptAuditMessage(
              { event: outcome.event, bytes },
              options,
            );
            expect(
              acceptAuditMessage(
                { event: outcome.event, bytes, conforms: true },
                options,
              ),
            ).toEqual(full);
            if (full.ok) events++;
            else expect(full.detail).toMatch(/must not be blank$/);
            // The one serialisation is the event: what Kafka carries parses back to it.
            expect(JSON.parse(bytes.toString("utf8"))).toEqual(outcome.event);
          }
        },
      ),
      { numRuns: 120 },
    );
    // Not vacuous: many hostile spans still become accepted events.
    expect(events).toBeGreaterThan(50);
  });

  it("writes every time as toISOString would, across the Date range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8.64e15 }), (ms) => {
        expect(isoOf(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
    for (const ms of [1, 86_399_999, 86_400_000, 253_402_300_800_000, 8.64e15])
      expect(isoOf(ms)).toBe(new Date(ms).toISOString());
    expect(isoOf(0)).toBeUndefined();
    expect(isoOf(8.64e15 + 1)).toBeUndefined();
  });
});
