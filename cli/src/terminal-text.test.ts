import { describe, expect, it } from "vitest";
import { table } from "./agents/render.js";
import { formatDeadLetter } from "./dlq/dead-letters.js";
import { printable } from "./terminal-text.js";

const HOSTILE = "bot\u001b]0;pwned\u0007\u001b[2J\u202eevil";
const raw = (text: string) =>
  ["\u001b", "\u0007", "\u202e"].some((char) => text.includes(char));

// Issue 16 (low): agent ids, reasons and gateway names reached the terminal raw in
// `warden agents`, `warden approvals` and `warden dlq`.
describe("terminal output escapes what could drive the terminal", () => {
  it("escapes control, C1 and bidi characters, keeps the rest", () => {
    expect(printable(HOSTILE)).toBe(
      "bot\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}evil",
    );
    expect(printable("café ✓ 日本")).toBe("café ✓ 日本");
  });

  it("in agents tables and dead-letter lines", () => {
    for (const line of table([["agent", HOSTILE]]))
      expect(raw(line)).toBe(false);
    const line = formatDeadLetter({
      offset: "1",
      key: null,
      receivedAt: "2026-11-23T10:00:00Z",
      reason: HOSTILE,
      detail: HOSTILE,
      source: HOSTILE,
      gateway: HOSTILE,
      value: Buffer.from(HOSTILE),
    });
    expect(raw(line)).toBe(false);
  });
});
