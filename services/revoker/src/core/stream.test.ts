import { describe, expect, it } from "vitest";
import { EventType } from "./event-types.js";
import {
  DeliveryMethod,
  addSubject,
  changeStream,
  createStream,
  eventsDelivered,
  readStatusUpdate,
  readSubjectRequest,
  removeSubject,
  statusReason,
  streamConfiguration,
  streamCoversAgent,
  verificationRefusal,
  type StreamContext,
  type StreamRecord,
} from "./stream.js";

const context: StreamContext = {
  issuer: "https://warden.example",
  audience: "https://idp.example",
  owner: "idp",
  tenant: "acme",
  minVerificationIntervalSeconds: 30,
  nowIso: "2026-11-23T10:00:00.000Z",
  pollUrl: (id) => `https://warden.example/ssf/poll/${id}`,
};
const issuer = (tenant: string) => `https://warden.example/tenants/${tenant}`;
const pushBody = {
  delivery: {
    method: DeliveryMethod.push,
    endpoint_url: "https://idp.example/events",
    authorization_header: "Bearer push-secret",
  },
  events_requested: [
    EventType.sessionRevoked,
    "urn:example:unknown",
    EventType.sessionRevoked,
  ],
  description: "idp stream",
};

function created(body: unknown = pushBody): StreamRecord {
  const result = createStream(body, "s1", context);
  if (!result.ok) throw new Error(result.description);
  return result.value;
}

describe("createStream", () => {
  it("fills the transmitter-supplied fields and delivers only supported requested events", () => {
    const record = created();
    expect(record).toMatchObject({
      stream_id: "s1",
      owner: "idp",
      iss: "https://warden.example",
      aud: "https://idp.example",
      status: "enabled",
      tenant: "acme",
      subject_format: "auto",
      events_requested: [EventType.sessionRevoked, "urn:example:unknown"],
    });
    const configuration = streamConfiguration(record, 30);
    expect(configuration["events_delivered"]).toEqual([
      EventType.sessionRevoked,
    ]);
    expect(configuration["delivery"]).toEqual({
      method: DeliveryMethod.push,
      endpoint_url: "https://idp.example/events",
    });
    expect(JSON.stringify(configuration)).not.toContain("push-secret");
    expect(configuration["min_verification_interval"]).toBe(30);
  });

  it("defaults to poll with a transmitter-supplied endpoint", () => {
    expect(created({}).delivery).toEqual({
      method: DeliveryMethod.poll,
      endpoint_url: "https://warden.example/ssf/poll/s1",
    });
  });

  it.each([
    [[], "JSON object"],
    [{ delivery: { method: "urn:other" } }, "delivery.method"],
    [{ delivery: { method: DeliveryMethod.push } }, "endpoint_url"],
    [{ events_requested: "x" }, "events_requested"],
    [{ aud: "https://someone-else" }, "aud is set by the transmitter"],
    [{ subject_format: "email" }, "subject_format"],
    [{ compatibility: "azure" }, "compatibility"],
  ])("refuses %j (%s)", (body, message) => {
    const result = createStream(body, "s1", context);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.err).toBe("invalid_request");
      expect(result.description).toContain(message);
    }
  });
});

describe("changeStream", () => {
  it("PATCH changes only what the body names; PUT replaces every receiver field", () => {
    const record = created();
    const patched = changeStream(
      record,
      { description: "renamed" },
      context,
      true,
    );
    expect(patched.ok && patched.value.events_requested).toEqual(
      record.events_requested,
    );
    expect(patched.ok && patched.value.description).toBe("renamed");
    const replaced = changeStream(
      record,
      {
        delivery: { method: DeliveryMethod.poll },
        events_requested: [EventType.accountDisabled],
      },
      context,
      false,
    );
    expect(replaced.ok && replaced.value).toMatchObject({
      delivery: { method: DeliveryMethod.poll },
      events_requested: [EventType.accountDisabled],
      stream_id: "s1",
      aud: "https://idp.example",
    });
    expect(replaced.ok && replaced.value.description).toBeUndefined();
    expect(changeStream(record, { aud: "x" }, context, true).ok).toBe(false);
    expect(
      changeStream(record, { aud: "https://idp.example" }, context, true).ok,
    ).toBe(true);
  });
});

