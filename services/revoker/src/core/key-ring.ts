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

export function planKeyRing(
  keys: readonly StoredKeyInfo[],
  nowMs: number,
  policy: { readonly rotationMs: number; readonly overlapMs: number },
): KeyRingPlan {
  const newestFirst = [...keys].sort((a, b) => b.createdAtMs - a.createdAtMs);
  const newest = newestFirst[0];
  const rotate =
    newest === undefined || nowMs - newest.createdAtMs >= policy.rotationMs;
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

/** Bits of an RSA modulus given as a base64url JWK `n` (leading zero bytes ignored). */
export function rsaModulusBits(n: string): number {
  const bytes = Buffer.from(n, "base64url");
  let index = 0;
  while (index < bytes.length && bytes[index] === 0) index += 1;
  if (index === bytes.length) return 0;
  return (bytes.length - index - 1) * 8 + (32 - Math.clz32(bytes[index] ?? 0));
}
