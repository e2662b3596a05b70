import { afterEach, describe, expect, it, vi } from "vitest";
import { PushError, pushSet } from "./push.js";

const target = {
  url: "https://receiver.example/events",
  authorization: "Bearer secret",
};

function answer(status: number, body = ""): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(() => Promise.resolve(new Response(body || null, { status }))),
  );
}

async function failure(): Promise<PushError> {
  const error: unknown = await pushSet(target, "a.b.c").catch(
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PushError);
  return error as PushError;
}

describe("pushSet", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("posts the SET as application/secevent+jwt with the authorization and resolves on 202", async () => {
    answer(202);
    await pushSet(target, "a.b.c");
    const fetchMock = vi.mocked(fetch);
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe(target.url);
    expect(init?.method).toBe("POST");
    expect(init?.body).toBe("a.b.c");
    expect(init?.headers).toEqual({
      "content-type": "application/secevent+jwt",
      accept: "application/json",
      authorization: "Bearer secret",
    });
  });

  it("sends no authorization header when none is configured", async () => {
    answer(202);
    await pushSet({ url: target.url, authorization: undefined }, "a.b.c");
    const init = vi.mocked(fetch).mock.calls[0]?.[1];
    expect(init?.headers).not.toHaveProperty("authorization");
  });

  it.each([
    "invalid_request",
    "invalid_key",
    "invalid_issuer",
    "invalid_audience",
    "authentication_failed",
    "access_denied",
  ])("treats 400 %s as permanent", async (err) => {
    answer(400, JSON.stringify({ err, description: "no" }));
    const error = await failure();
    expect(error.retriable).toBe(false);
    expect(error.err).toBe(err);
    expect(error.status).toBe(400);
  });

  it.each([500, 502, 503])("treats %i as retriable", async (status) => {
    answer(status);
    expect((await failure()).retriable).toBe(true);
  });

  it("treats a network error as retriable", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() => Promise.reject(new TypeError("fetch failed"))),
    );
    expect((await failure()).retriable).toBe(true);
  });
});
