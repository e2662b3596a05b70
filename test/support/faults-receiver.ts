import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt } from "jose";

/** One SET the receiver accepted (answered 202). */
export interface AcceptedSet {
  readonly jti: string;
  /** The cause: the decision id for a detector's revoke. */
  readonly txn: string;
  /** `sub_id.sub` (iss_sub) or `.id` (opaque): the agent the SET is about. */
  readonly agentId: string;
  readonly receivedAtMs: number;
}

/**
 * An RFC 8935 push receiver on a fixed loopback port that can really go away: `down()` closes
 * the listening socket and every open connection, so pushes meet "connection refused" as they
 * would at a crashed receiver; `up()` listens on the same port again. It accepts every SET and
 * keeps each one it accepted, duplicates included, so a test can count them by jti.
 */
export interface FaultReceiver {
  readonly url: string;
  readonly accepted: readonly AcceptedSet[];
  readonly isUp: boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

function sidOf(claims: Record<string, unknown>): string {
  const subject = claims["sub_id"] as
    { id?: unknown; sub?: unknown } | undefined;
  const agent = subject?.sub ?? subject?.id;
  return typeof agent === "string" ? agent : "";
}

export async function startFaultReceiver(): Promise<FaultReceiver> {
  const accepted: AcceptedSet[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const claims = decodeJwt(body);
      accepted.push({
        jti: String(claims.jti),
        txn: typeof claims["txn"] === "string" ? claims["txn"] : "",
        agentId: sidOf(claims),
        receivedAtMs: Date.now(),
      });
      response.writeHead(202).end();
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  let up = true;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: `http://127.0.0.1:${port}/events`,
    accepted,
    get isUp() {
      return up;
    },
    async down() {
      if (!up) return;
      up = false;
      await stop();
    },
    async up() {
      if (up) return;
      await listen(port);
      up = true;
    },
    async close() {
      if (up) await stop();
      up = false;
    },
  };
}