describe("transmitter-supplied fields (SSF 1.0 §8.1.1.3, §8.1.1.4)", () => {
  const record = created();
  const read = streamConfiguration(record, 30);
  it("accepts an echo of the configuration as read, in any order", () => {
    for (const partial of [true, false])
      expect(changeStream(record, { ...read }, context, partial).ok).toBe(true);
    expect(
      changeStream(
        record,
        {
          events_supported: [
            ...(read["events_supported"] as string[]),
          ].reverse(),
        },
        context,
        true,
      ).ok,
    ).toBe(true);
  });
  it("accepts events_delivered as it will be after the change", () => {
    expect(
      changeStream(
        record,
        {
          events_requested: [EventType.accountDisabled],
          events_delivered: [EventType.accountDisabled],
        },
        context,
        true,
      ).ok,
    ).toBe(true);
  });
  it.each([
    ["events_delivered", [EventType.accountEnabled]],
    ["events_supported", [EventType.sessionRevoked]],
    ["min_verification_interval", 5],
    ["inactivity_timeout", 60],
    ["delivery", { method: DeliveryMethod.poll, endpoint_url: "https://x" }],
  ])("refuses a wrong %s in PATCH and PUT", (field, value) => {
    for (const partial of [true, false]) {
      const changed = changeStream(
        record,
        { ...(partial ? {} : { delivery: pushBody.delivery }), [field]: value },
        context,
        partial,
      );
      expect(changed.ok).toBe(false);
      if (!changed.ok) expect(changed.description).toContain(field);
    }
    expect(createStream({ [field]: value }, "s2", context).ok).toBe(false);
  });
  it("refuses a stream_id on create", () => {
    expect(createStream({ stream_id: "mine" }, "s2", context).ok).toBe(false);
  });
});

