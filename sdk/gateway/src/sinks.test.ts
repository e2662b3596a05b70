import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryError } from "./errors.js";
import { createHttpSink } from "./sinks.js";

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

// Issue 16 (low): the HTTP sink followed redirects, re-posting events (and the token) elsewhere.
describe("HTTP sink", () => {
  const elsewhere: string[] = [];
  const target = createServer((request, response) => {
    elsewhere.push(request.headers.authorization ?? "");
    request.resume();
    request.on("end", () => response.end('{"accepted":1,"rejected":0}'));
  });
  let targetUrl = "";
  const redirecting = createServer((request, response) => {
    request.resume();
    request.on("end", () =>
      response.writeHead(307, { location: `${targetUrl}/v1/events` }).end(),
    );
  });
  let redirectingUrl = "";
  beforeAll(async () => {
    targetUrl = await listen(target);
    redirectingUrl = await listen(redirecting);
  });
  afterAll(() => {
    target.close();
    redirecting.close();
  });

  it("does not follow a redirect: the batch fails, retriably, and nothing reaches the other server", async () => {
    const sink = createHttpSink({
      url: `${redirectingUrl}/v1/events`,
      token: "gw-secret",
    });
    const error = await sink
      .send(
        [{ key: "a", value: Buffer.from("{}") }],
        new AbortController().signal,
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retriable).toBe(true);
    expect((error as DeliveryError).message).toMatch(/307 .*not followed/);
    expect(elsewhere).toEqual([]);
  });
});
