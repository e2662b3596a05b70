import { createHash } from "node:crypto";
import { Metadata } from "@grpc/grpc-js";
import { SpanKind, context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  NodeTracerProvider,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useKafkaNamespace } from "./support/kafka-namespace.js";
import { readTopic } from "./support/kafka.js";
import { scrapeMetric } from "./support/metrics.js";
import {
  eventually,
  freePort,
  startService,
  type RunningService,
} from "./support/service.js";

const TOKEN = "otel-grpc-collector-token-77c1";
// @opentelemetry/core's ExportResultCode, named here rather than imported from a package this
// project does not depend on directly.
const SUCCESS = 0;
const FAILED = 1;
type ExporterConfig = NonNullable<
  ConstructorParameters<typeof OTLPTraceExporter>[0]
>;
// CompressionAlgorithm.GZIP of @opentelemetry/otlp-exporter-base, for the same reason.
const GZIP = "gzip" as NonNullable<ExporterConfig["compression"]>;
interface ExportResult {
  readonly code: number;
  readonly error?: Error;
}
const sha256 = (text: string) =>
  createHash("sha256").update(text).digest("hex");

/** The spans a small tool-calling agent ends, as the SDK hands them to its exporter. */
function agentSpans(tools: number): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": "grpc-agent" }),
    spanProcessors: [
      {
        onStart() {},
        onEnd: (span) => spans.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  const tracer = provider.getTracer("warden-grpc-test", "1.0.0");
  const agent = tracer.startSpan("invoke_agent ledger-agent", {
    attributes: {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.id": "agent:ledger/grpc",
      "gen_ai.agent.name": "ledger-agent",
    },
  });
  const inAgent = trace.setSpan(context.active(), agent);
  for (let call = 0; call < tools; call++)
    tracer
      .startSpan(
        "execute_tool read_ledger",
        {
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "read_ledger",
            "gen_ai.tool.call.id": `call_${call}`,
            "gen_ai.agent.id": "agent:ledger/grpc",
          },
        },
        inAgent,
      )
      .end();
  // An operation the conventions do not define (dead letter) and a plain HTTP span (skipped).
  tracer
    .startSpan("teleport", {
      attributes: {
        "gen_ai.operation.name": "teleport",
        "gen_ai.agent.id": "agent:ledger/grpc",
      },
    })
    .end();
  tracer
    .startSpan("GET /health", {
      kind: SpanKind.CLIENT,
      attributes: { "http.request.method": "GET" },
    })
    .end();
  agent.end();
  return spans;
}

/** One export by the SDK's OTLP/gRPC exporter, with the given bearer token. */
async function exportSpans(
  url: string,
  token: string,
  spans: ReadableSpan[],
): Promise<ExportResult> {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const exporter = new OTLPTraceExporter({
    url,
    metadata,
    compression: GZIP,
    timeoutMillis: 20_000,
  });
  try {
    return await new Promise((resolve) => exporter.export(spans, resolve));
  } finally {
    await exporter.shutdown();
  }
}

// The real OpenTelemetry SDK's OTLP/gRPC exporter against the ingest service in cluster mode:
// spans become events through agent.audit.v1 and the consumer like any gateway's.
describe("OTLP over gRPC into the ingest service and the real broker", () => {
  const { names, namespace, kafka } = useKafkaNamespace("ingest-otlp-grpc");
  let service: RunningService;
  let url: string;
  let opsPort: number;

  beforeAll(async () => {
    const grpcPort = await freePort();
    opsPort = await freePort();
    url = `http://127.0.0.1:${grpcPort}`;
    service = startService("services/ingest/dist/main.js", {
      WARDEN_NAMESPACE: namespace,
      WARDEN_OPS_PORT: String(opsPort),
      INGEST_OTLP_GRPC_ENABLED: "true",
      INGEST_OTLP_GRPC_PORT: String(grpcPort),
      INGEST_GATEWAY_TOKENS: `otel-grpc:${sha256(TOKEN)}:acme`,
      INGEST_HTTP_MAX_LINES: "40",
    });
    // The ops server starts after the gRPC port is bound.
    await eventually("the ingest service to start", async () =>
      (await scrapeMetric(opsPort, "warden_ingest_otlp_grpc_requests_total", {
        code: "OK",
      }).catch(() => undefined)) === 0
        ? true
        : undefined,
    );
  });
  afterAll(async () => {
    await service.stop();
  });

  it("maps a gzipped export: events in the credential's tenant, an unknown operation dead-lettered with the reason, an HTTP span skipped", async () => {
    const result = await exportSpans(url, TOKEN, agentSpans(3));
    expect(result.code).toBe(SUCCESS);
    // 1 invoke_agent + 3 execute_tool.
    const events = (await readTopic(kafka(), names.topics.events, 4)).map(
      (message) =>
        JSON.parse(message.value?.toString() ?? "") as {
          tenant: string;
          agent: { id: string };
          action: { name: string };
        },
    );
    expect(events).toHaveLength(4);
    expect(new Set(events.map((event) => event.tenant))).toEqual(
      new Set(["acme"]),
    );
    expect(
      events.filter((event) => event.action.name === "tool:read_ledger"),
    ).toHaveLength(3);
    const [letter] = await readTopic(kafka(), names.topics.auditDlq, 1);
    expect(letter?.headers?.["warden-reason"]?.toString()).toBe(
      "unmappable_record",
    );
    expect(letter?.headers?.["warden-format"]?.toString()).toBe("otlp");
    expect(letter?.headers?.["warden-gateway"]?.toString()).toBe("otel-grpc");
    expect(JSON.parse(letter?.value?.toString() ?? "")).toMatchObject({
      span: { name: "teleport" },
    });
    expect(
      await scrapeMetric(opsPort, "warden_ingest_mapped_records_total", {
        format: "otlp",
        outcome: "skipped",
      }),
    ).toBe(1);
    expect(
      await scrapeMetric(opsPort, "warden_ingest_otlp_grpc_requests_total", {
        code: "OK",
      }),
    ).toBe(1);
  });

  it("refuses a wrong token (UNAUTHENTICATED) and an export over the record cap (INVALID_ARGUMENT), and the exporter does not retry either", async () => {
    const refused = await exportSpans(url, "not-the-token", agentSpans(1));
    expect(refused.code).toBe(FAILED);
    expect(refused.error?.message).toMatch(/gateway bearer token/);
    const tooMany = await exportSpans(url, TOKEN, agentSpans(45));
    expect(tooMany.code).toBe(FAILED);
    expect(tooMany.error?.message).toMatch(/48 spans, limit 40 per request/);
    for (const code of ["UNAUTHENTICATED", "INVALID_ARGUMENT"])
      expect(
        await scrapeMetric(opsPort, "warden_ingest_otlp_grpc_requests_total", {
          code,
        }),
      ).toBe(1);
  });
});