describe("status and subjects", () => {
  it("refuses verification unless the stream is enabled (SSF 1.0 §8.1.2)", () => {
    const record = created();
    expect(verificationRefusal(record)).toBeUndefined();
    expect(verificationRefusal({ ...record, status: "paused" })).toContain(
      "paused",
    );
    expect(verificationRefusal({ ...record, status: "disabled" })).toContain(
      "disabled",
    );
  });

  it("gives every status change a reason", () => {
    expect(statusReason("paused", "maintenance", "idp")).toBe("maintenance");
    expect(statusReason("paused", undefined, "idp")).toBe(
      "status set to paused by receiver idp",
    );
  });

  it.each([
    [{ format: "email" }, "email"],
    [{ format: "email", email: "not-an-address" }, "email"],
    [{ format: "iss_sub", iss: "https://i" }, "sub"],
    [{ format: "opaque", id: "" }, "id"],
    [{ format: "phone_number", phone_number: "12345" }, "phone_number"],
    [{ format: "account", uri: "mailto:x" }, "uri"],
    [{ format: "complex" }, "complex subject needs"],
    [{ format: "complex", user: { format: "email" } }, "complex user"],
    [{ format: "aliases", identifiers: [] }, "identifiers"],
    [{ format: "made-up", id: "x" }, "not supported"],
    [{ id: "x" }, "format"],
  ])("refuses the subject %j (RFC 9493)", (subject, message) => {
    const result = readSubjectRequest({ stream_id: "s1", subject });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.description).toContain(message);
  });

  it.each([
    { format: "email", email: "bot@acme.example" },
    { format: "iss_sub", iss: "https://i", sub: "a" },
    { format: "phone_number", phone_number: "+12065550100" },
    { format: "account", uri: "acct:bot@acme.example" },
    { format: "did", url: "did:example:123" },
    { format: "uri", uri: "https://acme.example/agents/a" },
    { format: "complex", tenant: { format: "opaque", id: "acme" } },
    {
      format: "aliases",
      identifiers: [{ format: "opaque", id: "a" }],
    },
  ])("accepts the subject %j", (subject) => {
    expect(readSubjectRequest({ stream_id: "s1", subject }).ok).toBe(true);
  });

  it("reads status updates", () => {
    expect(
      readStatusUpdate({ status: "paused", reason: "maintenance" }),
    ).toEqual({
      ok: true,
      value: { status: "paused", reason: "maintenance" },
    });
    expect(readStatusUpdate({ status: "stopped" }).ok).toBe(false);
  });

  it("follows default_subjects, with removal winning and add undoing a removal", () => {
    const agent = { tenant: "acme", agentId: "a1" };
    const subject = { format: "opaque" as const, id: "a1" };
    const record = created();
    expect(streamCoversAgent(record, agent, "ALL", issuer)).toBe(true);
    expect(streamCoversAgent(record, agent, "NONE", issuer)).toBe(false);
    const removed = removeSubject(record, subject, "t");
    expect(streamCoversAgent(removed, agent, "ALL", issuer)).toBe(false);
    const readded = addSubject(removed, subject, "t");
    expect(readded.subjects_removed).toEqual([]);
    expect(streamCoversAgent(readded, agent, "NONE", issuer)).toBe(true);
    const tenantWide = addSubject(
      record,
      { format: "complex", tenant: { format: "opaque", id: "acme" } },
      "t",
    );
    expect(streamCoversAgent(tenantWide, agent, "NONE", issuer)).toBe(true);
    expect(
      streamCoversAgent(
        tenantWide,
        { tenant: "other", agentId: "a1" },
        "NONE",
        issuer,
      ),
    ).toBe(false);
    expect(readSubjectRequest({ subject: "a1" }).ok).toBe(false);
  });

  it("never covers another tenant's agents; an all-tenant stream covers every tenant", () => {
    const record = created();
    const twin = { tenant: "globex", agentId: "a1" };
    expect(streamCoversAgent(record, twin, "ALL", issuer)).toBe(false);
    expect(
      streamCoversAgent(
        addSubject(record, { format: "opaque", id: "a1" }, "t"),
        twin,
        "NONE",
        issuer,
      ),
    ).toBe(false);
    expect(
      streamCoversAgent({ ...record, tenant: "*" }, twin, "ALL", issuer),
    ).toBe(true);
    // A stream stored before tenancy covers nothing until it learns its tenant.
    const { tenant: _none, ...legacy } = record;
    expect(streamCoversAgent(legacy, twin, "ALL", issuer)).toBe(false);
    // iss_sub names one tenant's agent only.
    const other = addSubject(
      { ...record, tenant: "*" },
      { format: "iss_sub", iss: issuer("acme"), sub: "a1" },
      "t",
    );
    expect(streamCoversAgent(other, twin, "NONE", issuer)).toBe(false);
    expect(
      streamCoversAgent(
        other,
        { tenant: "acme", agentId: "a1" },
        "NONE",
        issuer,
      ),
    ).toBe(true);
  });

  it("keeps compatibility through PATCH, drops it on PUT without it", () => {
    const okta = created({ ...pushBody, compatibility: "okta" });
    expect(streamConfiguration(okta, 30)["compatibility"]).toBe("okta");
    const patched = changeStream(okta, { description: "x" }, context, true);
    expect(patched.ok && patched.value.compatibility).toBe("okta");
    const replaced = changeStream(okta, { ...pushBody }, context, false);
    expect(replaced.ok && replaced.value.compatibility).toBeUndefined();
  });

  it("delivers nothing that was not requested", () => {
    expect(eventsDelivered({ events_requested: [] })).toEqual([]);
  });
});
