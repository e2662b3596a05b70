import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  NodeTracerProvider,
} from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWarden, type WardenProcess } from "./support/demo-process.js";
import { eventually } from "./support/service.js";

const TOKEN = "otel-agents-token-5b1d";
const sha256 = (text: string) =>
  createHash("sha256").update(text).digest("hex");

interface Decision {
  agent_id: string;
  tenant: string;
  action: string;
  reasons: { summary: string }[];
}

/** A tracer exporting to Warden's /v1/traces with the real SDK, as an agent process would. */
function agentTracer(
  baseUrl: string,
  encoding: "protobuf" | "json",
  service: string,
) {
  const options = {
    url: `${baseUrl}/v1/traces`,
    headers: { authorization: `Bearer ${TOKEN}` },
  };
  const exporter =
    encoding === "protobuf"
      ? new ProtobufTraceExporter(options)
      : new JsonTraceExporter(options);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      "service.name": service,
      "service.instance.id": `${service}-${randomUUID().slice(0, 8)}`,
    }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: 50,
        maxExportBatchSize: 256,
      }),
    ],
  });
  return { provider, tracer: provider.getTracer("warden-test-agent", "1.0.0") };
}

/**
 * A small tool-calling agent, instrumented with the GenAI conventions: one invoke_agent span,
 * a chat span per step deciding the next tool, an execute_tool span per tool call. `runaway`
 * makes it loop on one tool; it asks Warden's kill switch every 20 calls, as a gateway would,
 * and stops once revoked.
 */
async function runAgent(options: {
  readonly tracer: Tracer;
  readonly agentId: string;
  readonly steps: number;
  readonly revoked: () => Promise<boolean>;
}): Promise<{ calls: number; stoppedByRevocation: boolean }> {
  const { tracer, agentId } = options;
  const agent = tracer.startSpan("invoke_agent order-agent", {
    kind: SpanKind.INTERNAL,
    attributes: {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.id": agentId,
      "gen_ai.agent.name": "order-agent",
      "gen_ai.provider.name": "openai",
    },
  });
  const inAgent = trace.setSpan(context.active(), agent);
  let calls = 0;
  let stoppedByRevocation = false;
  for (let step = 0; step < options.steps; step++) {
    const chat = tracer.startSpan(
      "chat gpt-4o-mini",
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "openai",
          "gen_ai.request.model": "gpt-4o-mini",
          "gen_ai.usage.input_tokens": 120,
          "gen_ai.usage.output_tokens": 12,
          "gen_ai.agent.id": agentId,
        },
      },
      inAgent,
    );
    chat.end();
    const tool = tracer.startSpan(
      "execute_tool search_orders",
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": "search_orders",
          "gen_ai.tool.type": "function",
          "gen_ai.tool.call.id": `call_${step}`,
          "gen_ai.agent.id": agentId,
          "gen_ai.conversation.id": `conv-${agentId}`,
        },
      },
      inAgent,
    );
    await new Promise((resolve) => setImmediate(resolve));
    tool.setStatus({ code: SpanStatusCode.OK });
    tool.end();
    calls++;
    if (calls % 20 === 0 && (await options.revoked())) {
      stoppedByRevocation = true;
      break;
    }
  }
  agent.end();
  return { calls, stoppedByRevocation };
}

// The real OpenTelemetry JS SDK and its OTLP/HTTP exporters (protobuf and JSON) against `warden start`.
describe("OTLP GenAI spans from an instrumented agent (all-in-one)", () => {
  let dataDir: string;
  let warden: WardenProcess;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "warden-otlp-"));
    warden = runWarden(["start", "--port", "0"], {
      CHDB_PATH: dataDir,
      WARDEN_LOG_LEVEL: "info",
      INGEST_GATEWAY_TOKENS: `otel-agents:${sha256(TOKEN)}:acme`,
      INGEST_OTLP_SENSITIVITY: "tool:search_*=confidential",
    });
    const [, port] = await warden.waitFor(
      /"port":(\d+)[^\n]*listening/,
      60_000,
    );
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    warden.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The all-in-one's read routes answer the gateway's own token (its tenant only).
  const read = (path: string) =>
    fetch(`${baseUrl}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
  const decisions = async () =>
    (await (await read("/v1/decisions?limit=10000")).json()) as Decision[];
  const revoked = (agentId: string) => async () =>
    (
      (await (await read("/v1/kill-switch")).json()) as {
        agent_id: string;
      }[]
    ).some((entry) => entry.agent_id === agentId);

  it("turns a JSON-exporting agent's spans into events, and dead-letters or skips spans that name no action", async () => {
    const { provider, tracer } = agentTracer(baseUrl, "json", "order-agent");
    const result = await runAgent({
      tracer,
      agentId: "agent:orders/quiet",
      steps: 5,
      revoked: revoked("agent:orders/quiet"),
    });
    // A span of an unknown GenAI operation (dead letter) and a plain HTTP span (skipped, counted).
    tracer
      .startSpan("frobnicate", {
        attributes: {
          "gen_ai.operation.name": "frobnicate",
          "gen_ai.agent.id": "agent:orders/quiet",
        },
      })
      .end();
    tracer
      .startSpan("GET /health", {
        kind: SpanKind.CLIENT,
        attributes: { "http.request.method": "GET" },
      })
      .end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(result).toEqual({ calls: 5, stoppedByRevocation: false });
    // 1 invoke_agent + 5 chat + 5 execute_tool spans.
    await eventually("the quiet agent's events", async () => {
      const { events } = (await (await read("/v1/events/count")).json()) as {
        events: number | string;
      };
      return Number(events) >= 11 ? true : undefined;
    });
    const deadLetters = (await (
      await read("/v1/dead-letters/count")
    ).json()) as Record<string, number>;
    expect(deadLetters).toEqual({ unmappable_record: 1 });
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /warden_ingest_mapped_records_total\{[^}]*format="otlp"[^}]*outcome="skipped"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /warden_ingest_mapped_records_total\{[^}]*format="otlp"[^}]*outcome="event"[^}]*\} 11/,
    );
    expect(
      (await decisions()).filter((d) => d.agent_id === "agent:orders/quiet"),
    ).toEqual([]);
  });

  it("revokes a protobuf-exporting agent whose tool loop runs away, and the agent stops on the kill switch", async () => {
    const { provider, tracer } = agentTracer(
      baseUrl,
      "protobuf",
      "order-agent",
    );
    const agentId = "agent:orders/runaway";
    const result = await runAgent({
      tracer,
      agentId,
      steps: 5000,
      revoked: revoked(agentId),
    });
    await provider.shutdown();
    expect(result.stoppedByRevocation).toBe(true);
    expect(result.calls).toBeLessThan(5000);
    const revocations = (await decisions()).filter(
      (d) => d.agent_id === agentId,
    );
    expect(revocations[0]).toMatchObject({
      action: "revoke",
      tenant: "acme",
      agent_id: agentId,
    });
    expect(revocations[0]?.reasons[0]?.summary).toMatch(/calls in/);
  });
});
