import { EnvReader } from "../config.js";
import type { ActionVerb } from "../audit-event.js";
import { describeError } from "@warden/shared/errors";
import { InvalidEventError, ShipRefusedError } from "../errors.js";
import { identifyCaller } from "./identity.js";
import { refusalBody, serveExample } from "./serve.js";
import { TOY_TOOLS } from "./toy-tools.js";

/**
 * An example MCP-style tool proxy: JSON-RPC 2.0 on `POST /mcp`. `tools/call` requests are
 * checked against Warden's kill switch (a revoked agent gets HTTP 403 and a JSON-RPC error
 * whose `data` says why), forwarded to the upstream MCP server (MCP_UPSTREAM_URL; without it,
 * the toy tools answer in-process) and shipped as audit events named `mcp:<server>/<tool>`.
 *
 * Run: `node sdk/gateway/dist/examples/mcp-tool-proxy.js` (configuration: sdk/gateway/README.md).
 */
interface JsonRpcRequest {
  readonly jsonrpc: "2.0";
  readonly id?: string | number | null;
  readonly method: string;
  readonly params?: { readonly name?: unknown; readonly arguments?: unknown };
}

/** JSON-RPC server-error code this proxy uses for "refused by Warden" (the -32000..-32099 range). */
const REVOKED_ERROR_CODE = -32001;

// Tool names rarely say what they do to data; a verb from the name's first word is a fair guess.
const VERB_BY_PREFIX: readonly [RegExp, ActionVerb][] = [
  [/^(get|list|read|search|fetch|find|query)/u, "read"],
  [/^(create|update|write|put|set|add|post|send)/u, "write"],
  [/^(delete|remove|drop)/u, "delete"],
  [/^(export|download|dump)/u, "export"],
];

function toolName(request: JsonRpcRequest): string {
  const name = request.params?.name;
  return typeof name === "string" ? name : "";
}

function verbOf(tool: string): ActionVerb {
  const base = tool.split(/[/.]/u).at(-1) ?? tool;
  return (
    VERB_BY_PREFIX.find(([pattern]) => pattern.test(base))?.[1] ?? "execute"
  );
}

const env = new EnvReader(process.env);
const upstreamUrl = env.url("MCP_UPSTREAM_URL");
const serverName = env.text("MCP_SERVER_NAME", "toy");
env.done();

async function forward(request: JsonRpcRequest): Promise<unknown> {
  if (upstreamUrl) {
    const response = await fetch(upstreamUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify(request),
    });
    return response.json();
  }
  const name = toolName(request);
  const tool = TOY_TOOLS[name];
  if (!tool)
    return {
      jsonrpc: "2.0",
      id: request.id ?? null,
      error: { code: -32602, message: `unknown tool ${name}` },
    };
  const args = (request.params?.arguments ?? {}) as Record<string, unknown>;
  const { result } = tool.run(args);
  return {
    jsonrpc: "2.0",
    id: request.id ?? null,
    result: { content: [{ type: "text", text: JSON.stringify(result) }] },
  };
}

await serveExample("example-mcp-tool-proxy", (app, warden, _config, log) => {
  app.post<{ Body: JsonRpcRequest }>("/mcp", async (request, reply) => {
    const started = performance.now();
    const rpc = request.body;
    const caller = identifyCaller(request.headers);
    if (!caller)
      return reply.code(401).send({
        jsonrpc: "2.0",
        id: rpc.id ?? null,
        error: {
          code: -32000,
          message: "unauthenticated: send Authorization: Bearer <token>",
        },
      });
    const verdict = warden.enforcer.mayAct(
      caller.agentId,
      caller.credentialId,
      undefined,
      rpc.method === "tools/call"
        ? { verb: verbOf(toolName(rpc)) }
        : { verb: "read" },
    );
    if (rpc.method !== "tools/call") {
      if (!verdict.allowed)
        return reply.code(403).send({
          jsonrpc: "2.0",
          id: rpc.id ?? null,
          error: {
            code: REVOKED_ERROR_CODE,
            message: "refused by Warden",
            data: refusalBody(
              verdict.revocation,
              verdict.matched,
              verdict.held,
            ),
          },
        });
      return reply.send(await forward(rpc));
    }
    const tool = toolName(rpc);
    let status = 200;
    let answer: unknown;
    if (!verdict.allowed) {
      status = 403;
      answer = {
        jsonrpc: "2.0",
        id: rpc.id ?? null,
        error: {
          code: REVOKED_ERROR_CODE,
          message: "refused by Warden",
          data: refusalBody(verdict.revocation, verdict.matched, verdict.held),
        },
      };
    } else {
      answer = await forward(rpc);
    }
    const payload = JSON.stringify(answer);
    const failed =
      typeof answer === "object" && answer !== null && "error" in answer;
    try {
      const event = warden.builder.build(
        {
          agent: { id: caller.agentId },
          credential: { id: caller.credentialId, type: caller.credentialType },
          action: {
            name: `mcp:${serverName}/${tool}`,
            verb: verbOf(tool),
            ...(upstreamUrl ? { target: upstreamUrl } : {}),
          },
          outcome: status === 403 ? "denied" : failed ? "error" : "success",
          status_code: status,
          bytes_out: Buffer.byteLength(payload),
          duration_ms: performance.now() - started,
          source: { ip: request.ip },
        },
        { tokenClaims: caller.tokenClaims },
      );
      await warden.shipper.ship(event);
      reply.header("x-warden-event-id", event.event_id);
    } catch (error) {
      if (
        error instanceof ShipRefusedError ||
        error instanceof InvalidEventError
      ) {
        log.error(
          { error: describeError(error) },
          "audit event not shipped; refusing the call",
        );
        return reply.code(503).send({
          jsonrpc: "2.0",
          id: rpc.id ?? null,
          error: { code: -32002, message: "audit unavailable" },
        });
      }
      throw error;
    }
    return reply.code(status).type("application/json").send(payload);
  });
});
