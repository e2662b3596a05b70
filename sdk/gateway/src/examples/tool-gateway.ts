import { describeError } from "@warden/shared/errors";
import { InvalidEventError, ShipRefusedError } from "../errors.js";
import { identifyCaller } from "./identity.js";
import { refusalBody, serveExample } from "./serve.js";
import { TOY_TOOLS } from "./toy-tools.js";

/**
 * An example API gateway in front of a toy tool API: `POST /tools/<name>` with a JSON body of
 * arguments. Every call is checked against Warden's kill switch (403 with a JSON reason when
 * revoked) and shipped as an audit event before the answer goes out, so an answered call is
 * never missing from Warden, even if this process is killed the next instant.
 *
 * Run: `node sdk/gateway/dist/examples/tool-gateway.js` (configuration: sdk/gateway/README.md).
 */
await serveExample("example-tool-gateway", (app, warden, _config, log) => {
  app.post<{
    Params: { tool: string };
    Body: Record<string, unknown> | undefined;
  }>("/tools/:tool", async (request, reply) => {
    const started = performance.now();
    const caller = identifyCaller(request.headers);
    if (!caller)
      return reply.code(401).send({
        error: "unauthenticated",
        message:
          "send Authorization: Bearer <token> (and x-agent-id with an API key)",
      });
    const tool = TOY_TOOLS[request.params.tool];
    // Described, so a held agent's ordinary calls still go through (step-up hold).
    const verdict = warden.enforcer.mayAct(
      caller.agentId,
      caller.credentialId,
      undefined,
      {
        verb: tool?.verb ?? "execute",
        sensitivity: tool?.resource.sensitivity,
      },
    );
    let status: number;
    let body: unknown;
    let records = 0;
    if (!verdict.allowed) {
      status = 403;
      body = refusalBody(verdict.revocation, verdict.matched, verdict.held);
    } else if (!tool) {
      status = 404;
      body = { error: "unknown_tool", tools: Object.keys(TOY_TOOLS) };
    } else {
      const result = tool.run(request.body ?? {});
      status = 200;
      records = result.records;
      body = result.result;
    }
    const payload = JSON.stringify(body);
    try {
      const event = warden.builder.build(
        {
          agent: { id: caller.agentId },
          credential: { id: caller.credentialId, type: caller.credentialType },
          action: {
            name: request.params.tool,
            verb: tool?.verb ?? "execute",
            target: request.url,
          },
          ...(tool ? { resource: { ...tool.resource } } : {}),
          outcome:
            status === 200 ? "success" : status === 403 ? "denied" : "error",
          status_code: status,
          bytes_out: Buffer.byteLength(payload),
          records,
          duration_ms: performance.now() - started,
          source: {
            ip: request.ip,
            user_agent: request.headers["user-agent"] ?? "unknown",
          },
        },
        { tokenClaims: caller.tokenClaims },
      );
      await warden.shipper.ship(event);
      reply.header("x-warden-event-id", event.event_id);
    } catch (error) {
      // Fail closed: a call Warden cannot hear about is not answered.
      if (
        error instanceof ShipRefusedError ||
        error instanceof InvalidEventError
      ) {
        log.error(
          { error: describeError(error) },
          "audit event not shipped; refusing the call",
        );
        return reply
          .code(503)
          .send({ error: "audit_unavailable", message: error.message });
      }
      throw error;
    }
    return reply.code(status).type("application/json").send(payload);
  });
});
