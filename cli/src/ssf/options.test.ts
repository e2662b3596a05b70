import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGENT_EVENT_TYPES, SHORT_EVENT_NAMES } from "./event-types.js";
import { UsageError } from "../api-client.js";
import {
  DeliveryMethod,
  checkStreamId,
  createStreamRequest,
  parseEventTypes,
  parseStatus,
  replaceStreamRequest,
  subjectFromOptions,
  updateStreamRequest,
} from "./options.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";

describe("parseEventTypes", () => {
  it("maps short names to URIs, keeps URIs, expands all, drops duplicates in order", () => {
    expect(parseEventTypes("session-revoked, account-disabled")).toEqual([
      `${CAEP}/session-revoked`,
      "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
    ]);
    expect(
      parseEventTypes("urn:example:x,session-revoked,urn:example:x"),
    ).toEqual(["urn:example:x", `${CAEP}/session-revoked`]);
    expect(parseEventTypes("all")).toEqual(Object.values(AGENT_EVENT_TYPES));
    expect(parseEventTypes("session-revoked,all")).toHaveLength(
      SHORT_EVENT_NAMES.length,
    );
  });

  it("refuses unknown names and empty lists, naming what is allowed", () => {
    expect(() => parseEventTypes("session-revokd")).toThrow(
      /unknown event type "session-revokd".*session-revoked/,
    );
    expect(() => parseEventTypes(" , ")).toThrow(UsageError);
  });

  it("any list of known names gives each URI once, in first-seen order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...SHORT_EVENT_NAMES), { minLength: 1 }),
        (names) => {
          const uris = parseEventTypes(names.join(","));
          expect(uris).toEqual(
            [...new Set(names)].map((name) => AGENT_EVENT_TYPES[name]),
          );
        },
      ),
    );
  });

  it("never throws anything but a UsageError", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseEventTypes(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
        }
      }),
    );
  });
});

describe("parseStatus and checkStreamId", () => {
  it("accepts exactly the three SSF statuses", () => {
    expect(parseStatus("paused")).toBe("paused");
    expect(() => parseStatus("Paused")).toThrow(UsageError);
    expect(() => parseStatus("active")).toThrow(/enabled, paused, disabled/);
  });

  it("accepts printable ids without spaces", () => {
    expect(checkStreamId("f67e39a0")).toBe("f67e39a0");
    expect(() => checkStreamId("a b")).toThrow(UsageError);
    expect(() => checkStreamId("")).toThrow(UsageError);
    expect(() => checkStreamId("\u001b[2J")).toThrow(UsageError);
  });
});

describe("createStreamRequest", () => {
  it("builds a push stream with its write-only header, every event by default", () => {
    expect(
      createStreamRequest({
        push: "https://idp.example/events",
        authorization: "Bearer s3cret",
        description: "IdP",
      }),
    ).toEqual({
      delivery: {
        method: DeliveryMethod.push,
        endpoint_url: "https://idp.example/events",
        authorization_header: "Bearer s3cret",
      },
      events_requested: Object.values(AGENT_EVENT_TYPES),
      description: "IdP",
    });
  });

  it("builds a poll stream whose URL the transmitter supplies", () => {
    expect(
      createStreamRequest({
        poll: true,
        events: "session-revoked",
        audience: "siem",
        subjectFormat: "iss_sub",
      }),
    ).toEqual({
      delivery: { method: DeliveryMethod.poll },
      events_requested: [`${CAEP}/session-revoked`],
      aud: "siem",
      subject_format: "iss_sub",
    });
  });

  it("refuses contradictory or incomplete delivery options", () => {
    expect(() => createStreamRequest({})).toThrow(/--push <url> or --poll/);
    expect(() =>
      createStreamRequest({ poll: true, push: "https://x.example" }),
    ).toThrow(/not both/);
    expect(() =>
      createStreamRequest({ poll: true, authorization: "Bearer x" }),
    ).toThrow(/goes with --push/);
    expect(() => createStreamRequest({ push: "ftp://x.example" })).toThrow(
      /https/,
    );
    expect(() =>
      createStreamRequest({ push: "https://user:pw@x.example" }),
    ).toThrow(/credentials/);
    expect(() =>
      createStreamRequest({ poll: true, subjectFormat: "email" }),
    ).toThrow(/auto, iss_sub, complex, opaque/);
  });

  it("never puts the authorization header in an error message", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), (secret) => {
        try {
          createStreamRequest({ poll: true, authorization: secret });
        } catch (error) {
          expect((error as Error).message).not.toContain(secret);
        }
      }),
    );
  });
});

describe("updateStreamRequest", () => {
  it("sends the stream id and only what changes", () => {
    expect(updateStreamRequest("s1", { events: "account-enabled" })).toEqual({
      stream_id: "s1",
      events_requested: [
        "https://schemas.openid.net/secevent/risc/event-type/account-enabled",
      ],
    });
    expect(updateStreamRequest("s1", { poll: true })).toEqual({
      stream_id: "s1",
      delivery: { method: DeliveryMethod.poll },
    });
  });

  it("refuses an update with nothing to change", () => {
    expect(() => updateStreamRequest("s1", {})).toThrow(/nothing to change/);
  });
});

describe("replaceStreamRequest", () => {
  it("sends every receiver-supplied field, so what is left out is deleted", () => {
    expect(
      replaceStreamRequest("s1", { poll: true, events: "session-revoked" }),
    ).toEqual({
      stream_id: "s1",
      delivery: { method: DeliveryMethod.poll },
      events_requested: [`${CAEP}/session-revoked`],
    });
    expect(() => replaceStreamRequest("s1", {})).toThrow(
      /--push <url> or --poll/,
    );
  });
});

describe("subjectFromOptions", () => {
  it("names an agent, a tenant, an agent in a tenant, or any subject as JSON", () => {
    expect(subjectFromOptions({ agent: "agent:7" })).toEqual({
      format: "opaque",
      id: "agent:7",
    });
    expect(subjectFromOptions({ tenant: "acme" })).toEqual({
      format: "complex",
      tenant: { format: "opaque", id: "acme" },
    });
    expect(subjectFromOptions({ agent: "a", tenant: "acme" })).toEqual({
      format: "complex",
      user: { format: "opaque", id: "a" },
      tenant: { format: "opaque", id: "acme" },
    });
    expect(
      subjectFromOptions({
        subject: '{"format":"iss_sub","iss":"https://w","sub":"a"}',
      }),
    ).toEqual({ format: "iss_sub", iss: "https://w", sub: "a" });
  });

  it("refuses no subject, mixed options and JSON that is not a subject", () => {
    expect(() => subjectFromOptions({})).toThrow(
      /--agent, --tenant or --subject/,
    );
    expect(() =>
      subjectFromOptions({ subject: '{"format":"opaque"}', agent: "a" }),
    ).toThrow(UsageError);
    for (const subject of ["nope", "[]", '{"id":"a"}', "null"])
      expect(() => subjectFromOptions({ subject })).toThrow(UsageError);
  });
});
