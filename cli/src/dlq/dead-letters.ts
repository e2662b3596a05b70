import { printable } from "../terminal-text.js";
import type { DeadLetter } from "@warden/ingest";

/**
 * The start of the original bytes, safe to print on a terminal: control characters,
 * invalid UTF-8 and bidi overrides are escaped, so a hostile payload cannot rewrite the
 * operator's screen.
 */
export function preview(bytes: Buffer, maxChars = 80): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(
    bytes.subarray(0, maxChars * 4),
  );
  const chars = Array.from(text);
  const shown = chars.slice(0, maxChars).join("");
  return `${printable(shown)}${chars.length > maxChars ? "…" : ""}`;
}

/** One line per dead letter, for people. */
export function formatDeadLetter(letter: DeadLetter): string {
  const gateway = letter.gateway ? ` gateway=${printable(letter.gateway)}` : "";
  return `${letter.offset}\t${printable(letter.receivedAt)}\t${printable(letter.reason)}\t${printable(letter.source)}${gateway}\t${preview(Buffer.from(letter.detail))}\t${preview(letter.value)}`;
}
