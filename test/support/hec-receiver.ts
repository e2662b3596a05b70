import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import chain from "stream-chain";
import { parser } from "stream-json";
import streamValues from "stream-json/streamers/stream-values.js";

/**
 * A local stand-in for Splunk's HTTP Event Collector that checks what HEC checks of a request
 * to `/services/collector/event`: POST, `Authorization: Splunk <token>`, a body of one or more
 * JSON event objects concatenated (JSON streaming, parsed here by stream-json), each with an
 * `event`, and `time` in epoch seconds when present. It answers as HEC does (`{"text","code"}`),
 * and refuses the first `busyFirst` requests with 503 code 9 (server busy) to make senders retry.
 */
export interface HecReceiver {
  readonly url: string;
  readonly events: Record<string, unknown>[];
  readonly refusals: string[];
  requests: number;
  close(): Promise<void>;
}

async function parseEvents(body: string): Promise<unknown[]> {
  const values: unknown[] = [];
  const stream = chain([
    Readable.from([body]),
    parser({ jsonStreaming: true }),
    streamValues(),
  ]) as AsyncIterable<{ value: unknown }>;
  for await (const { value } of stream) values.push(value);
  return values;
}

export async function startHecReceiver(
  token: string,
  busyFirst = 0,
): Promise<HecReceiver> {
  const receiver: Omit<HecReceiver, "url" | "close"> = {
    events: [],
    refusals: [],
    requests: 0,
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      receiver.requests++;
      const answer = (status: number, code: number, text: string) => {
        if (status !== 200) receiver.refusals.push(text);
        response
          .writeHead(status, { "content-type": "application/json" })
          .end(JSON.stringify({ text, code }));
      };
      if (
        request.method !== "POST" ||
        request.url !== "/services/collector/event"
      )
        return answer(404, 404, "Not Found");
      if (request.headers.authorization !== `Splunk ${token}`)
        return answer(401, 2, "Token is required");
      if (receiver.requests <= busyFirst)
        return answer(503, 9, "Server is busy");
      parseEvents(Buffer.concat(chunks).toString("utf8")).then(
        (values) => {
          if (values.length === 0) return answer(400, 5, "No data");
          for (const value of values) {
            const event = value as { event?: unknown; time?: unknown };
            if (
              typeof event !== "object" ||
              event === null ||
              event.event === undefined
            )
              return answer(400, 12, "Event field is required");
            if (
              event.time !== undefined &&
              (typeof event.time !== "number" || event.time > 1e11)
            )
              return answer(400, 7, "Invalid time");
          }
          receiver.events.push(...(values as Record<string, unknown>[]));
          return answer(200, 0, "Success");
        },
        () => answer(400, 6, "Invalid data format"),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
