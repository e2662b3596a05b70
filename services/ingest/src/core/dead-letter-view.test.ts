import { describe, expect, it } from "vitest";
import {
  countByReason,
  deadLetterJson,
  selectDeadLetters,
  toDeadLetter,
} from "./dead-letter-view.js";

const letter = (offset: string, reason: string, value = "{}") =>
  toDeadLetter({
    offset,
    key: null,
    value: Buffer.from(value),
    headers: {
      "warden-reason": reason,
      "warden-detail": "/x is wrong",
      "warden-source-topic": "agent.audit.v1",
      "warden-source-partition": "2",
      "warden-source-offset": "41",
      "warden-received-at": "2026-11-23T10:00:00.000Z",
      "warden-gateway": "edge-1",
    },
  });

describe("dead letters", () => {
  it("reads the headers ingest writes", () => {
    expect(letter("7", "invalid_json")).toMatchObject({
      reason: "invalid_json",
      source: "agent.audit.v1/2@41",
      gateway: "edge-1",
    });
  });

  it("selects by reason and offset, and counts by reason", () => {
    const letters = [letter("1", "a"), letter("2", "b"), letter("3", "a")];
    expect(
      selectDeadLetters(letters, { reason: "a" }).map((l) => l.offset),
    ).toEqual(["1", "3"]);
    expect(
      selectDeadLetters(letters, { reason: "a", offsets: ["3"] }).map(
        (l) => l.offset,
      ),
    ).toEqual(["3"]);
    expect(countByReason(letters)).toEqual({ a: 2, b: 1 });
  });

  it("keeps the exact bytes in JSON output", () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    const json = deadLetterJson({
      ...letter("1", "invalid_json"),
      value: bytes,
    });
    expect(Buffer.from(String(json["value_base64"]), "base64")).toEqual(bytes);
  });
});
