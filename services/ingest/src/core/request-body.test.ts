import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitRequestBody } from "./request-body.js";

describe("splitRequestBody", () => {
  it("keeps NDJSON lines byte for byte, drops CR and blank lines", () => {
    const body = Buffer.concat([
      Buffer.from('{"a":1}\r\n\n  \n'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from("\nlast"),
    ]);
    const split = splitRequestBody(body, "application/x-ndjson");
    expect(split.ok && split.messages.map((line) => [...line])).toEqual([
      [...Buffer.from('{"a":1}')],
      [0xff, 0xfe],
      [...Buffer.from("last")],
    ]);
  });

  it("splits a JSON array into its elements and refuses a broken one", () => {
    expect(
      splitRequestBody(Buffer.from(' [{"a":1}, 2]'), "application/json"),
    ).toEqual({
      ok: true,
      messages: [Buffer.from('{"a":1}'), Buffer.from("2")],
    });
    expect(splitRequestBody(Buffer.from("[1,"), "application/json").ok).toBe(
      false,
    );
  });

  it("loses no non-blank line", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .string({ unit: "binary" })
            .filter((line) => !line.includes("\n") && line.trim() !== ""),
        ),
        (lines) => {
          const split = splitRequestBody(
            Buffer.from(lines.join("\n")),
            "application/x-ndjson",
          );
          expect(split.ok && split.messages.length).toBe(lines.length);
        },
      ),
    );
  });
});

describe("splitRequestBody's message cap", () => {
  it("refuses more NDJSON lines than the cap, blank lines not counted", () => {
    const body = Buffer.from("{}\n\n{}\n{}\n");
    expect(splitRequestBody(body, "application/x-ndjson", 3).ok).toBe(true);
    expect(splitRequestBody(body, "application/x-ndjson", 2)).toMatchObject({
      ok: false,
      tooMany: true,
    });
  });

  it("counts a JSON array's top-level elements before parsing it", () => {
    const body = Buffer.from('[{"a":[1,2,{"b":"x,]"}]}, "s,\\"", 3]');
    expect(splitRequestBody(body, "application/json", 3).ok).toBe(true);
    expect(splitRequestBody(body, "application/json", 2)).toMatchObject({
      ok: false,
      tooMany: true,
    });
    expect(splitRequestBody(Buffer.from("[ ]"), "application/json", 0)).toEqual(
      { ok: true, messages: [] },
    );
  });

  it("refuses a million-line gzip bomb's worth of {} without a message per line", () => {
    const body = Buffer.from("{}\n".repeat(1_300_000));
    expect(
      splitRequestBody(body, "application/x-ndjson", 10_000),
    ).toMatchObject({ ok: false, tooMany: true });
  });
});
