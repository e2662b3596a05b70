/**
 * Splits an HTTP ingest body into one message per event: NDJSON lines as sent (exact
 * bytes, CR of CRLF dropped, blank lines skipped), or the elements of a JSON array
 * re-serialised (an array has no per-element bytes to keep).
 */
export type SplitBody =
  | { readonly ok: true; readonly messages: Buffer[] }
  | {
      readonly ok: false;
      /** More messages than the per-request cap (issue 16: 1.3 M `{}` lines fit in 16 MiB). */
      readonly tooMany: boolean;
      readonly detail: string;
    };

const tooMany = (maxMessages: number): SplitBody => ({
  ok: false,
  tooMany: true,
  detail: `more than ${maxMessages} messages in one request; split it`,
});

function splitLines(body: Buffer, maxMessages: number): Buffer[] | undefined {
  const messages: Buffer[] = [];
  let start = 0;
  while (start <= body.length) {
    if (messages.length > maxMessages) return undefined;
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    let line = body.subarray(start, end);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.some((byte) => byte !== 0x20 && byte !== 0x09))
      messages.push(line);
    start = end + 1;
  }
  return messages.length > maxMessages ? undefined : messages;
}

/**
 * Top-level elements of a JSON array, counted without parsing (strings and nesting
 * tracked byte by byte), so an array of a million `{}` is refused before JSON.parse
 * builds a million objects. Malformed input is left to JSON.parse to describe.
 */
function countArrayElements(body: Buffer): number {
  let depth = 0;
  let inString = false;
  let elements = 0;
  let empty = true;
  for (let index = 0; index < body.length; index += 1) {
    const byte = body[index] as number;
    if (inString) {
      if (byte === 0x5c) index += 1;
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) depth += 1;
    else if (byte === 0x5d || byte === 0x7d) depth -= 1;
    else if (byte === 0x2c && depth === 1) elements += 1;
    if (depth >= 1 && byte > 0x20 && !(depth === 1 && byte === 0x5b))
      empty = false;
  }
  return empty ? 0 : elements + 1;
}

export function splitRequestBody(
  body: Buffer,
  contentType: string,
  maxMessages: number = Number.MAX_SAFE_INTEGER,
): SplitBody {
  const firstByte = body.find(
    (byte) => ![0x20, 0x09, 0x0a, 0x0d].includes(byte),
  );
  if (!contentType.startsWith("application/json") || firstByte !== 0x5b) {
    const messages = splitLines(body, maxMessages);
    return messages ? { ok: true, messages } : tooMany(maxMessages);
  }
  if (countArrayElements(body) > maxMessages) return tooMany(maxMessages);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return {
      ok: false,
      tooMany: false,
      detail: `body is not a JSON array: ${error instanceof Error ? error.message : "unparseable"}`,
    };
  }
  if (!Array.isArray(parsed))
    return { ok: false, tooMany: false, detail: "body is not a JSON array" };
  return {
    ok: true,
    messages: parsed.map((element) =>
      Buffer.from(JSON.stringify(element) ?? "null", "utf8"),
    ),
  };
}
