import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { preview } from "./dead-letters.js";

/* eslint-disable no-control-regex -- control characters are what must not appear */
const TERMINAL_UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
/* eslint-enable no-control-regex */

describe("dead letters on a terminal", () => {
  it("never lets control characters or bidi overrides reach the terminal", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const shown = preview(Buffer.from(bytes));
        expect(shown).not.toMatch(TERMINAL_UNSAFE);
        expect(shown.length).toBeLessThanOrEqual(81 + 10);
      }),
    );
    expect(preview(Buffer.from("a\u001b[2Jb\u202e"))).toBe(
      "a\\u{1b}[2Jb\\u{202e}",
    );
  });
});
