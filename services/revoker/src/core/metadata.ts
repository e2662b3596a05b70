import { DeliveryMethod, type DefaultSubjects } from "./stream.js";

/** Paths of the transmitter API, relative to the issuer's origin. */
export const SsfPath = {
  jwks: "/jwks.json",
  streams: "/ssf/streams",
  status: "/ssf/status",
  addSubject: "/ssf/subjects/add",
  removeSubject: "/ssf/subjects/remove",
  verify: "/ssf/verify",
  poll: "/ssf/poll",
} as const;

/**
 * Where the metadata is served: `/.well-known/ssf-configuration` inserted between the host
 * and the issuer's path (SSF 1.0 §7.2), so `https://h/x` → `/.well-known/ssf-configuration/x`.
 */
export function metadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, "");
  return `/.well-known/ssf-configuration${path}`;
}

/** Transmitter Configuration Metadata (SSF 1.0 §7.1). */
export function transmitterMetadata(
  issuer: string,
  defaultSubjects: DefaultSubjects,
) {
  const origin = new URL(issuer).origin;
  return {
    spec_version: "1_0",
    issuer,
    jwks_uri: `${origin}${SsfPath.jwks}`,
    delivery_methods_supported: [DeliveryMethod.push, DeliveryMethod.poll],
    configuration_endpoint: `${origin}${SsfPath.streams}`,
    status_endpoint: `${origin}${SsfPath.status}`,
    add_subject_endpoint: `${origin}${SsfPath.addSubject}`,
    remove_subject_endpoint: `${origin}${SsfPath.removeSubject}`,
    verification_endpoint: `${origin}${SsfPath.verify}`,
    critical_subject_members: ["user"],
    // Bearer access tokens issued out of band (the CAEP interoperability profile's scheme).
    authorization_schemes: [{ spec_urn: "urn:ietf:rfc:6749" }],
    default_subjects: defaultSubjects,
  };
}
