import {
  chmodSync,
  lstatSync,
  mkdirSync,
  symlinkSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { openSigningKeys } from "./signing-key.js";

const day = 86_400_000;
const dirs: string[] = [];
function keyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "revoker-keys-"));
  dirs.push(dir);
  return join(dir, "nested", "keys.json");
}
afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

describe("openSigningKeys", () => {
  it("generates a 2048-bit RS256 key, persists it 0600 and signs secevent+jwt with its kid", async () => {
    const file = keyFile();
    const keys = await openSigningKeys({
      file,
      alg: "RS256",
      rotationMs: 30 * day,
      overlapMs: 7 * day,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const jwt = await keys.sign({ iss: "i", jti: "j" });
    expect(decodeProtectedHeader(jwt)).toEqual({
      alg: "RS256",
      typ: "secevent+jwt",
      kid: keys.activeKid(),
    });
    const jwks = keys.publicJwks();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty("d");
    expect(Buffer.from(jwks.keys[0]?.n ?? "", "base64url").length * 8).toBe(
      2048,
    );
    await jwtVerify(jwt, createLocalJWKSet({ keys: [...jwks.keys] }), {
      typ: "secevent+jwt",
    });
    const reopened = await openSigningKeys({
      file,
      alg: "RS256",
      rotationMs: 30 * day,
      overlapMs: 7 * day,
    });
    expect(reopened.activeKid()).toBe(keys.activeKid());
  });

  it("rotates with overlap: the old kid stays verifiable until the overlap ends", async () => {
    const file = keyFile();
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const options = {
      file,
      alg: "RS256" as const,
      rotationMs: 30 * day,
      overlapMs: 7 * day,
      now: () => clock,
    };
    const keys = await openSigningKeys(options);
    const oldKid = keys.activeKid();
    const oldJwt = await keys.sign({ jti: "old" });
    clock += 31 * day;
    expect(await keys.rotateIfDue()).toBe(true);
    expect(keys.activeKid()).not.toBe(oldKid);
    expect(keys.publicJwks().keys.map((k) => k.kid)).toEqual([
      keys.activeKid(),
      oldKid,
    ]);
    await jwtVerify(
      oldJwt,
      createLocalJWKSet({ keys: [...keys.publicJwks().keys] }),
    );
    clock += 8 * day;
    expect(await keys.rotateIfDue()).toBe(false);
    expect(keys.publicJwks().keys.map((k) => k.kid)).toEqual([
      keys.activeKid(),
    ]);
    const stored = JSON.parse(readFileSync(file, "utf8")) as {
      keys: unknown[];
    };
    expect(stored.keys).toHaveLength(1);
  });

  it("rotates on demand: a new kid signs, the old one verifies through the overlap, both persisted", async () => {
    const file = keyFile();
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const keys = await openSigningKeys({
      file,
      alg: "RS256",
      rotationMs: 30 * day,
      overlapMs: 7 * day,
      now: () => clock,
    });
    const oldKid = keys.activeKid();
    const oldJwt = await keys.sign({ jti: "before" });
    clock += 1000;
    // Two operators at once: serialised, so three keys, none lost.
    const [first, second] = await Promise.all([
      keys.rotateNow(),
      keys.rotateNow(),
    ]);
    expect(first.previousKid).toBe(oldKid);
    expect(second.previousKid).toBe(first.activeKid);
    expect(keys.activeKid()).toBe(second.activeKid);
    expect(decodeProtectedHeader(await keys.sign({})).kid).toBe(
      second.activeKid,
    );
    const jwks = createLocalJWKSet({ keys: [...keys.publicJwks().keys] });
    await jwtVerify(oldJwt, jwks);
    expect(
      keys.describe().map((key) => [key.kid, key.status, key.until]),
    ).toEqual([
      [second.activeKid, "active", "2026-01-31T00:00:01.000Z"],
      [first.activeKid, "retiring", "2026-01-08T00:00:01.000Z"],
      [oldKid, "retiring", "2026-01-08T00:00:01.000Z"],
    ]);
    const reopened = await openSigningKeys({
      file,
      alg: "RS256",
      rotationMs: 30 * day,
      overlapMs: 7 * day,
      now: () => clock,
    });
    expect(reopened.activeKid()).toBe(second.activeKid);
    expect(reopened.publicJwks().keys).toHaveLength(3);
    clock += 7 * day + 1000;
    await keys.rotateIfDue();
    expect(keys.publicJwks().keys.map((key) => key.kid)).toEqual([
      second.activeKid,
    ]);
  });

  it("offers ES256", async () => {
    const keys = await openSigningKeys({
      file: keyFile(),
      alg: "ES256",
      rotationMs: day,
      overlapMs: day,
    });
    expect(decodeProtectedHeader(await keys.sign({})).alg).toBe("ES256");
  });

  it("refuses an RSA key shorter than 2048 bits, naming the variable", async () => {
    const file = keyFile();
    // jose refuses to generate such a key, so node:crypto makes it.
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify(weak.privateKey.export({ format: "jwk" })),
      { mode: 0o600 },
    );
    await expect(
      openSigningKeys({ file, alg: "RS256", rotationMs: day, overlapMs: day }),
    ).rejects.toThrow(/2048 bits.*REVOKER_SIGNING_KEY_FILE/);
  });

  it("refuses a key file other users can read, naming the variable and the mode", async () => {
    const file = keyFile();
    await openSigningKeys({
      file,
      alg: "ES256",
      rotationMs: day,
      overlapMs: day,
    });
    chmodSync(file, 0o644);
    await expect(
      openSigningKeys({ file, alg: "ES256", rotationMs: day, overlapMs: day }),
    ).rejects.toThrow(
      /open to other users \(mode 0644\).*REVOKER_SIGNING_KEY_FILE/,
    );
  });

  it("never writes keys through a file or symlink planted at its temporary path", async () => {
    const file = keyFile();
    mkdirSync(join(file, ".."), { recursive: true });
    const bait = join(file, "..", "bait.json");
    writeFileSync(bait, "", { mode: 0o644 });
    symlinkSync(bait, `${file}.${process.pid}.tmp`);
    await openSigningKeys({
      file,
      alg: "ES256",
      rotationMs: day,
      overlapMs: day,
    });
    expect(readFileSync(bait, "utf8")).toBe("");
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
