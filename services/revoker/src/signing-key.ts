import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from "jose";
import { WardenError } from "@warden/shared";
import {
  describeKeyRing,
  planKeyRing,
  rsaModulusBits,
} from "./core/key-ring.js";

export const SET_TYPE = "secevent+jwt";
export const SIGNING_ALGS = ["RS256", "ES256"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
/** The CAEP interoperability profile asks RSA keys of at least 2048 bits. */
export const MIN_RSA_BITS = 2048;

export interface PublicJwk extends JWK {
  readonly kid: string;
  readonly alg: string;
  readonly use: "sig";
}
export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

export interface SigningKeys {
  /** kid of the key that signs now. */
  activeKid(): string;
  /** What the JWKS endpoint serves: public keys of the active and overlapping keys. */
  publicJwks(): PublicJwks;
  /**
   * A compact JWS with header `{ alg, typ, kid }` (`typ` secevent+jwt unless told, e.g. the
   * kill switch's own type); never adds `exp`.
   */
  sign(claims: JWTPayload, typ?: string): Promise<string>;
  /** Rotates when the active key is older than the rotation interval; returns true if it did. */
  rotateIfDue(): Promise<boolean>;
}

/** One published key as `GET /admin/keys` shows it (no key material). */
export interface KeyDescription {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly created_at: string;
  readonly status: "active" | "retiring";
  /** Active: the next scheduled rotation. Retiring: when it leaves the JWKS. */
  readonly until: string;
}

/** The revoker's own keys also rotate on demand and describe themselves (admin API). */
export interface RotatingSigningKeys extends SigningKeys {
  /** A new key signs from now on; the previous one stays in the JWKS for the overlap. */
  rotateNow(): Promise<{
    readonly previousKid: string;
    readonly activeKid: string;
  }>;
  describe(): readonly KeyDescription[];
}

interface StoredKey {
  readonly created_at: string;
  readonly jwk: JWK;
}
interface LoadedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly createdAtMs: number;
  readonly stored: StoredKey;
  readonly privateKey: CryptoKey | Uint8Array;
  readonly publicJwk: PublicJwk;
}

function keyError(file: string, what: string, cause?: unknown): WardenError {
  return new WardenError(
    `the signing key file ${file} ${what} (REVOKER_SIGNING_KEY_FILE)`,
    { cause },
  );
}

async function loadKey(stored: StoredKey, file: string): Promise<LoadedKey> {
  const { jwk } = stored;
  const alg: SigningAlg = jwk.kty === "EC" ? "ES256" : "RS256";
  if (jwk.d === undefined)
    throw keyError(file, "holds a key without its private part");
  if (alg === "RS256" && rsaModulusBits(jwk.n ?? "") < MIN_RSA_BITS)
    throw keyError(file, `holds an RSA key shorter than ${MIN_RSA_BITS} bits`);
  const publicPart: JWK =
    alg === "RS256"
      ? { kty: "RSA", n: jwk.n, e: jwk.e }
      : { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
  const kid = await calculateJwkThumbprint(publicPart);
  return {
    kid,
    alg,
    createdAtMs: Date.parse(stored.created_at),
    stored,
    privateKey: await importJWK(jwk, alg),
    publicJwk: Object.freeze({ ...publicPart, kid, alg, use: "sig" as const }),
  };
}

/** Group and other permission bits: a private key file must have none (issue 16). */
const SHARED_MODE_BITS = 0o077;

async function readStored(file: string): Promise<StoredKey[]> {
  if (!existsSync(file)) return [];
  const { mode } = await stat(file);
  if ((mode & SHARED_MODE_BITS) !== 0)
    throw keyError(
      file,
      `is open to other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): its private keys may have leaked; rotate them, or chmod 600 it if they did not`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw keyError(file, "cannot be read: fix or delete it", cause);
  }
  // The walking skeleton stored one bare private JWK; keep accepting it.
  if (typeof parsed === "object" && parsed !== null && "kty" in parsed)
    return [{ created_at: new Date().toISOString(), jwk: parsed as JWK }];
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys))
    throw keyError(file, "is neither a JWK nor { keys: [...] }");
  return keys as StoredKey[];
}

async function writeStored(
  file: string,
  keys: readonly StoredKey[],
): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  // O_EXCL: never write key material through a file or symlink someone else put there; a
  // stale temporary of an earlier crash is removed once (unlink removes a link, not its target).
  const handle = await open(temporary, "wx", 0o600).catch(
    async (error: unknown) => {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      await unlink(temporary);
      return open(temporary, "wx", 0o600);
    },
  );
  try {
    await handle.writeFile(`${JSON.stringify({ keys })}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

/**
 * Opens the signing keys kept in `file` (private JWKs, mode 0600), generating the first one
 * and rotating per policy. The file is the only place key material lives; nothing logs it.
 */
export async function openSigningKeys(options: {
  readonly file: string;
  readonly alg: SigningAlg;
  readonly rotationMs: number;
  readonly overlapMs: number;
  readonly now?: () => number;
}): Promise<RotatingSigningKeys> {
  const now = options.now ?? Date.now;
  const policy = {
    rotationMs: options.rotationMs,
    overlapMs: options.overlapMs,
  };
  let loaded = await Promise.all(
    (await readStored(options.file)).map((stored) =>
      loadKey(stored, options.file),
    ),
  );
  let active: LoadedKey;
  let published: readonly PublicJwk[];

  async function apply(force = false): Promise<boolean> {
    const plan = planKeyRing(loaded, now(), policy, force);
    let changed = plan.expiredKids.length > 0;
    if (plan.rotate) {
      const pair = await generateKeyPair(options.alg, {
        modulusLength: MIN_RSA_BITS,
        extractable: true,
      });
      const stored = {
        created_at: new Date(now()).toISOString(),
        jwk: await exportJWK(pair.privateKey),
      };
      loaded = [await loadKey(stored, options.file), ...loaded];
      changed = true;
    }
    const replan = planKeyRing(loaded, now(), policy);
    loaded = loaded.filter((key) => replan.publishedKids.includes(key.kid));
    const activeKey = loaded.find((key) => key.kid === replan.activeKid);
    if (!activeKey) throw keyError(options.file, "has no usable signing key");
    active = activeKey;
    published = Object.freeze(loaded.map((key) => key.publicJwk));
    if (changed)
      await writeStored(
        options.file,
        loaded.map((key) => key.stored),
      );
    return plan.rotate;
  }
  // The hourly check and an operator's rotation must not interleave (two new keys, one lost).
  let last: Promise<unknown> = Promise.resolve();
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = last.then(task);
    last = run.catch(() => undefined);
    return run;
  }
  await apply();

  return {
    activeKid: () => active.kid,
    publicJwks: () => ({ keys: published }),
    sign: (claims, typ = SET_TYPE) => {
      const key = active;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, typ, kid: key.kid })
        .sign(key.privateKey);
    },
    rotateIfDue: () => serially(() => apply()),
    rotateNow: () =>
      serially(async () => {
        const previousKid = active.kid;
        await apply(true);
        return { previousKid, activeKid: active.kid };
      }),
    describe: () =>
      describeKeyRing(loaded, policy).map((state) => ({
        kid: state.kid,
        alg: loaded.find((key) => key.kid === state.kid)?.alg ?? options.alg,
        created_at: new Date(state.createdAtMs).toISOString(),
        status: state.status,
        until: new Date(state.untilMs).toISOString(),
      })),
  };
}
