/**
 * Text from the network (agent ids, reasons, gateway names) made safe to print: C0/C1
 * control characters (ESC starts the sequences that move the cursor, retitle the window or
 * write the clipboard), DEL, the bidirectional overrides and isolates (which reorder what is
 * shown) and U+FFFD (bytes that were not UTF-8) are written `\u{…}`, so what the terminal
 * shows is what the data holds (issue 16).
 */
export function printable(text: string): string {
  let shown = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const unsafe =
      code < 0x20 ||
      (code >= 0x7f && code < 0xa0) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069) ||
      code === 0xfffd;
    shown += unsafe ? `\\u{${code.toString(16)}}` : char;
  }
  return shown;
}
