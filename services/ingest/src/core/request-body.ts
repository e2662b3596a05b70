/**
 * Splits an HTTP ingest body into one message per event: NDJSON lines as sent (exact
 * bytes, CR of CRLF dropped, blank lines skipped), or the elements of a JSON array
 * re-serialised (an array has no per-element bytes to keep).
 */
export type SplitBody =
  | { readonly ok: true; readonly messages: Buffer[] }
  | { readonly ok: false; readonly detail: string };

function splitLines(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    let line = body.subarray(start, end);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.some((byte) => byte !== 0x20 && byte !== 0x09))
      messages.push(line);
    start = end + 1;
  }
  return messages;
}

export function splitRequestBody(body: Buffer, contentType: string): SplitBody {
  const firstByte = body.find(
    (byte) => ![0x20, 0x09, 0x0a, 0x0d].includes(byte),
  );
  if (!contentType.startsWith("application/json") || firstByte !== 0x5b)
    return { ok: true, messages: splitLines(body) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return {
      ok: false,
      detail: `body is not a JSON array: ${error instanceof Error ? error.message : "unparseable"}`,
    };
  }
  if (!Array.isArray(parsed))
    return { ok: false, detail: "body is not a JSON array" };
  return {
    ok: true,
    messages: parsed.map((element) =>
      Buffer.from(JSON.stringify(element) ?? "null", "utf8"),
    ),
  };
}
