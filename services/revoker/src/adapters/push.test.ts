import { describe, expect, it } from "vitest";
import { PERMANENT_PUSH_ERRORS, classify, pushSet } from "./push.js";

const strict = {
  urlPolicy: { allowHttp: false, allowedCidrs: [] },
  timeoutMs: 1000,
  maxResponseBytes: 1024,
};

describe("classify (RFC 8935 answers)", () => {
  it("accepts only 202", () => {
    expect(classify(202, "")).toBeUndefined();
    expect(classify(200, "")?.retriable).toBe(false);
  });
  it.each(PERMANENT_PUSH_ERRORS)(
    "treats 400 %s as permanent, keeping err",
    (err) => {
      const error = classify(400, JSON.stringify({ err, description: "no" }));
      expect(error?.retriable).toBe(false);
      expect(error?.err).toBe(err);
      expect(error?.outcome).toBe(`400 ${err}`);
    },
  );
  it.each([500, 502, 503, 429, 408])("treats %i as retriable", (status) => {
    expect(classify(status, "")?.retriable).toBe(true);
  });
  it("never follows a redirect", () => {
    expect(classify(307, "")).toMatchObject({ retriable: false, status: 307 });
  });
});

describe("pushSet refuses before connecting", () => {
  it.each([
    "http://receiver.example/events",
    "https://127.0.0.1/events",
    "https://[::1]/",
    "https://169.254.169.254/",
  ])("%s", async (url) => {
    await expect(
      pushSet({ url, authorization: undefined }, "a.b.c", strict),
    ).rejects.toMatchObject({
      retriable: false,
    });
  });
  it("refuses a name that resolves to loopback", async () => {
    await expect(
      pushSet(
        { url: "https://localhost:1/events", authorization: undefined },
        "a.b.c",
        strict,
      ),
    ).rejects.toMatchObject({
      retriable: false,
      message: expect.stringContaining("push to") as unknown,
    });
  });
});
