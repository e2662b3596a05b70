/**
 * Signing-key rotation with overlap, as a pure plan over the stored keys: a new key signs
 * from the moment it exists, and the key it replaced stays in the JWKS for `overlapMs` so
 * receivers can still verify SETs signed (or queued) just before the rotation.
 */
export interface StoredKeyInfo {
  readonly kid: string;
  readonly createdAtMs: number;
}

export interface KeyRingPlan {
  /** Generate a new key and make it the signing key. */
  readonly rotate: boolean;
  /** The signing key when `rotate` is false. */
  readonly activeKid: string | undefined;
  /** Keys still published in the JWKS (the active one included). */
  readonly publishedKids: readonly string[];
  /** Keys past their overlap: drop them from storage. */
  readonly expiredKids: readonly string[];
}

export interface KeyRingPolicy {
  readonly rotationMs: number;
  readonly overlapMs: number;
}

/** `force` rotates now whatever the key's age (an operator's `warden keys rotate`). */
export function planKeyRing(
  keys: readonly StoredKeyInfo[],
  nowMs: number,
  policy: KeyRingPolicy,
  force = false,
): KeyRingPlan {
  const newestFirst = [...keys].sort((a, b) => b.createdAtMs - a.createdAtMs);
  const newest = newestFirst[0];
  const rotate =
    force ||
    newest === undefined ||
    nowMs - newest.createdAtMs >= policy.rotationMs;
  const published: string[] = [];
  const expired: string[] = [];
  // A key retires when its successor is created (or now, if a rotation is about to happen).
  let retiredAtMs = rotate ? nowMs : Number.POSITIVE_INFINITY;
  for (const key of newestFirst) {
    if (nowMs - retiredAtMs < policy.overlapMs) published.push(key.kid);
    else expired.push(key.kid);
    retiredAtMs = key.createdAtMs;
  }
  return {
    rotate,
    activeKid: rotate ? undefined : newest?.kid,
    publishedKids: published,
    expiredKids: expired,
  };
}

export interface KeyState {
  readonly kid: string;
  readonly createdAtMs: number;
  /** `active` signs; `retiring` only verifies, until `untilMs`. */
  readonly status: "active" | "retiring";
  /** Active: when the next scheduled rotation is due. Retiring: when it leaves the JWKS. */
  readonly untilMs: number;
}

/** What `GET /admin/keys` shows: the published keys, newest (the signing key) first. */
export function describeKeyRing(
  keys: readonly StoredKeyInfo[],
  policy: KeyRingPolicy,
): KeyState[] {
  const newestFirst = [...keys].sort((a, b) => b.createdAtMs - a.createdAtMs);
  return newestFirst.map((key, index) => {
    const successor = newestFirst[index - 1];
    return successor === undefined
      ? {
          kid: key.kid,
          createdAtMs: key.createdAtMs,
          status: "active",
          untilMs: key.createdAtMs + policy.rotationMs,
        }
      : {
          kid: key.kid,
          createdAtMs: key.createdAtMs,
          status: "retiring",
          untilMs: successor.createdAtMs + policy.overlapMs,
        };
  });
}

/** Bits of an RSA modulus given as a base64url JWK `n` (leading zero bytes ignored). */
export function rsaModulusBits(n: string): number {
  const bytes = Buffer.from(n, "base64url");
  let index = 0;
  while (index < bytes.length && bytes[index] === 0) index += 1;
  if (index === bytes.length) return 0;
  return (bytes.length - index - 1) * 8 + (32 - Math.clz32(bytes[index] ?? 0));
}
