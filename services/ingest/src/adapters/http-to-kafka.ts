import type { Producer } from "kafkajs";
import {
  AUDIT_RECORD_HEADER,
  auditRecordSignature,
  type WardenNames,
} from "@warden/shared";
import {
  acceptAuditMessage,
  messageBytes,
  type AcceptOptions,
} from "../core/accept.js";
import { chunkBySize } from "../core/chunk.js";
import { ORIGIN_HEADER, httpDeadLetterHeaders } from "../core/dead-letter.js";
import type { IngestSink, LineResult } from "./http-ingest.js";
import type { DeadLetterSink } from "./http-mapped.js";

/**
 * Cluster mode: every posted message goes to agent.audit.v1 exactly as sent (a mapped event as
 * its one serialisation; the ingest consumer is the one place that forwards or dead-letters),
 * and the 202 reports what the same checks say about each line now. Duplicates are found later, by the consumer.
 * Each record is signed for the authenticated gateway exactly as a Kafka-direct gateway
 * signs its own, so the consumer binds both the same way and trusts no bare header.
 */
export function kafkaIngestSink(options: {
  readonly producer: Producer;
  readonly names: WardenNames;
  readonly acceptOptions: () => AcceptOptions;
}): IngestSink {
  return async (messages, binding) => {
    const acceptOptions = options.acceptOptions();
    const credential =
      binding.kind === "gateway" ? binding.credential : undefined;
    const checked = messages.map((message) => ({
      bytes: messageBytes(message),
      outcome: acceptAuditMessage(message, acceptOptions, binding),
    }));
    const records = checked.map(({ bytes, outcome }) => ({
      key: outcome.ok ? outcome.event.agent.id : (credential?.gateway ?? null),
      value: bytes,
      headers: {
        [ORIGIN_HEADER.source]: "http",
        ...(credential
          ? {
              [AUDIT_RECORD_HEADER.gateway]: credential.gateway,
              [AUDIT_RECORD_HEADER.signature]: auditRecordSignature(
                credential.sha256,
                bytes,
              ),
            }
          : {}),
      },
    }));
    for (const chunk of chunkBySize(records))
      await options.producer.send({
        topic: options.names.topics.audit,
        acks: -1,
        messages: chunk,
      });
    return checked.map(({ outcome }, index): LineResult =>
      outcome.ok
        ? { line: index + 1, status: "accepted" }
        : {
            line: index + 1,
            status: "rejected",
            reason: outcome.reason,
            detail: outcome.detail,
          },
    );
  };
}

/**
 * Cluster mode: records no mapper could turn into an audit event go straight to
 * agent.audit.dlq (they are not audit events, so the consumer has nothing to check), with the
 * reason, the detail naming the field, the format and the gateway.
 */
export function kafkaDeadLetterSink(options: {
  readonly producer: Producer;
  readonly names: WardenNames;
}): DeadLetterSink {
  return async (letters, binding) => {
    if (letters.length === 0) return;
    const receivedAt = new Date();
    const gateway =
      binding.kind === "gateway" ? binding.credential.gateway : undefined;
    const records = letters.map((letter) => ({
      key: gateway ?? null,
      value: letter.raw,
      headers: httpDeadLetterHeaders(letter, receivedAt, gateway),
    }));
    for (const chunk of chunkBySize(records))
      await options.producer.send({
        topic: options.names.topics.auditDlq,
        acks: -1,
        messages: chunk,
      });
  };
}
