import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt } from "jose";

/** One SET as an RFC 8935 push receiver got it. */
export interface ReceivedSet {
  readonly jwt: string;
  readonly jti: string;
  readonly eventType: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
}

/**
 * A real HTTP push receiver on loopback for tests: records every SET it accepts; `answer`
 * chooses what it says next (202 by default; 503 to play "down"; 400 with an err to refuse).
 */
export interface PushReceiver {
  readonly url: string;
  readonly accepted: ReceivedSet[];
  /** Every request, answered or not, by jti. */
  readonly attempts: string[];
  answer: { status: number; body?: string };
  close(): Promise<void>;
}

export async function startPushReceiver(
  path = "/events",
): Promise<PushReceiver> {
  const accepted: ReceivedSet[] = [];
  const attempts: string[] = [];
  const state = { answer: { status: 202 } as PushReceiver["answer"] };
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const claims = decodeJwt(body);
      const jti = String(claims.jti);
      attempts.push(jti);
      const { status, body: answer } = state.answer;
      if (status === 202)
        accepted.push({
          jwt: body,
          jti,
          eventType:
            Object.keys((claims["events"] as object | undefined) ?? {})[0] ??
            "",
          contentType: request.headers["content-type"],
          authorization: request.headers.authorization,
        });
      response
        .writeHead(status, answer ? { "content-type": "application/json" } : {})
        .end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    accepted,
    attempts,
    get answer() {
      return state.answer;
    },
    set answer(value) {
      state.answer = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
