import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiAnswerError,
  ExitCode,
  UsageError,
  apiRequest,
  exitCodeOf,
  readApiConnection,
} from "./api-client.js";

const variables = {
  urlVariable: "TEST_URL",
  defaultUrl: "http://127.0.0.1:1",
  urlMeaning: "where the API is",
  tokenVariable: "TEST_TOKEN",
  tokenMeaning: "the API's token",
};

describe("readApiConnection", () => {
  it("trims the URL's trailing slashes and keeps the token", () => {
    expect(
      readApiConnection(
        { TEST_URL: "https://warden.example/api//", TEST_TOKEN: "t0k3n" },
        variables,
      ),
    ).toEqual({ url: "https://warden.example/api", token: "t0k3n" });
  });

  it("names a missing token as a usage error", () => {
    expect(() => readApiConnection({}, variables)).toThrow(UsageError);
    expect(() => readApiConnection({}, variables)).toThrow(/TEST_TOKEN/u);
  });

  it("never shows a malformed token", () => {
    const secret = "s3cret with space";
    const attempt = () => readApiConnection({ TEST_TOKEN: secret }, variables);
    expect(attempt).toThrow(/TEST_TOKEN/u);
    expect(attempt).not.toThrow(/s3cret/u);
  });

  it("refuses a URL that is not http(s)", () => {
    expect(() =>
      readApiConnection(
        { TEST_URL: "file:///etc/passwd", TEST_TOKEN: "t" },
        variables,
      ),
    ).toThrow(/TEST_URL/u);
  });
});

describe("exitCodeOf", () => {
  it.each([
    [404, ExitCode.notFound],
    [401, ExitCode.notAuthorised],
    [403, ExitCode.notAuthorised],
    [409, ExitCode.failed],
    [503, ExitCode.failed],
  ])("maps an answer of %i to exit code %i", (status, code) => {
    expect(exitCodeOf(new ApiAnswerError(status, undefined, "x"))).toBe(code);
  });

  it("gives 2 for usage errors and 1 for anything else", () => {
    expect(exitCodeOf(new UsageError("typo"))).toBe(ExitCode.usage);
    expect(exitCodeOf(new Error("boom"))).toBe(ExitCode.failed);
  });
});

describe("apiRequest", () => {
  let server: Server;
  let url: string;
  const seen: { authorization?: string; path?: string }[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({
        authorization: request.headers.authorization,
        path: request.url,
      });
      if (request.url?.startsWith("/missing")) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ err: "not_found", description: "no such stream" }),
        );
        return;
      }
      if (request.url?.startsWith("/moved")) {
        response.writeHead(302, { location: "http://elsewhere.example/" });
        response.end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve),
    );
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("sends the bearer token and the query, and parses the answer", async () => {
    const answer = await apiRequest(
      { url, token: "abc" },
      {
        service: "test API",
        method: "GET",
        path: "/things",
        query: { limit: 5, skip: undefined },
      },
    );
    expect(answer).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({
      authorization: "Bearer abc",
      path: "/things?limit=5",
    });
  });

  it("turns an error answer into an ApiAnswerError with its code and exit code", async () => {
    const failure = await apiRequest(
      { url, token: "abc" },
      { service: "test API", method: "DELETE", path: "/missing" },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiAnswerError);
    expect(failure).toMatchObject({
      status: 404,
      code: "not_found",
      exitCode: ExitCode.notFound,
      message:
        "the test API answered 404 to DELETE /missing (not_found: no such stream)",
    });
  });

  it("follows no redirect and sends the token to no other origin", async () => {
    await expect(
      apiRequest(
        { url, token: "abc" },
        { service: "test API", method: "GET", path: "/moved" },
      ),
    ).rejects.toThrow(/cannot reach the test API/u);
    await expect(
      apiRequest(
        { url, token: "abc" },
        {
          service: "test API",
          method: "GET",
          path: "http://elsewhere.example/steal",
        },
      ),
    ).rejects.toThrow(/refusing to send the test API token/u);
  });

  it("says what to check when the service is down", async () => {
    await expect(
      apiRequest(
        { url: "http://127.0.0.1:1", token: "abc" },
        {
          service: "test API",
          method: "GET",
          path: "/",
          unreachableHint: "is it running?",
        },
      ),
    ).rejects.toThrow(/cannot reach the test API at .*; is it running\?/u);
  });
});
