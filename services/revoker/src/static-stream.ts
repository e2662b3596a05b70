import { STATIC_STREAM_ID, type RevokerConfig } from "./config.js";
import { OPERATOR_OWNER } from "./core/receivers.js";
import { DeliveryMethod, type StreamRecord } from "./core/stream.js";

/**
 * A push stream an operator configures (REVOKER_PUSH_URL, the all-in-one's WARDEN_PUSH_URL
 * or its demo receiver) with no receiver API call, owned by `operator`. Its status and
 * subjects survive restarts; its delivery follows config.
 */
export function staticStream(
  push: NonNullable<RevokerConfig["staticPush"]>,
  issuer: string,
  existing: StreamRecord | undefined,
  nowIso: string,
  streamId: string = STATIC_STREAM_ID,
): StreamRecord {
  return {
    stream_id: streamId,
    owner: OPERATOR_OWNER,
    tenant: push.tenant,
    iss: issuer,
    aud: push.audience,
    events_requested: push.events,
    delivery: {
      method: DeliveryMethod.push,
      endpoint_url: push.url,
      ...(push.authorization
        ? { authorization_header: push.authorization }
        : {}),
    },
    description: "configured by the operator",
    subject_format: push.subjectFormat,
    status: existing?.status ?? "enabled",
    subjects_added: existing?.subjects_added ?? [],
    subjects_removed: existing?.subjects_removed ?? [],
    created_at: existing?.created_at ?? nowIso,
    updated_at: nowIso,
  };
}
