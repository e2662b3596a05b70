import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAddress, checkReceiverUrl } from "./url-guard.js";

const strict = { allowHttp: false, allowedCidrs: [] };

describe("checkReceiverUrl", () => {
  it.each([
    ["https://receiver.example/events", true],
    ["http://receiver.example/events", false],
    ["ftp://receiver.example", false],
    ["https://user:pw@receiver.example", false],
    ["https://127.0.0.1/events", false],
    ["https://[::1]/events", false],
    ["https://10.1.2.3/", false],
    ["https://169.254.169.254/latest/meta-data", false],
    ["https://[::ffff:127.0.0.1]/", false],
    ["https://0.0.0.0/", false],
    ["https://93.184.216.34/", true],
    ["not a url", false],
  ])("%s → %s", (url, ok) => {
    expect(checkReceiverUrl(url, strict).ok).toBe(ok);
  });

  it("allows http and allow-listed ranges only when configured", () => {
    const relaxed = { allowHttp: true, allowedCidrs: ["127.0.0.0/8"] };
    expect(checkReceiverUrl("http://127.0.0.1:8080/e", relaxed).ok).toBe(true);
    expect(checkReceiverUrl("http://10.0.0.1/e", relaxed).ok).toBe(false);
  });
});

describe("checkAddress", () => {
  it("refuses every private IPv4 address", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (b, c) => {
          for (const address of [
            `10.${b}.${c}.1`,
            `192.168.${c}.${b}`,
            `127.${b}.${c}.9`,
          ])
            expect(checkAddress(address, strict).ok).toBe(false);
        },
      ),
    );
  });
  it("refuses IPv4-compatible IPv6 (::a.b.c.d), in a URL too", () => {
    for (const address of [
      "::127.0.0.1",
      "::7f00:1",
      "::169.254.169.254",
      "::10.0.0.1",
    ])
      expect(checkAddress(address, strict).ok).toBe(false);
    expect(checkReceiverUrl("https://[::127.0.0.1]/events", strict).ok).toBe(
      false,
    );
    expect(checkReceiverUrl("https://[::169.254.169.254]/", strict).ok).toBe(
      false,
    );
    expect(
      checkAddress("2001:db8::1", {
        ...strict,
        allowedCidrs: ["2001:db8::/32"],
      }).ok,
    ).toBe(true);
  });
  it("names the range it refused", () => {
    expect(checkAddress("fd00::1", strict)).toEqual({
      ok: false,
      reason: "fd00::1 is in the uniqueLocal range (not allow-listed)",
    });
  });
});
