import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  formatKeyList,
  formatRotation,
  formatStatus,
  formatStreamDetails,
  formatStreamList,
  formatTable,
} from "./format.js";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type";
const stream = {
  stream_id: "s1",
  iss: "https://warden.example",
  aud: "idp",
  delivery: {
    method: "urn:ietf:rfc:8935",
    endpoint_url: "https://idp.example/events",
  },
  events_requested: [`${CAEP}/session-revoked`, "urn:example:other"],
  events_delivered: [`${CAEP}/session-revoked`, `${CAEP}/credential-change`],
  description: "the IdP",
  min_verification_interval: 30,
};

describe("formatTable", () => {
  it("pads every column but the last to its widest cell", () => {
    expect(
      formatTable(
        ["A", "BB", "C"],
        [
          ["long-cell", "x", "end"],
          ["y", "", ""],
        ],
      ),
    ).toBe("A          BB  C\nlong-cell  x   end\ny\n");
  });

  it("lines up columns and never ends a line with a space, for any cells", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.string({ unit: "grapheme-ascii" }), {
            minLength: 3,
            maxLength: 3,
          }),
        ),
        (rows) => {
          const lines = formatTable(["ONE", "TWO", "THREE"], rows)
            .split("\n")
            .slice(0, -1);
          expect(lines).toHaveLength(rows.length + 1);
          for (const line of lines) expect(line).not.toMatch(/ $/);
        },
      ),
    );
  });

  it("escapes control characters so a stream field cannot drive the terminal", () => {
    expect(formatTable(["X"], [["a\u001b[2Jb\n"]])).toBe(
      "X\na\\u{1b}[2Jb\\u{a}\n",
    );
  });
});

describe("stream views", () => {
  it("lists streams with status, delivery and short event names", () => {
    expect(
      formatStreamList([
        {
          config: stream,
          status: { stream_id: "s1", status: "paused", reason: "maintenance" },
        },
        {
          config: {
            stream_id: "s2",
            delivery: {
              method: "urn:ietf:rfc:8936",
              endpoint_url: "http://t/ssf/poll/s2",
            },
            events_delivered: [],
          },
          status: { stream_id: "s2", status: "enabled" },
        },
      ]),
    ).toBe(
      [
        "STREAM  STATUS                DELIVERY  ENDPOINT                    EVENTS",
        "s1      paused (maintenance)  push      https://idp.example/events  session-revoked,credential-change",
        "s2      enabled               poll      http://t/ssf/poll/s2        -",
        "",
      ].join("\n"),
    );
    expect(formatStreamList([])).toBe("no streams\n");
  });

  it("shows every field of one stream", () => {
    const text = formatStreamDetails(stream, {
      stream_id: "s1",
      status: "enabled",
    });
    expect(text).toContain("status                     enabled\n");
    expect(text).toContain(
      `events_delivered           ${CAEP}/session-revoked ${CAEP}/credential-change\n`,
    );
    expect(text).toContain("min_verification_interval  30 s\n");
    expect(text).not.toContain("FIELD");
  });

  it("prints a status with its reason", () => {
    expect(
      formatStatus({ stream_id: "s1", status: "paused", reason: "why" }),
    ).toBe("s1  paused (why)\n");
  });
});

describe("key views", () => {
  const keys = [
    {
      kid: "new",
      alg: "RS256",
      created_at: "2026-11-23T13:00:00.000Z",
      status: "active",
      until: "2026-12-23T13:00:00.000Z",
    },
    {
      kid: "old",
      alg: "RS256",
      created_at: "2026-11-01T00:00:00.000Z",
      status: "retiring",
      until: "2026-11-30T13:00:00.000Z",
    },
  ];

  it("lists keys with what happens to each next", () => {
    expect(formatKeyList(keys)).toBe(
      [
        "KID  ALG    STATUS    CREATED                   UNTIL",
        "new  RS256  active    2026-11-23T13:00:00.000Z  rotates 2026-12-23T13:00:00.000Z",
        "old  RS256  retiring  2026-11-01T00:00:00.000Z  leaves JWKS 2026-11-30T13:00:00.000Z",
        "",
      ].join("\n"),
    );
  });

  it("says which key signs now and until when the previous one verifies", () => {
    expect(
      formatRotation({ previous_kid: "old", active_kid: "new", keys }),
    ).toBe(
      "signing key rotated: new signs from now on\nprevious key old stays in the JWKS until 2026-11-30T13:00:00.000Z\n",
    );
    expect(
      formatRotation({ previous_kid: "gone", active_kid: "new", keys }),
    ).toMatch(/previous key gone has left the JWKS/);
  });
});
