import { DEAD_LETTER_HEADER, ORIGIN_HEADER } from "./dead-letter.js";

/**
 * A dead letter as an operator reads it (`warden dlq`), from a record of agent.audit.dlq or of
 * the all-in-one's dead-letter table (the same headers, core/dead-letter.ts): why, from where,
 * when, and the original bytes, to select, count and re-submit.
 */

/** One record of agent.audit.dlq, as `warden dlq` shows it. */
export interface DeadLetter {
  readonly offset: string;
  readonly key: Buffer | null;
  /** The original bytes, exactly as the gateway sent them. */
  readonly value: Buffer;
  readonly reason: string;
  readonly detail: string;
  readonly source: string;
  readonly gateway: string | undefined;
  readonly receivedAt: string;
}

type Headers = Record<
  string,
  Buffer | string | (Buffer | string)[] | undefined
>;

function headerText(
  headers: Headers | undefined,
  name: string,
): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function toDeadLetter(message: {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Headers | undefined;
}): DeadLetter {
  const header = (name: string) => headerText(message.headers, name);
  const topic = header(DEAD_LETTER_HEADER.sourceTopic);
  return {
    offset: message.offset,
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    reason: header(DEAD_LETTER_HEADER.reason) ?? "unknown",
    detail: header(DEAD_LETTER_HEADER.detail) ?? "",
    // A record of agent.audit.v1 names its position; one rejected at an HTTP door, the door.
    source:
      topic === undefined
        ? (header(ORIGIN_HEADER.source) ?? "?")
        : `${topic}/${header(DEAD_LETTER_HEADER.sourcePartition) ?? "?"}@${header(DEAD_LETTER_HEADER.sourceOffset) ?? "?"}`,
    gateway: header(ORIGIN_HEADER.gateway),
    receivedAt: header(DEAD_LETTER_HEADER.receivedAt) ?? "",
  };
}

export interface Selection {
  readonly reason?: string | undefined;
  readonly offsets?: readonly string[] | undefined;
}

export function selectDeadLetters(
  letters: readonly DeadLetter[],
  selection: Selection,
): DeadLetter[] {
  const offsets = selection.offsets ? new Set(selection.offsets) : undefined;
  return letters.filter(
    (letter) =>
      (selection.reason === undefined || letter.reason === selection.reason) &&
      (offsets === undefined || offsets.has(letter.offset)),
  );
}

export function countByReason(
  letters: readonly DeadLetter[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const letter of letters)
    counts[letter.reason] = (counts[letter.reason] ?? 0) + 1;
  return counts;
}

/** For scripts: the bytes as base64, since they need not be UTF-8. */
export function deadLetterJson(letter: DeadLetter): Record<string, unknown> {
  return {
    offset: letter.offset,
    received_at: letter.receivedAt,
    reason: letter.reason,
    detail: letter.detail,
    source: letter.source,
    gateway: letter.gateway ?? null,
    value_base64: letter.value.toString("base64"),
  };
}
