import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Provider from "oidc-provider";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

/** Real peers of the revoker's connectors, each on loopback: not ours, started for a test. */
export interface Peer {
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const closer = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * An OpenID Provider (panva/oidc-provider) with client credentials, RFC 7009 revocation and
 * RFC 7662 introspection, and one confidential client the agent's tokens are issued to.
 */
export async function startOidcProvider(client: {
  id: string;
  secret: string;
}): Promise<
  Peer & {
    issueToken(): Promise<string>;
    isActive(token: string): Promise<boolean>;
  }
> {
  const server = createServer();
  const url = await listen(server);
  const provider = new Provider(url, {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
      },
    ],
    features: {
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
    },
  });
  server.on("request", provider.callback());
  const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`;
  const form = async (path: string, body: Record<string, string>) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: {
        authorization: basic,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(body).toString(),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  return {
    url,
    close: closer(server),
    async issueToken() {
      const answer = await form("/token", { grant_type: "client_credentials" });
      if (typeof answer["access_token"] !== "string")
        throw new Error(`no token: ${JSON.stringify(answer)}`);
      return answer["access_token"];
    },
    async isActive(token) {
      return (await form("/token/introspection", { token }))["active"] === true;
    },
  };
}

/** A SCIM 2.0 service provider built with SCIMMY (and its express routers), users in memory. */
export async function startScimServer(token: string): Promise<
  Peer & {
    users: Map<
      string,
      { id: string; userName: string; userType?: string; active: boolean }
    >;
  }
> {
  const users = new Map<
    string,
    { id: string; userName: string; userType?: string; active: boolean }
  >();
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress((resource) => {
      if (resource.id) {
        const user = users.get(resource.id);
        if (!user) throw new Error("not found");
        return user;
      }
      const all = [...users.values()];
      return resource.filter ? (resource.filter.match(all) as typeof all) : all;
    })
    .ingress((resource, data) => {
      const id = resource.id ?? `u${users.size + 1}`;
      const previous = users.get(id);
      const userType =
        (data as { userType?: string }).userType ?? previous?.userType;
      const user = {
        id,
        userName:
          (data as { userName?: string }).userName ?? previous?.userName ?? "",
        ...(userType === undefined ? {} : { userType }),
        active: (data as { active?: unknown }).active !== false,
      };
      users.set(id, user);
      return user;
    })
    .degress((resource) => {
      users.delete(resource.id ?? "");
    });
  const app = express();
  app.use(
    "/scim/v2",
    new SCIMMYRouters({
      type: "bearer",
      docUri: "https://example.invalid/auth",
      handler: (request) => {
        if (request.header("authorization") !== `Bearer ${token}`)
          throw new Error("not authorised");
        return "warden";
      },
    }),
  );
  const server = createServer(app);
  const url = await listen(server);
  return { url: `${url}/scim/v2`, users, close: closer(server) };
}

/** A webhook receiver that checks Warden's HMAC signature and keeps what verified. */
export async function startWebhookReceiver(
  secret: string,
): Promise<Peer & { verified: Record<string, unknown>[]; rejected: number }> {
  const state = { verified: [] as Record<string, unknown>[], rejected: 0 };
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(
        String(request.headers["x-warden-signature"] ?? ""),
      );
      const expected = match
        ? createHmac("sha256", secret).update(`${match[1]}.${body}`).digest()
        : undefined;
      if (
        match?.[2] &&
        expected &&
        timingSafeEqual(expected, Buffer.from(match[2], "hex"))
      ) {
        state.verified.push(JSON.parse(body) as Record<string, unknown>);
        response.writeHead(204).end();
      } else {
        state.rejected += 1;
        response.writeHead(401).end();
      }
    });
  });
  const url = await listen(server);
  return {
    url: `${url}/hooks/warden`,
    get verified() {
      return state.verified;
    },
    get rejected() {
      return state.rejected;
    },
    close: closer(server),
  };
}
