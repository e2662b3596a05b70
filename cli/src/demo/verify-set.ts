import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

/**
 * What a careful SSF push receiver checks before it acts on a SET (RFC 8417, RFC 8935,
 * SSF 1.0 §4): the signature against the transmitter's published keys, `typ`
 * `secevent+jwt`, the expected `iss` and `aud`, a `jti`, exactly one event and no `sub`/`exp`
 * (which would let the token pass for an ID or access token). Refusals carry RFC 8935 §2.3
 * `err` codes, which the transmitter reads to decide whether to retry. Throws only when the
 * keys cannot be had (JWKS unreachable), which is the receiver's trouble, not the SET's.
 */
export interface VerifiedSet {
  readonly jti: string;
  readonly eventType: string;
  /** The `sub_id` as short text: the agent of an opaque, iss_sub or email subject, else its JSON. */
  readonly subject: string;
  readonly txn: string | undefined;
  readonly issuedAtSeconds: number;
}

export type SetVerification =
  | { readonly ok: true; readonly set: VerifiedSet }
  | {
      readonly ok: false;
      readonly err:
        | "invalid_request"
        | "invalid_key"
        | "invalid_issuer"
        | "invalid_audience";
      readonly description: string;
    };

export interface SetExpectations {
  readonly issuer: string;
  readonly audience: string;
}

const SET_TYPE = "secevent+jwt";
const ALGORITHMS = ["RS256", "ES256"];

export async function verifySet(
  token: string,
  keys: JWTVerifyGetKey,
  expected: SetExpectations,
): Promise<SetVerification> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: expected.issuer,
      audience: expected.audience,
      typ: SET_TYPE,
      algorithms: ALGORITHMS,
    }));
  } catch (error) {
    if (!isSetProblem(error)) throw error;
    return refusal(error);
  }
  const events = payload["events"];
  const eventTypes =
    typeof events === "object" && events !== null ? Object.keys(events) : [];
  if (typeof payload.jti !== "string" || payload.jti === "")
    return invalid("the SET has no jti");
  if (eventTypes.length !== 1)
    return invalid(`a SET carries exactly one event, not ${eventTypes.length}`);
  if (payload.sub !== undefined || payload.exp !== undefined)
    return invalid("a SET must not carry sub or exp");
  if (typeof payload.iat !== "number") return invalid("the SET has no iat");
  const txn = payload["txn"];
  return {
    ok: true,
    set: {
      jti: payload.jti,
      eventType: eventTypes[0] ?? "",
      subject: describeSubject(payload["sub_id"]),
      txn: typeof txn === "string" ? txn : undefined,
      issuedAtSeconds: payload.iat,
    },
  };
}

function invalid(description: string): SetVerification {
  return { ok: false, err: "invalid_request", description };
}

/**
 * Whether jose refused the token itself. Otherwise the keys could not be had — the JWKS
 * request failed (network errors are not jose's; a non-200 answer is jose's generic error) or
 * timed out — which is no fault of the SET, so the caller answers "try again".
 */
function isSetProblem(error: unknown): error is errors.JOSEError {
  return (
    error instanceof errors.JOSEError &&
    error.code !== "ERR_JOSE_GENERIC" &&
    !(error instanceof errors.JWKSTimeout)
  );
}

function refusal(error: errors.JOSEError): SetVerification {
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss")
      return { ok: false, err: "invalid_issuer", description: error.message };
    if (error.claim === "aud")
      return { ok: false, err: "invalid_audience", description: error.message };
    return invalid(error.message);
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  )
    return {
      ok: false,
      err: "invalid_key",
      description: "the signature does not verify with the transmitter's keys",
    };
  return invalid(error.message);
}

function describeSubject(subject: unknown): string {
  if (typeof subject !== "object" || subject === null) return "(no sub_id)";
  const { id, sub, email } = subject as {
    id?: unknown;
    sub?: unknown;
    email?: unknown;
  };
  for (const name of [id, sub, email])
    if (typeof name === "string") return name;
  return JSON.stringify(subject);
}
